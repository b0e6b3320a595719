# One entry point for operators and CI. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV ?= .venv
PYTHON ?= python3
LAB := python3 lab/labctl.py
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_FORCE_COLOR ?= 0
export PY_COLORS ?= 0
# Scenarios run in this order (cheap and foundational first); SCENARIOS=... narrows it.
SCENARIOS ?= default engine daemon swarm registry removal runbooks status autolock faults
LAB_NODES ?= 4
BENCH_REPEAT ?= 3

.PHONY: help venv engine images lab lab-down converge demo demo-push test lint unit unit-lab molecule e2e bench

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.installed  ## Python venv with requirements.txt (newest Ansible for PYTHON: 2.19 on 3.11, 2.21 on >= 3.12)
$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
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

unit-lab: venv  ## pytest: the lab tool and the Jenkins stand-in (make test runs the collection's tests in ansible-test units)
	pytest -q lab/tests

.PHONY: sanity sanity-current collection matrix-current
sanity: venv  ## ansible-test sanity (every test) + units for the collection, community.docker beside it
	.ci/ansible-test.sh sanity
	.ci/ansible-test.sh units

sanity-current: venv images  ## ansible-test sanity + units with ansible-core 2.21 / Python 3.13 in a trixie container (~17 min here, not in make test)
	python3 lab/matrix.py --ansible-test

collection: venv  ## build the collection tarball, install it into a fresh path, ansible-doc every module from it
	.ci/collection-check.sh

matrix-current: venv images  ## controller matrix, current leg: ansible 14 on Python 3.13 (trixie container) against a 3-node lab mtx-lab
	python3 lab/matrix.py

molecule: venv images  ## every Molecule scenario (SCENARIOS=... to pick)
	@for s in $(SCENARIOS); do \
	  start=$$(date +%s); \
	  molecule test -s $$s || { echo "molecule scenario $$s FAILED"; exit 1; }; \
	  echo "molecule scenario $$s passed in $$(( $$(date +%s) - start ))s"; \
	done

e2e: venv images  ## demo lab end to end over SSH: site.yml twice (second must be changed=0), push, teardown
	python3 lab/e2e.py

test: lint unit-lab sanity collection molecule e2e matrix-current  ## what CI runs: lint + unit + ansible-test + tarball + Molecule + lab end to end + current-controller leg

bench: venv images  ## project vs plain playbook (LAB_NODES=4 or 4,16): converge, no-op, removal; median of BENCH_REPEAT; BENCH_ARGS=--profile
	python3 lab/bench.py --nodes $(LAB_NODES) --repeat $(BENCH_REPEAT) $(BENCH_ARGS)
