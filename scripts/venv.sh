# Sourced by scripts/serve.sh and scripts/test.sh: make sure .venv (in the repository) exists,
# runs Python 3.11+, and has svdash installed into it (editable), so nothing is ever installed
# into the system Python (Debian and Ubuntu refuse that: PEP 668, externally-managed-environment).
#
# svdash_venv ROOT [EXTRAS]   e.g. svdash_venv "$root" "[test]"
# Choose the interpreter with PYTHON=/path/to/python3.x; otherwise the first of python3,
# python3.13, python3.12, python3.11 that is 3.11 or newer.

_svdash_sudo() {
  if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi
}

_svdash_python() {
  local py
  for py in ${PYTHON:-} python3 python3.13 python3.12 python3.11; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$py"
      return 0
    fi
  done
  echo "ERROR: svdash needs Python 3.11 or newer (python3 --version); set PYTHON=/path/to/python3.x" >&2
  return 1
}

svdash_venv() {
  local root="$1" extras="${2:-}" venv="$1/.venv" py ver want have
  if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
    py="$(_svdash_python)" || return 1
    echo "Creating $venv with $("$py" --version 2>&1)" >&2
    rm -rf "$venv"
    if ! "$py" -m venv "$venv" >/dev/null 2>&1; then
      # Debian and Ubuntu ship venv's ensurepip separately (python3.X-venv).
      rm -rf "$venv"
      ver="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
      if ! command -v apt-get >/dev/null 2>&1; then
        echo "ERROR: '$py -m venv' failed; install your distribution's venv package for Python $ver" >&2
        return 1
      fi
      echo "Installing python$ver-venv (Debian/Ubuntu ship venv separately)" >&2
      _svdash_sudo apt-get update -qq
      _svdash_sudo apt-get install -y -qq "python$ver-venv" >/dev/null
      "$py" -m venv "$venv"
    fi
  fi
  # Install again only when pyproject.toml changed, or for extras not installed yet.
  want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
  have="$(cat "$venv/.svdash-installed" 2>/dev/null || true)"
  if [ "$have" != "$want $extras" ] && { [ -n "$extras" ] || [ "${have%% *}" != "$want" ]; }; then
    echo "Installing svdash$extras into $venv (the first time takes a few minutes)" >&2
    "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root$extras"
    echo "$want $extras" > "$venv/.svdash-installed"
  fi
}
