# xsoc: `make run` brings the whole stack up on this machine; `make cluster` the production
# topology (Temporal server on PostgreSQL, mutual TLS, two workers, two starters); `make test`
# runs every test (`make unit` all but the end-to-end tests, `make e2e` those alone).
SHELL := /bin/bash
GOBIN := $(shell go env GOPATH)/bin
TEMPORAL := $(GOBIN)/temporal
MAILPIT := $(GOBIN)/mailpit
WORKFLOWCHECK := $(GOBIN)/workflowcheck
# The Temporal server the cluster runs, and its SQL schema tool, in a directory of their own
# (their package names, server and sql, say nothing beside other tools').
TEMPORAL_SERVER_VERSION := v1.29.1
TEMPORAL_SERVER_DIR := $(GOBIN)/temporal-server-$(TEMPORAL_SERVER_VERSION)
TEMPORAL_SERVER := $(TEMPORAL_SERVER_DIR)/server
TEMPORAL_SQL_TOOL := $(TEMPORAL_SERVER_DIR)/sql
GOLANGCI_LINT := $(GOBIN)/golangci-lint

export XSOC_TEMPORAL_BIN := $(TEMPORAL)
export XSOC_MAILPIT_BIN := $(MAILPIT)
export XSOC_TEMPORAL_SERVER_BIN := $(TEMPORAL_SERVER)
export XSOC_TEMPORAL_SQL_TOOL_BIN := $(TEMPORAL_SQL_TOOL)

.PHONY: run cluster test unit e2e lint tools cluster-tools bench build chromium

# The tools install once from the Go module proxy and stay in GOPATH/bin.
$(TEMPORAL):
	go install github.com/temporalio/cli/cmd/temporal@v1.5.1
$(MAILPIT):
	go install github.com/axllent/mailpit@v1.33.1
$(WORKFLOWCHECK):
	go install go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
$(GOLANGCI_LINT):
	go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

tools: $(TEMPORAL) $(MAILPIT) $(WORKFLOWCHECK)

# The Temporal server builds from source (about 3 minutes on 2 cores, once). PostgreSQL comes
# from Debian's packages: the cluster's launcher installs it when it is missing and we are
# root, and otherwise says the one command to run.
$(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL) &:
	GOBIN=$(TEMPORAL_SERVER_DIR) go install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION)

cluster-tools: tools $(TEMPORAL_SERVER) $(TEMPORAL_SQL_TOOL)

# The browser tests (tests/browser) drive Debian's chromium: installed here when it is
# missing and we are root (CI, the dev machines), else the one command to run.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			echo "installing chromium for the browser tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "the browser tests need chromium: run  sudo apt-get install -y chromium" >&2; exit 1; \
		fi; }

# BUILD_ID=2026.12.1 stamps the worker's build id (docs/deploy.md); without it the worker
# takes its binary's digest.
build:
	go build $(if $(BUILD_ID),-ldflags "-X xsoc/config.stampedBuildID=$(BUILD_ID)") -o .xsoc/bin/ ./worker ./starter ./integrations/simulators

# The same launcher as the end-to-end tests' (internal/devstack), on the README's ports.
# Built, then run (not `go run`, which answers Ctrl-C with a failure of its own).
run: tools
	go build -o .xsoc/bin/run ./internal/devstack/run
	.xsoc/bin/run

# The production topology on this machine (internal/devstack, as the cluster tests start it):
# state in .xsoc/cluster/, kept between runs; it prints where everything is.
cluster: cluster-tools
	go build -o .xsoc/bin/run ./internal/devstack/run
	.xsoc/bin/run -cluster

# golangci-lint runs go vet's analyzers and the bug-finding linters of .golangci.yml;
# workflowcheck proves every workflow package deterministic. Another golangci-lint on the
# machine (another checkout's make test) holds its lock: wait for it rather than fail.
lint: $(WORKFLOWCHECK) $(GOLANGCI_LINT)
	test -z "$$(gofmt -l . | tee /dev/stderr)"
	go mod tidy -diff
	$(GOLANGCI_LINT) run --allow-serial-runners ./...
	$(WORKFLOWCHECK) ./workflows/...

test: cluster-tools chromium lint
	go test -count=1 -timeout 20m ./...

# Every package but tests/ and its subpackages, which start the real stack.
unit: tools
	go test -count=1 -timeout 20m $$(go list ./... | grep -v '^xsoc/tests\(/\|$$\)')

# The end-to-end tests alone, against the real stack.
e2e: cluster-tools chromium
	go test -count=1 -timeout 20m ./tests/...

# The dev server's figures, then the cluster's (intake and burst) beside them in bench/results.md.
bench: cluster-tools
	go run ./bench
	go run ./bench -cluster
