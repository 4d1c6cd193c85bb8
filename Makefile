# event-processor: one Makefile for the whole workspace. `make help` lists
# the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SERVICES := user-projector activity-projector statistics-projector
MODULES  := shared testkit scripts $(addprefix services/,$(SERVICES))
WIRE     := go run github.com/google/wire/cmd/wire@v0.7.0
GOTEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: wire
wire: ## regenerate every service's wire_gen.go
	@for s in $(SERVICES); do (cd services/$$s/cmd/$$s && $(WIRE) gen); done

.PHONY: wire-check
wire-check: ## fail when a committed wire_gen.go is stale
	@for s in $(SERVICES); do \
	  (cd services/$$s/cmd/$$s && $(WIRE) diff >/dev/null) || { \
	    echo "services/$$s: wire_gen.go is stale: run 'make wire'"; exit 1; }; \
	done; echo "wire_gen.go up to date"

.PHONY: fmt-check
fmt-check: ## fail when a Go file is not gofmt-ed
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi; echo "gofmt clean"

.PHONY: vet
vet: ## go vet every module
	@for m in $(MODULES); do (cd $$m && go vet ./...); done; echo "go vet clean"

.PHONY: lint
lint: ## golangci-lint every module (needs golangci-lint on PATH)
	@for m in $(MODULES); do (cd $$m && golangci-lint run --config $(CURDIR)/.golangci.yml ./...); done

.PHONY: unit
unit: ## unit and integration tests of every module
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && go test $(GOTEST_FLAGS) ./...); done

.PHONY: test
test: fmt-check vet wire-check unit ## everything CI checks: gofmt, vet, wire, tests

.PHONY: build
build: ## build the three projector binaries into bin/
	@mkdir -p bin; for s in $(SERVICES); do (cd services/$$s && CGO_ENABLED=0 go build -trimpath -o ../../bin/$$s ./cmd/$$s); done
