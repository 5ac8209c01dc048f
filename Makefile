# Shortcuts; the README's two commands work without make.
.PHONY: demo test race bench bench-summary lint fuzz crash soak sim mutants screenshots

demo:
	go run ./cmd/disputes demo

test:
	go test ./...

race:
	go test -race ./...

lint:
	gofmt -l . && go vet ./...

bench:
	go test -run '^$$' -bench . -benchmem ./...

# BENCHMARKS.md's summary: a quick and a full run of `disputes bench` (the
# full one takes ten minutes and more), written between the file's markers.
BENCH_OUT ?= $(or $(TMPDIR),/tmp)
bench-summary:
	go run ./cmd/disputes bench --quick --json > $(BENCH_OUT)/disputes-bench-quick.json
	go run ./cmd/disputes bench --json > $(BENCH_OUT)/disputes-bench-full.json
	go run ./cmd/disputes bench --markdown --from $(BENCH_OUT)/disputes-bench-quick.json,$(BENCH_OUT)/disputes-bench-full.json --update BENCHMARKS.md

# Long runs; CI runs every fuzz target's seed corpus with `make test`.
# FuzzCommandBody drives the HTTP API over a real ledger: give it minutes.
fuzz:
	go test -run '^$$' -fuzz FuzzDecode -fuzztime 60s ./events/
	go test -run '^$$' -fuzz FuzzDecodeFlatAgreesWithTheDecoder -fuzztime 2m ./commands/
	go test -run '^$$' -fuzz FuzzCommandBody -fuzztime 10m ./edge/httpapi/

# The out-of-process crash test with hundreds of SIGKILLs of `serve` under
# load (CI runs it with 20). DISPUTES_CRASH_SEED=N replays a run's kill
# schedule and the parties' choices.
DISPUTES_CRASH_KILLS ?= 300
crash:
	DISPUTES_CRASH_KILLS=$(DISPUTES_CRASH_KILLS) go test -count=1 -timeout 60m -v -run TestServeSurvivesSIGKILLUnderLoad ./cmd/disputes/

# The deterministic simulator over thousands of seeds (CI runs 50);
# go test ./sim -run 'TestSimulation$$' -seed=N -v replays one.
DISPUTES_SIM_SEEDS ?= 3000
sim:
	DISPUTES_SIM_SEEDS=$(DISPUTES_SIM_SEEDS) go test -count=1 -timeout 60m -run 'TestSimulation$$' ./sim/

# The simulator's mutant suite: known bugs planted through its hooks; passes
# only if every one is caught (CI runs it too).
mutants:
	go test -count=1 -tags simmutants -run TestMutants -v ./sim/

# The soak (not in CI): `serve` under steady load for DISPUTES_SOAK, its
# memory, goroutines and latency recorded every 10 s into
# $(DISPUTES_SOAK_OUT)/soak.csv and soak.json; fails if memory grows.
DISPUTES_SOAK ?= 10m
DISPUTES_SOAK_OUT ?= $(CURDIR)/soak-out
soak:
	DISPUTES_SOAK=$(DISPUTES_SOAK) DISPUTES_SOAK_OUT=$(DISPUTES_SOAK_OUT) go test -count=1 -timeout 2h -v -run TestServeSoak ./cmd/disputes/

# The console's screenshots (docs/console/*.png), taken by its browser test
# in headless Chromium.
screenshots:
	DISPUTES_REQUIRE_SERVICES=1 DISPUTES_SCREENSHOTS=$(CURDIR)/docs/console go test -count=1 -run TestConsoleInChromium ./edge/console/
