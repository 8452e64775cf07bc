# The two promises: `make run` and `make test` work on a fresh Debian machine, as root.
.PHONY: install run dev test test-on lint format

install:
	@bash scripts/install.sh

run: install
	@bash scripts/run.sh

# run's services with `manage.py runserver` (auto-reload, DEBUG on) in place of gunicorn.
dev: install
	@bash scripts/run.sh --dev

test: install
	@bash scripts/with-test-services.sh bash scripts/test-suite.sh

# The whole suite with the clock moved, e.g. make test-on DATE=2028-02-29 (or DATE="2027-03-28 00:30").
test-on: install
	@test -n "$(DATE)" || { echo "Say when: make test-on DATE=2028-02-29"; exit 2; }
	@TEST_DATE="$(DATE)" bash scripts/with-test-services.sh bash scripts/test-suite.sh

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .
