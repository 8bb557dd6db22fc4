# notices-ingestor developer and CI entry points. `make test` is what CI runs (.ci/run).
#   make venv         .venv with python3 (>= 3.11) and the project + dev extras (skipped when up to date)
#   make lint         ruff (with mccabe <= 10), mypy, the import contracts (lint-imports; pyproject.toml)
#   make unit         tests that need no stack (-m "not integration")
#   make stack        bring up NetBox + notices, PostgreSQL, Redis, Dovecot (scripts/dev-stack up)
#   make integration  tests against that stack (-m integration); the `stack` fixture brings it up too
#   make test         all of the above, in order, then load-ci (200 generated emails, checked)
#   make faults       the fault scenarios on the whole corpus, 20 kills, with figures (long; CI runs a slice)
#   make fuzz         the parse stage under >= 2,000 mutated and hostile emails (figures; no stack needed)
# pytest's exit code 5 (no tests collected) is a failure here, like any other non-zero code.

PYTHON ?= python3
VENV   := .venv
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv lint unit stack integration test demo benchmark benchmark-load load-ci benchmark-idle faults fuzz oauth-benchmark

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "need python3 >= 3.11, got " + sys.version)'
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	touch $(STAMP)

lint: venv
	$(VENV)/bin/ruff check . scripts/dev-stack
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

unit: venv
	$(VENV)/bin/pytest -m "not integration"

stack:
	scripts/dev-stack up

integration: venv
	$(VENV)/bin/pytest -m integration

test:
	$(MAKE) lint
	$(MAKE) unit
	$(MAKE) stack
	$(MAKE) integration
	$(MAKE) load-ci

# The load run, sized down for CI: 200 generated emails through the batched sink into a fresh NetBox; fails
# when any event ends wrong or a second pass writes anything (prints the figures too).
load-ci: venv stack
	$(VENV)/bin/python scripts/benchmark.py --sizes 200 --no-corpus

# The local demo (README's first command): stack up, sample emails into the demo mailbox, the daemon once.
demo:
	scripts/demo/run

# Figures, not a test: the shared corpus into a fresh NetBox (emails/s, NetBox requests per email).
benchmark: venv stack
	$(VENV)/bin/python scripts/benchmark.py

# Figures, not a test: the corpus, then generated loads of 1,000, 5,000 and 10,000 emails, each into a fresh
# NetBox in a process of its own (scripts/benchmark.py --help). About 25 minutes here.
# On a shared stack: make benchmark-load LOCK=/tmp/nis-stack.lock — each target then holds that flock only
# while it uses NetBox (not under `flock` as well: the two would wait for each other).
LOCK ?=
benchmark-load: venv stack
	$(VENV)/bin/python scripts/benchmark.py --sizes 1000,5000,10000 $(if $(LOCK),--lock $(LOCK))

# The long fault-injection runs (tests/faults/): whole corpus, 20 kills; prints a FIGURES line per scenario.
faults: venv stack
	NIS_FAULTS=full $(VENV)/bin/pytest -s -m integration tests/integration/test_faults.py

# Figures, not a test: delivery -> NetBox latency with IMAP IDLE (20 emails 1-4 s apart; p50/p95/max).
benchmark-idle: venv stack
	$(VENV)/bin/python scripts/idle_latency.py

# Figures, not a test: corpus mutations + a hostile set through the parse workers (scripts/fuzz.py --help).
fuzz: venv
	$(VENV)/bin/python scripts/fuzz.py

# Figures, not a test: OAuth2 token fetches and IMAP logins on the stack's Dovecot, the Graph source on its
# stand-in (medians/p95). Shares the stack: run it alone (flock /tmp/nis-stack.lock make oauth-benchmark).
oauth-benchmark: venv stack
	$(VENV)/bin/python scripts/oauth_benchmark.py
