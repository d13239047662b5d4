#!/usr/bin/env bash
# Shared helpers for scripts/services/<name>.sh. Each service script supports:
#   up      start the service if it is not running (idempotent), wait until ready, print its env
#   down    stop what `up` started and delete its throwaway data
#   status  exit 0 when running and answering, 1 otherwise
#   env     print the `export VIGIL_…=…` lines of the running service
# State lives in $VIGIL_SERVICES_DIR/<name>/ (default <repo>/.services/<name>): pids, ports, data,
# logs and the `env` file. Ports are free loopback ports chosen at first start and kept after.
set -euo pipefail

SERVICES_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SERVICES_DIR="${VIGIL_SERVICES_DIR:-$SERVICES_ROOT/.services}"
# Downloads (Kafka jars) are cached outside the repo so clean clones reuse them.
SERVICES_CACHE="${VIGIL_SERVICES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}"

svc_dir() { mkdir -p "$SERVICES_DIR/$1" && echo "$SERVICES_DIR/$1"; }

log() { echo "[$SVC] $*" >&2; }
die() { echo "[$SVC] error: $*" >&2; exit 1; }

# free_port: prints a TCP port that nothing listens on at 127.0.0.1, below the kernel's ephemeral
# range (ip_local_port_range, 32768-60999 here). A port the kernel hands out for bind(0) comes from
# that range, where every outgoing connection also takes its source port: a slow starter (a Kafka
# broker binds seconds after its port is chosen) lost its port to a parallel test's connection.
free_port() {
  python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
for _ in range(200):
    p = random.randrange(15000, low)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break
else:
    raise SystemExit("free_port: no free port below the ephemeral range")
'
}

# port_of NAME KEY: a port remembered in the state dir under KEY, chosen free the first time.
port_of() {
  local f
  f="$(svc_dir "$1")/port.$2"
  if [ ! -s "$f" ]; then free_port > "$f"; fi
  cat "$f"
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION CMD…: polls CMD every 0.2 s until it succeeds or time runs out.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then die "timed out after ${limit}s waiting for $what"; fi
    sleep 0.2
  done
}

# One action at a time per lock file (test files run in parallel and may all call `up` at once):
# holds fd 9 until the script exits. Daemons MUST be started with fd 9 closed (`9>&-`), or they
# would hold the lock for their lifetime.
svc_lock() { # <lock file> <seconds to wait>
  exec 9>"$1"
  flock -w "$2" 9 || die "another $SVC action held $1 for $2 s"
}

# pid_alive PIDFILE: true when the process recorded in PIDFILE runs.
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop_pid PIDFILE [SECONDS]: TERM, wait, then KILL; removes the pid file.
stop_pid() {
  local f=$1 limit=${2:-20}
  if pid_alive "$f"; then
    local pid; pid="$(cat "$f")"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null; do
      if [ $SECONDS -ge $deadline ]; then kill -9 "$pid" 2>/dev/null || true; break; fi
      sleep 0.1
    done
  fi
  rm -f "$f"
}

# write_env NAME LINES…: records the service's env lines (`VAR=value`) and prints them as exports.
write_env() {
  local name=$1; shift
  local f; f="$(svc_dir "$name")/env"
  : > "$f"
  for line in "$@"; do echo "export $line" >> "$f"; done
  cat "$f"
}

print_env() {
  local f="$SERVICES_DIR/$1/env"
  [ -s "$f" ] || die "not running (no $f); run scripts/services/$1.sh up"
  cat "$f"
}

# await_started PIDFILE LOG WHAT CMD…: polls CMD every 0.2 s for up to 60 s while the process of
# PIDFILE lives. When it dies or time runs out: shows the end of LOG, stops the process and dies
# with "WHAT within 60s".
await_started() {
  local pidfile=$1 logfile=$2 what=$3; shift 3
  local deadline=$((SECONDS + 60))
  until "$@"; do
    if [ $SECONDS -ge $deadline ] || ! pid_alive "$pidfile"; then
      tail -n 20 "$logfile" >&2 || true
      stop_pid "$pidfile" 5
      die "$what within 60s (log: $logfile)"
    fi
    sleep 0.2
  done
}

# service_main ACTION [EXTRA…]: the command line of a single-process service script: up, down
# (functions of the script), status (its `running`), env, and the EXTRA actions it names (functions
# of the same name); anything else prints the usage and exits 2.
service_main() {
  local action=${1:-}; shift || true
  case "$action" in
    up | down) "$action"; return ;;
    status) running; return ;;
    env) print_env "$SVC"; return ;;
  esac
  local extra usage="up|down|status|env"
  for extra in "$@"; do
    if [ "$action" = "$extra" ]; then "$action"; return; fi
    usage="$usage|$extra"
  done
  echo "usage: $0 $usage" >&2
  exit 2
}
