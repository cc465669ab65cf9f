#!/usr/bin/env bash
# Install and start the portal on SQLite with demo data; prints the demo logins.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/python manage.py seed_demo
exec .venv/bin/python manage.py runserver "${PORT:-127.0.0.1:8000}"
