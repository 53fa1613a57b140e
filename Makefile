# xsoc: `make run` brings the whole stack up on this machine; `make test` runs every test.
SHELL := /bin/bash
GOBIN := $(shell go env GOPATH)/bin
TEMPORAL := $(GOBIN)/temporal
MAILPIT := $(GOBIN)/mailpit
WORKFLOWCHECK := $(GOBIN)/workflowcheck

export XSOC_TEMPORAL_BIN := $(TEMPORAL)
export XSOC_MAILPIT_BIN := $(MAILPIT)

.PHONY: run test unit e2e lint tools bench build

# The tools install once from the Go module proxy and stay in GOPATH/bin.
$(TEMPORAL):
	go install github.com/temporalio/cli/cmd/temporal@v1.5.1
$(MAILPIT):
	go install github.com/axllent/mailpit@v1.33.1
$(WORKFLOWCHECK):
	go install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0

tools: $(TEMPORAL) $(MAILPIT) $(WORKFLOWCHECK)

build:
	go build -o .xsoc/bin/ ./worker ./starter ./integrations/simulators

run: tools build
	./scripts/run.sh

lint: $(WORKFLOWCHECK)
	test -z "$$(gofmt -l . | tee /dev/stderr)"
	go vet ./...
	$(WORKFLOWCHECK) ./workflows/...

test: tools lint
	go test -count=1 -timeout 20m ./...

bench: tools build
	go run ./bench
