#!/usr/bin/env bash
# Make ./.venv (a virtual environment: Debian 12 and Ubuntu 24.04 refuse `pip install` into the
# system Python) and install a requirements file into it, only when that file changed.
# Usage: bash .ci/venv.sh requirements.txt    (sourced by run-app.sh and .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
req="${1:-requirements.txt}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if [ ! -x .venv/bin/python ]; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" 2>/dev/null; then
    # Debian/Ubuntu ship venv support in a separate package
    echo "installing python3-venv (Debian/Ubuntu) ..."
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  python3 -m venv .venv
fi

# reinstall only when the requirements changed (a stamp of their contents)
stamp=".venv/.lrlab-$(basename "$req").sha256"
want="$(cat "$req" requirements.txt 2>/dev/null | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi
