.venv/bin/pytest tests/reliability -q
