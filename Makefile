# The test command of README.md: vet, every test with the race detector,
# the soak, then each fuzz target for a short, bounded time.
FUZZTIME ?= 5s

.PHONY: test fuzz soak run

test:
	go vet ./...
	go test -race -short ./...
	$(MAKE) --no-print-directory soak fuzz

# A bounded soak with injected faults; it prints its figures.
soak:
	go test -run '^TestSoak$$' -v ./internal/app

fuzz:
	go test -run '^$$' -fuzz '^FuzzCleanPath$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzEncodeURN$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzParams$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzCallbackQuery$$' -fuzztime $(FUZZTIME) ./oauthbroker

run:
	go run ./cmd/plugin-server --sandbox
