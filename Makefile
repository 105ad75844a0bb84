# The two commands: `make up` runs the whole system, `make test` runs every test (README).
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy

# Every file that can change what the lock installs.
PROJECT_FILES := uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml deploy/*/pyproject.toml)

.PHONY: help up down clean status restart test test-fast lint sync backup restore

help:
	@echo "make up      start everything (infrastructure, services, gateway) and print the web address"
	@echo "make down    stop what 'make up' started (data is kept)"
	@echo "make clean   stop and delete the data folder"
	@echo "make status  what is running"
	@echo "make restart restart the services and the gateway after a code change"
	@echo "make backup  every service's database and every attachment to backups/<UTC time>/ (TO=dir|s3://b/p)"
	@echo "make restore BACKUP=backups/<time>  stop the services, put the backup back, start them"
	@echo "make test    run the whole test suite"
	@echo "make test-fast  unit and integration tiers only (no whole stack, no browser)"
	@echo "make images REGISTRY=<registry>/<path> [TAG=<release>]  build, push, write digests into deploy/k8s"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) $(PROJECT_FILES)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

sync: .venv/.synced

up: .venv/.synced
	.venv/bin/devstack up

down:
	@if [ -x .venv/bin/devstack ]; then .venv/bin/devstack down; else echo "nothing to stop"; fi

status: .venv/.synced
	.venv/bin/devstack status

restart: .venv/.synced
	.venv/bin/devstack restart

# docs/operations.md, "Backup and restore".
backup: .venv/.synced
	.venv/bin/devstack backup $(if $(TO),--to "$(TO)")

restore: .venv/.synced
	@if [ -z "$(BACKUP)" ]; then echo "usage: make restore BACKUP=backups/<yyyymmddThhmmssZ> (or s3://bucket/prefix)"; exit 2; fi
	.venv/bin/devstack restore "$(BACKUP)"

clean:
	@if [ -x .venv/bin/devstack ]; then .venv/bin/devstack clean; else rm -rf "$${DVC_DATA_DIR:-.data}"; fi

test: .venv/.synced
	.venv/bin/pytest

# Unit and integration tiers only (real MongoDB, RabbitMQ and S3, services in-process): no whole stack,
# no browser. About 7 minutes on a two-core machine; `make test` runs everything and is what CI runs.
test-fast: .venv/.synced
	.venv/bin/pytest -m "not system"

# The release step: build and push the nine images (seven services, gateway, MinIO) with
# `docker buildx build --push --metadata-file`, then write each one's digest into the overlays and the MinIO
# Tenant (deploy/images.py; deploy/README.md, "Images"). Commit what it changed.
.PHONY: images
images: .venv/.synced
	@if [ -z "$(REGISTRY)" ]; then echo "usage: make images REGISTRY=<registry>/<path> [TAG=<release>]"; exit 2; fi
	.venv/bin/python deploy/images.py --registry "$(REGISTRY)" $(if $(TAG),--tag "$(TAG)")

# Prometheus's checker on the alert rules and their unit tests (deploy/observability/prometheus/):
# promtool comes with Debian's prometheus package, which `make test` does not need.
.PHONY: alerts-check
alerts-check:
	promtool check rules deploy/observability/prometheus/alerts.yaml
	cd deploy/observability/prometheus && promtool test rules alerts_test.yaml

lint: .venv/.synced
	.venv/bin/ruff check .

# Mutation testing of every services/*/src/*/domain/*.py against its service's unit tests alone: a per-file
# table, bench/results/mutation.json (tools/mutation/mutate.py; MUTATION_ARGS="--files calendar.py" for one).
.PHONY: mutation
mutation: .venv/.synced
	nice -n 19 .venv/bin/python tools/mutation/mutate.py $(MUTATION_ARGS)
