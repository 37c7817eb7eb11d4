#!/usr/bin/env bash
# PostgreSQL for the class poll's tests (tests/classroom): installs Debian's (or Ubuntu's)
# `postgresql` package if its server binaries are absent. Nothing is started here: the tests
# start a throwaway server themselves (initdb into a temporary folder, run as the `postgres`
# user the package creates, on a free port on 127.0.0.1) and stop it afterwards.
# Works as root or, for another user, with sudo. Idempotent: a second run installs nothing.
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

have_server() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; }

if ! have_server; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
have_server || { echo "postgres.sh: no /usr/lib/postgresql/*/bin/initdb after installing" >&2; exit 1; }

# as root the tests run initdb and the server as `postgres` (initdb refuses root)
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || { echo "postgres.sh: no 'postgres' user" >&2; exit 1; }
  command -v runuser >/dev/null || { echo "postgres.sh: runuser (util-linux) missing" >&2; exit 1; }
fi
ls -d /usr/lib/postgresql/*/bin | tail -n 1 | sed 's|^|postgres.sh: PostgreSQL server binaries in |'
