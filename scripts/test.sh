#!/usr/bin/env bash
# Installs everything the tests need (Debian Chromium included) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
fi
python -m pip install -q --disable-pip-version-check -e ".[test]"
ruff check .
python -m pytest -q "$@"
