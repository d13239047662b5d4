#!/usr/bin/env bash
# A throwaway MLflow tracking server (experiments, runs, model registry, proxied artifacts) on
# loopback: the model registry of scaled-out Vigil in tests and in `npm run cluster`.
#   up | down | status | env      (see lib.sh)
#   install                        only create the venv (CI runs it ahead of the tests)
# MLflow is pinned (MLFLOW_PIN below) and installed with pip into a venv in the shared cache,
# `${VIGIL_MLFLOW_VENV:-~/.cache/vigil/mlflow-<pin>/venv}`, so every clone and CI run reuses it
# (~60 s and ~860 MB the first time; needs python3 with venv and PyPI, or PIP_INDEX_URL). 3.18.0
# does not install (its mlflow-tracing pin is missing on PyPI). The server keeps its backend store
# in SQLite and its artifacts in a local directory, both under the state dir, and serves the
# artifacts itself (`/api/2.0/mlflow-artifacts/...`), so clients need only its one HTTP port.
# Prints `export VIGIL_MLFLOW_URL=http://127.0.0.1:<port>`.
SVC=mlflow
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

MLFLOW_PIN=3.17.2
VENV="${VIGIL_MLFLOW_VENV:-$SERVICES_CACHE/mlflow-$MLFLOW_PIN/venv}"
READY_MARK="$VENV/.vigil-installed"

DIR="$(svc_dir "$SVC")"
PIDFILE="$DIR/mlflow.pid"

health_ok() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health")" = 200 ]
}

running() { pid_alive "$PIDFILE" && [ -s "$DIR/port.http" ] && health_ok "$(cat "$DIR/port.http")"; }

# Test files run in parallel and each calls `up`: one start or stop at a time.
lock() { svc_lock "$DIR/lock" 600; }

# The venv holding mlflow==$MLFLOW_PIN, created once under a lock beside it (clones and test files
# may ask at the same time); the mark file is written only after pip succeeded.
install() {
  if [ -f "$READY_MARK" ] && [ "$(cat "$READY_MARK")" = "mlflow==$MLFLOW_PIN" ]; then return; fi
  command -v python3 >/dev/null || die "python3 not found (MLflow runs in a Python venv)"
  mkdir -p "$(dirname "$VENV")"
  exec 8>"$VENV.lock"
  flock -w 900 8 || die "another install held $VENV.lock for 900 s"
  if [ -f "$READY_MARK" ] && [ "$(cat "$READY_MARK")" = "mlflow==$MLFLOW_PIN" ]; then exec 8>&-; return; fi
  log "installing mlflow==$MLFLOW_PIN into $VENV (about a minute, once per machine)"
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" >&2 || die "'python3 -m venv $VENV' failed (on Debian: apt-get install python3-venv)"
  fi
  "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "mlflow==$MLFLOW_PIN" >&2 ||
    die "pip install mlflow==$MLFLOW_PIN into $VENV failed (is PyPI reachable? PIP_INDEX_URL sets a mirror)"
  [ -x "$VENV/bin/mlflow" ] || die "$VENV/bin/mlflow missing after pip install"
  echo "mlflow==$MLFLOW_PIN" > "$READY_MARK"
  exec 8>&-
  log "installed mlflow==$MLFLOW_PIN"
}

# The server runs in its own session (setsid): its pid is its process group, and `down` stops the
# whole group (uvicorn and its workers).
stop_group() {
  local limit=$1
  if pid_alive "$PIDFILE"; then
    local pid; pid="$(cat "$PIDFILE")"
    kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true; break; fi
      sleep 0.1
    done
  fi
  rm -f "$PIDFILE"
}

up() {
  lock
  if running; then print_env "$SVC"; return; fi
  command -v curl >/dev/null || bash "$SERVICES_ROOT/scripts/services/install.sh" curl
  install
  stop_group 5 # a stale server that stopped answering
  local http
  http="$(port_of "$SVC" http)"
  # A remembered port may have been taken by something else since the last run: pick a new one.
  if port_open "$http"; then
    rm -f "$DIR/port.http"
    http="$(port_of "$SVC" http)"
  fi
  mkdir -p "$DIR/data/artifacts"
  log "starting mlflow $MLFLOW_PIN on 127.0.0.1:$http"
  setsid nohup "$VENV/bin/mlflow" server \
    --backend-store-uri "sqlite:///$DIR/data/mlflow.db" \
    --artifacts-destination "$DIR/data/artifacts" \
    --host 127.0.0.1 --port "$http" --workers 1 \
    > "$DIR/mlflow.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$PIDFILE"
  # Not lib.sh's await_started (60 s): MLflow imports for ~9 s on an idle 2-core machine and took
  # 46 s here at load average 18, so it gets 180 s.
  local deadline=$((SECONDS + 180))
  until health_ok "$http"; do
    if [ $SECONDS -ge $deadline ] || ! pid_alive "$PIDFILE"; then
      tail -n 30 "$DIR/mlflow.log" >&2 || true
      stop_group 5
      die "mlflow did not answer /health within 180s (log: $DIR/mlflow.log)"
    fi
    sleep 0.5
  done
  write_env "$SVC" "VIGIL_MLFLOW_URL=http://127.0.0.1:$http"
}

down() {
  lock
  stop_group 20
  rm -rf "$DIR/data" "$DIR/env"
  log "stopped"
}

service_main "${1:-}" install
