#!/usr/bin/env bash
# The README's second command (and CI's, .ci/run): installs everything the tests need (Debian
# Chromium and redis-server included; svdash and its test tools into .venv, Python 3.11+) and
# runs ruff and the suite. Arguments go to pytest, e.g. bash scripts/test.sh tests/test_cli.py -x
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

# Debian packages the tests use: Chromium (image exports) and its headless shell (browser tests:
# the same Blink, a third less CPU a page), redis-server (the
# scale-out test's shared cache), LibreOffice Writer (headless, the report pack's PDF) and
# poppler-utils (pdftotext and pdfinfo, to read that PDF back); each installed only when its
# command is not on PATH.
debs=()
command -v chromium >/dev/null 2>&1 || debs+=(chromium chromium-driver)
command -v chromium-headless-shell >/dev/null 2>&1 || debs+=(chromium-headless-shell)
command -v redis-server >/dev/null 2>&1 || debs+=(redis-server)
command -v soffice >/dev/null 2>&1 || debs+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || debs+=(poppler-utils)
if [ "${#debs[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${debs[@]}" >/dev/null
fi
. scripts/venv.sh
svdash_venv "$root" "[test]"

# axe-core for tests/browser/test_accessibility.py: a pinned release fetched once with `npm pack`
# (npm's own configured registry) into a gitignored cache, and checked against its sha512 integrity.
AXE_VERSION="4.14.1"
AXE_INTEGRITY="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
AXE_DIR=".cache/axe-core"
if [ ! -s "$AXE_DIR/axe.min.js" ] || [ "$(cat "$AXE_DIR/VERSION" 2>/dev/null)" != "$AXE_VERSION" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "ERROR: npm is needed once to fetch axe-core $AXE_VERSION (Debian/Ubuntu: apt-get install npm)" >&2
    exit 1
  fi
  mkdir -p "$AXE_DIR"
  pack="$(mktemp -d)"
  trap 'rm -rf "$pack"' EXIT
  npm pack "axe-core@$AXE_VERSION" --pack-destination "$pack" --silent >/dev/null
  tgz="$pack/axe-core-$AXE_VERSION.tgz"
  got="$(.venv/bin/python -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$tgz")"
  if [ "$got" != "$AXE_INTEGRITY" ]; then
    echo "ERROR: axe-core-$AXE_VERSION.tgz integrity mismatch" >&2
    echo "  expected $AXE_INTEGRITY" >&2
    echo "  got      $got" >&2
    exit 1
  fi
  tar -xzf "$tgz" -C "$AXE_DIR" --strip-components=1 package/axe.min.js package/LICENSE
  echo "$AXE_VERSION" > "$AXE_DIR/VERSION"
  rm -rf "$pack"
  trap - EXIT
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
# On every core, a test file to a worker (files share module fixtures: warehouses, servers),
# the costliest files first (tests/conftest.py: HEAVIEST_FIRST) so none runs alone at the end.
.venv/bin/python -m pytest -q --durations=20 -n auto --dist loadfile --no-loadscope-reorder "$@"
