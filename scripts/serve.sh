#!/usr/bin/env bash
# The README's first command: creates .venv (Python 3.11+) and installs svdash into it if needed,
# then runs `svdash serve` (the demo warehouse is built the first time, about 45 s).
# Arguments go to `svdash serve`, e.g. bash scripts/serve.sh --port 8060
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/venv.sh"
svdash_venv "$root"
exec "$root/.venv/bin/svdash" serve "$@"
