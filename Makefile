# Shortcuts; the README's two commands work without make.
.PHONY: demo test race bench lint fuzz

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

fuzz:
	go test -run '^$$' -fuzz FuzzDecode -fuzztime 60s ./events/
