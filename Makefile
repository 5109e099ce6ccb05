# `make run` and `make test` work on a fresh clone: they make .venv themselves.
# The install re-runs only when pyproject.toml changes (the stamp file).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck imports pytest rabbitmq chromium promtool espeak bench clean

run: $(STAMP) espeak
	$(BIN)/qms up

test: $(STAMP) rabbitmq chromium promtool
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

# Bounded (a few minutes): its own RabbitMQ vhost and local processes, all removed
# at the end; prints a summary table. The other bench/*.py scripts run on their own.
bench: $(STAMP) rabbitmq
	$(BIN)/python bench/suite.py

# Starts RabbitMQ when it is installed but down; says how to get it otherwise.
rabbitmq:
	@scripts/ensure-rabbitmq

# The browser tests use Debian's Chromium; installed here when missing (as root).
chromium:
	@scripts/ensure-chromium

# The hall screens' Danish voice (display: GET /display/tts); installed here when
# missing (as root). Never fails: without it the screens use their Danish clips.
espeak:
	@scripts/ensure-espeak-ng

# The metrics tests lint every /metrics and the scrape config with Debian's
# promtool (the prometheus package); installed here when missing (as root).
promtool:
	@scripts/ensure-promtool

# Leaves .venv and var/ (the embedded bus's event log is data, not a build product).
clean:
	rm -rf build *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis test-artifacts
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		echo "error: qms needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>/dev/null || echo 'not found')." >&2; \
		echo "       Install one and run e.g. 'make PYTHON=python3.12 $(MAKECMDGOALS)'." >&2; \
		exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	@$(BIN)/python -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "error: $(VENV) runs Python < 3.11; remove it ('rm -rf $(VENV)') and run make again." >&2; \
		exit 1; }
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@
