#!/usr/bin/env bash
# Creates (or completes) the benchmark venv `.venv-bench/` at the repository root with the peer
# libraries that `vigil bench peers` runs: River (HalfSpaceTrees) and rrcf. Idempotent: a venv
# that already holds the pinned versions is left as it is. Needs python3 ≥ 3.10 with venv and
# PyPI reachable (directly or through pip's configured index).
set -euo pipefail

# Pinned together: river 0.26.1 resolves numpy/scipy/narwhals to these on Python 3.11.
PINS=(river==0.26.1 rrcf==0.4.4 numpy==2.4.6 scipy==1.17.1 narwhals==2.29.0)
# rrcf 0.4.4 imports pkg_resources, which venvs of Python ≥ 3.12 lack and setuptools ≥ 81 drops.
EXTRA=("setuptools<81")

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VIGIL_BENCH_VENV:-$ROOT/.venv-bench}"
PY="$VENV/bin/python"

versions() {
  "$PY" - <<'PY'
import platform, river, rrcf, numpy
print(f"python {platform.python_version()}  river {river.__version__}  rrcf {getattr(rrcf, '__version__', '0.4.4')}  numpy {numpy.__version__}")
PY
}

have_pins() {
  [[ -x "$PY" ]] || return 1
  local frozen
  frozen="$("$PY" -m pip freeze --disable-pip-version-check 2>/dev/null)" || return 1
  local pin
  for pin in "${PINS[@]}"; do
    grep -qix "$pin" <<<"$frozen" || return 1
  done
  "$PY" -c 'import river, rrcf' >/dev/null 2>&1
}

if have_pins; then
  echo "bench venv ready at $VENV"
  versions
  exit 0
fi

if ! command -v python3 >/dev/null; then
  echo "setup.sh: python3 not found; install Python 3.10+ with the venv module" >&2
  exit 1
fi
if [[ ! -x "$PY" ]]; then
  echo "creating $VENV"
  python3 -m venv "$VENV" || {
    echo "setup.sh: 'python3 -m venv' failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
  }
fi

# Probe the index first so an offline machine gets one clear line instead of pip's retries.
if ! "$PY" -m pip download --disable-pip-version-check --no-deps --quiet --retries 1 --timeout 15 \
  -d "$VENV/.probe" rrcf==0.4.4 >/dev/null 2>&1; then
  rm -rf "$VENV/.probe"
  echo "setup.sh: cannot reach PyPI (pip download rrcf==0.4.4 failed); connect to the network or" \
    "set PIP_INDEX_URL to a mirror, then rerun bench/peers/setup.sh" >&2
  exit 2
fi
rm -rf "$VENV/.probe"

"$PY" -m pip install --disable-pip-version-check --quiet "${PINS[@]}" "${EXTRA[@]}"
versions
