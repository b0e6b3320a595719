# One entry point for operators and CI. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
LAB := python3 lab/labctl.py
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0
# Scenarios run in this order (cheap and foundational first); SCENARIOS=... narrows it.
SCENARIOS ?= daemon swarm registry removal runbooks faults
LAB_NODES ?= 4

.PHONY: help venv engine images lab lab-down converge demo demo-push test lint unit molecule e2e bench

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.installed  ## Python venv with requirements.txt
$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

engine:  ## make sure a Docker engine answers (installs docker.io as root on Debian)
	$(LAB) engine

images: engine  ## build the lab images that are missing
	$(LAB) images

lab: venv engine  ## bring up the local lab (LAB_NODES=4, three managers) and write inventory/lab/hosts.yml
	$(LAB) up --nodes $(LAB_NODES)

lab-down:  ## remove the lab: nodes, volumes, network, stand-in, generated inventory
	$(LAB) down

converge: venv  ## ansible-playbook -i inventory/lab site.yml
	ansible-playbook -i inventory/lab site.yml

demo-push: venv  ## push an image to the lab registry and show the builds the Jenkins stand-in got
	ansible-playbook -i inventory/lab lab/demo_push.yml

demo: lab converge demo-push  ## the whole demo: lab + site.yml + push -> Jenkins stand-in

lint: venv  ## yamllint + ansible-lint (production profile) + ruff (Python)
	yamllint -s .
	ansible-lint --profile production
	ruff check collections lab molecule

unit: venv  ## pytest: module logic, lab tool, Jenkins stand-in
	pytest -q collections/ansible_collections/fleet/docker/tests/unit lab/tests

molecule: venv images  ## every Molecule scenario (SCENARIOS=... to pick)
	@for s in $(SCENARIOS); do \
	  start=$$(date +%s); \
	  molecule test -s $$s || { echo "molecule scenario $$s FAILED"; exit 1; }; \
	  echo "molecule scenario $$s passed in $$(( $$(date +%s) - start ))s"; \
	done

e2e: venv images  ## demo lab end to end over SSH: site.yml twice (second must be changed=0), push, teardown
	python3 lab/e2e.py

test: lint unit molecule e2e  ## what CI runs: lint + unit + Molecule + lab end to end

bench: venv images  ## print converge / no-op / removal figures for LAB_NODES nodes
	python3 lab/bench.py --nodes $(LAB_NODES)
