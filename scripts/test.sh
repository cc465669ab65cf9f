#!/usr/bin/env bash
# Install everything the suite needs and run the whole suite (lint, then pytest).
# DATABASE_URL selects the database (default: SQLite); extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
# The browser test drives Debian's Chromium (Playwright's own download does not work offline).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get install -y -qq chromium >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }) \
      || echo "warning: could not install chromium; browser tests will fail" >&2
  else
    echo "warning: chromium is missing (apt-get install chromium); browser tests will fail" >&2
  fi
fi
# Chinese text in browser screenshots needs a CJK font (best effort: not needed to pass).
if [ ! -d /usr/share/fonts/truetype/wqy ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 || true
fi
.venv/bin/ruff check --quiet .
.venv/bin/python manage.py makemigrations --check --dry-run -v0
exec .venv/bin/python -m pytest "$@"
