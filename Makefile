# The two promises: `make run` and `make test` work on a fresh Debian machine, as root.
.PHONY: install run test lint format

install:
	@bash scripts/install.sh

run: install
	@bash scripts/run.sh

test: install
	@bash scripts/with-test-services.sh bash scripts/test-suite.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .
