# event-processor: one Makefile for the whole workspace. `make help` lists
# the targets.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

SERVICES := user-projector activity-projector statistics-projector
# The manifests' validator: a module of its own, with its own go.work
# (deployments/kubernetes/validate/go.work), not in the repository's.
K8S_VALIDATE := deployments/kubernetes/validate
MODULES  := shared testkit scripts $(addprefix services/,$(SERVICES)) $(K8S_VALIDATE)
WIRE     := go run github.com/google/wire/cmd/wire@v0.7.0
GOTEST_FLAGS ?= -count=1 -timeout 20m

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

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
	@out=$$(gofmt -l $(MODULES) e2e); if [ -n "$$out" ]; then echo "not gofmt-ed:"; echo "$$out"; exit 1; fi; echo "gofmt clean"

.PHONY: vet
vet: ## go vet every module
	@for m in $(MODULES) e2e; do (cd $$m && go vet ./...); done; echo "go vet clean"

.PHONY: lint
lint: ## golangci-lint every module (needs golangci-lint on PATH)
	@for m in $(MODULES); do (cd $$m && golangci-lint run --config $(CURDIR)/.golangci.yml ./...); done

.PHONY: rules-check
rules-check: ## promtool: check the Prometheus config and alerting rules, run the rules' tests (Debian's promtool into .cache/ if none on PATH)
	@deployments/prometheus/promtool.sh check config deployments/prometheus/prometheus.yml
	@deployments/prometheus/promtool.sh test rules deployments/prometheus/rules_test.yml

.PHONY: k8s-check
k8s-check: ## validate deployments/kubernetes: schemas of the Go API types and the project's rules (no cluster)
	@cd $(K8S_VALIDATE) && go test -count=1 ./... && go run . ..

.PHONY: unit
unit: ## unit and integration tests of every module
	@for m in $(MODULES); do echo "== $$m"; (cd $$m && go test $(GOTEST_FLAGS) ./...); done
	@# The catalogue as the previous release built it (no UserCreated version 2 reader).
	@echo "== shared/events -tags events_schema_v1only"; cd shared && go test $(GOTEST_FLAGS) -tags events_schema_v1only ./events/

.PHONY: test
test: fmt-check vet wire-check rules-check k8s-check unit ## everything CI checks: gofmt, vet, wire, alerting rules, Kubernetes manifests, tests

# Packages with benchmarks, by module (listed: every test package whose
# TestMain starts FerretDB would start it even without benchmarks).
BENCH_PACKAGES := shared:./debezium/,./router/,./readmodel/ \
  services/user-projector:./internal/app/ \
  services/activity-projector:./internal/app/ \
  services/statistics-projector:./internal/app/,./internal/domain/stats/,./internal/adapters/
BENCHTIME ?= 2s

.PHONY: bench
bench: ## benchmarks: the consumer path, each projection at batch sizes 1-500 on FerretDB, the store, the statistics writer (BENCHTIME=2s)
	@for mp in $(BENCH_PACKAGES); do m=$${mp%%:*}; pkgs=$${mp#*:}; echo "== $$m"; \
	  (cd $$m && go test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) $${pkgs//,/ }); done

.PHONY: build
build: ## build the static binaries (projectors; connector, load, verify, demo, readmodels, capture, poison, rebuild tools) into bin/
	@mkdir -p bin; for s in $(SERVICES); do (cd services/$$s && CGO_ENABLED=0 go build -trimpath -o ../../bin/$$s ./cmd/$$s); done
	@cd scripts && for c in connector load verify demo readmodels capture poison rebuild; do CGO_ENABLED=0 go build -trimpath -o ../bin/$$c ./cmd/$$c; done

# --- the stack (docker compose) -------------------------------------------

# `docker compose` (v2), or the v1 `docker-compose` where only that exists.
COMPOSE_BIN := $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || (command -v docker-compose >/dev/null 2>&1 && echo docker-compose || echo "docker compose"))
IMAGES_ENV  := deployments/.images.env
COMPOSE      = $(COMPOSE_BIN) $(if $(wildcard $(IMAGES_ENV)),--env-file $(IMAGES_ENV))

.PHONY: docker
docker: ## make sure a Docker engine runs and docker compose v2 exists (installs them here)
	@deployments/scripts/docker.sh

.PHONY: images
images: docker ## choose public images or build the local stand-ins; build the projector images
	@deployments/scripts/images.sh

.PHONY: up
up: images ## start the stack, register the connector, wait until the pipeline is ready
	@$(COMPOSE_BIN) --env-file $(IMAGES_ENV) up -d --remove-orphans
	@deployments/scripts/wait-ready.sh $(COMPOSE_BIN) --env-file $(IMAGES_ENV)
	@echo "pipeline ready: insert into activity.event_outbox (localhost:$${POSTGRES_PORT:-5432}), read mongodb://localhost:$${MONGO_PORT:-27017}"
	@echo "prometheus: http://localhost:$${PROMETHEUS_PORT:-9090}"

.PHONY: down
down: ## stop the stack and remove its containers and volumes
	@$(COMPOSE) down --volumes --remove-orphans

.PHONY: connector-restart
connector-restart: ## restart the connector's failed instances (after fixing what failed them)
	@$(COMPOSE) run --rm --no-deps connector-init restart -url http://connect:8083 -name outbox-connector

.PHONY: rebuild
rebuild: ## rebuild a projector's read models from offset 0 while readers keep them: make rebuild SERVICE=user-projector
	@test -n "$(SERVICE)" || { echo "usage: make rebuild SERVICE=user-projector"; exit 2; }
	@$(MAKE) --no-print-directory build >/dev/null
	@deployments/scripts/rebuild.sh $(SERVICE) $(COMPOSE)

.PHONY: logs
logs: ## follow the logs of the stack (SERVICE=name for one)
	@$(COMPOSE) logs -f --tail=100 $(SERVICE)

.PHONY: status
status: ## containers, connector status, consumer groups with lag
	@$(COMPOSE) ps
	@echo; $(COMPOSE) run --rm --no-deps connector-init status -url http://connect:8083 -name outbox-connector
	@echo; $(COMPOSE) exec -T kafka /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --all-groups

.PHONY: demo
demo: up ## the quick start: stack up (if not), 1,000 events, wait, verify, report into out/demo
	@scripts/demo/load_1000.sh

.PHONY: e2e
e2e: images ## end-to-end suite: the whole stack in throwaway containers (needs Docker)
	@cd e2e && set -a && { [ ! -f ../$(IMAGES_ENV) ] || . ../$(IMAGES_ENV); } && set +a && \
	  go test -count=1 -v -timeout 15m ./...

.PHONY: scale
scale: ## run N instances of one projector: make scale SERVICE=user-projector N=3
	@test -n "$(SERVICE)" -a -n "$(N)" || { echo "usage: make scale SERVICE=user-projector N=3"; exit 2; }
	@$(COMPOSE) up -d --no-recreate --scale $(SERVICE)=$(N) $(SERVICE)
