#!/usr/bin/env bash
# Creates (or completes) `.venv-clients/` at the repository root with the third-party Python
# clients that integration tests drive against Vigil: the InfluxDB 2.x client (`influxdb-client`)
# and the 1.x client (`influxdb`). Idempotent: a venv holding the pinned versions is left as it is.
# Prints the venv's python path on stdout. Needs python3 with venv (Debian: python3-venv) and PyPI.
set -euo pipefail

PINS=(influxdb-client==1.50.0 influxdb==5.3.2)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VIGIL_CLIENTS_VENV:-$ROOT/.venv-clients}"
PY="$VENV/bin/python"

have_pins() {
  [[ -x "$PY" ]] || return 1
  local frozen pin
  frozen="$("$PY" -m pip freeze --disable-pip-version-check 2>/dev/null)" || return 1
  for pin in "${PINS[@]}"; do grep -qix "$pin" <<<"$frozen" || return 1; done
}

# One install at a time: test files may ask for the venv in parallel.
mkdir -p "$(dirname "$VENV")"
exec 9>"$VENV.lock"
flock -w 600 9 || { echo "pyclients.sh: another install held $VENV.lock for 600 s" >&2; exit 1; }

if ! have_pins; then
  command -v python3 >/dev/null || { echo "pyclients.sh: python3 not found" >&2; exit 1; }
  if [[ ! -x "$PY" ]]; then
    python3 -m venv "$VENV" >&2 || {
      echo "pyclients.sh: 'python3 -m venv' failed (on Debian: apt-get install python3-venv)" >&2
      exit 1
    }
  fi
  "$PY" -m pip install --disable-pip-version-check --quiet "${PINS[@]}" >&2 || {
    echo "pyclients.sh: pip install ${PINS[*]} failed (is PyPI reachable? PIP_INDEX_URL sets a mirror)" >&2
    exit 2
  }
fi
echo "$PY"
