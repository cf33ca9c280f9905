.PHONY: run test lint bench setup clean wheels

run:  ## Odoo 18 on http://localhost:8069 with the demo clinic database
	bash scripts/run.sh

test:  ## fresh test database, then the whole suite (skips fail)
	bash scripts/test.sh

lint:  ## pre-commit hooks on every file
	bash scripts/setup.sh
	.venv/bin/pre-commit run --all-files --show-diff-on-failure

wheels:  ## the add-ons as wheels, installed from site-packages of a clean venv on a fresh database
	bash scripts/check_wheels.sh

bench:  ## queries and time per booking and per cron item, 100 vs 10,000 appointments
	bash scripts/benchmark.sh

setup:
	bash scripts/setup.sh

clean:
	rm -rf .venv .odoo-data .odoo-*.conf
