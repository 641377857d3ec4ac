# The test command of README.md: vet, every test with the race detector,
# then each fuzz target for a short, bounded time.
FUZZTIME ?= 5s

.PHONY: test fuzz run

test:
	go vet ./...
	go test -race ./...
	$(MAKE) --no-print-directory fuzz

fuzz:
	go test -run '^$$' -fuzz '^FuzzCleanPath$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzEncodeURN$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzParams$$' -fuzztime $(FUZZTIME) ./plugin/linkedin
	go test -run '^$$' -fuzz '^FuzzCallbackQuery$$' -fuzztime $(FUZZTIME) ./oauthbroker

run:
	go run ./cmd/plugin-server --sandbox
