# Two commands matter: `make demo` and `make test`. Everything installs from pyproject.toml + uv.lock.
SHELL := /bin/bash
# uv is the only bootstrap requirement; fall back to `python3 -m uv` after a pip install so a fresh
# machine without uv on PATH still works.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: install test lint typecheck pytest demo sandbox bench bench-scale drills clean

install:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: install
	$(UV) run mypy

pytest: install
	$(UV) run pytest -q

test: lint typecheck pytest

demo: install
	$(UV) run shopsync demo $(DEMO_ARGS)

sandbox: install
	$(UV) run shopsync sandbox

bench: install
	$(UV) run python -m bench.run_all

bench-scale: install
	$(UV) run python -m bench.run_all --only scale

drills: install
	$(UV) run pytest -q -m drill

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache
