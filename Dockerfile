# Build a static binary (pure-Go SQLite, no cgo), run it as non-root on a
# distroless base with the database on a volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/plugin-server ./cmd/plugin-server \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/plugin-server /plugin-server
COPY --from=build --chown=65532:65532 /out/data /data
VOLUME /data
ENV PLUGIN_SERVER_ADDR=0.0.0.0:8080 \
    PLUGIN_SERVER_DB=/data/plugin-server.db
EXPOSE 8080
USER 65532:65532
# distroless has no curl: the binary asks its own /readyz (exit status 1
# when the server or its store does not answer).
HEALTHCHECK --interval=10s --timeout=4s CMD ["/plugin-server","healthcheck"]
ENTRYPOINT ["/plugin-server"]
