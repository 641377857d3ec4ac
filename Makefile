# The test command of README.md: vet, every test with the race detector,
# the memory bound without it,
# the soak, each fuzz target for a short, bounded time, the benchmarks and
# the load harness in short modes.
# A count, not a duration: a duration races a known coordinator bug in Go
# 1.26 (golang/go#75804) that fails a clean run with "context deadline
# exceeded" at the deadline.
FUZZTIME ?= 20000x
# The machine's PostgreSQL, for the load harness's replicas (the tests read
# PLUGIN_SERVER_TEST_POSTGRES, with the same default).
POSTGRES ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: test memory fuzz soak bench load benchmarks wrk run console console-check

test: web/node_modules
	go vet ./...
	go test -race -short ./...
	$(MAKE) --no-print-directory memory soak fuzz load bench

# Memory bounds are measured from a server process's peak RSS, so without
# the race detector, which multiplies memory.
memory:
	go test -run '^TestLargeBodiesKeepMemoryBounded$$' -v ./cmd/plugin-server

# The console's browser test drives Chromium with playwright-core from
# web/node_modules, installed from the committed lock file.
web/node_modules: web/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs npm (apt-get install npm) for the console's browser test"; exit 1; }
	cd web && npm ci --no-audit --no-fund
	@touch web/node_modules

# The hot steps' benchmarks, briefly, so they cannot rot.
bench:
	go test -run '^$$' -bench . -benchtime 200x ./plugin/linkedin ./oauthbroker ./internal/app

# The load harness in its short mode: it fails on errors, never on timings.
# wrk (Debian's package) drives the cases the issue first measured with it.
load: wrk
	go run ./cmd/plugin-bench -short -postgres '$(POSTGRES)' -wrk wrk

# The full load run, written to docs/benchmarks.md.
benchmarks: wrk
	go run ./cmd/plugin-bench -report docs/benchmarks.md -postgres '$(POSTGRES)' -wrk wrk

wrk:
	@command -v wrk >/dev/null || { echo "the load harness needs wrk (apt-get install wrk)"; exit 1; }

# A bounded soak with injected faults; it prints its figures.
soak:
	go test -run '^TestSoak$$' -v ./internal/app

fuzz:
	go test -run '^$$' -fuzz '^FuzzCleanPath$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzEncodeURN$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzParams$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzLittleText$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzAuthorURN$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzCallbackQuery$$' -fuzztime $(FUZZTIME) ./oauthbroker
	go test -run '^$$' -fuzz '^FuzzCommandAndParams$$' -fuzztime $(FUZZTIME) ./internal/httpapi
	go test -run '^$$' -fuzz '^FuzzPlainEnvelope$$' -fuzztime $(FUZZTIME) ./internal/httpapi
	go test -run '^$$' -fuzz '^FuzzValue$$' -fuzztime $(FUZZTIME) ./internal/jsontext

run:
	go run ./cmd/plugin-server --sandbox

# The web console: web/ (Vite, React, RJSF) built into internal/console/dist,
# which is committed and embedded, so go build and go run need no npm.
console:
	cd web && npm ci --no-audit --no-fund && npm run build

# CI: the committed build must be exactly what its sources build.
console-check: console
	git diff --stat --exit-code -- internal/console/dist || { echo "internal/console/dist is stale: run make console and commit it"; exit 1; }
	@test -z "$$(git status --porcelain -- internal/console/dist)" || { git status --porcelain -- internal/console/dist; echo "internal/console/dist is stale: run make console and commit it"; exit 1; }
