#!/usr/bin/env bash
# PostgreSQL primary plus one streaming hot-standby replica on loopback, throwaway (trust auth on
# 127.0.0.1 only). Usage: scripts/services/postgres.sh up|down|status|env|stop-primary|start-primary
#   up             initdb + start the primary (wal_level=replica, physical slot `vigil_replica`,
#                  fsync on), pg_basebackup -R the replica, start it; waits until both accept
#                  connections and the primary's pg_stat_replication shows the replica streaming;
#                  creates role and database `vigil`; prints VIGIL_PG_URL and VIGIL_PG_REPLICA_URL
#   stop-primary   fast shutdown of the primary only (fault tests); the replica keeps serving reads
#   start-primary  starts the primary again on the same data and waits until the replica streams
# The servers refuse to run as root, so they run as the `postgres` OS user; their data and log dirs
# under the state dir belong to it. Unix sockets are off: everything goes over 127.0.0.1.
SVC=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$SERVICES_DIR/postgres"
PRIMARY="$DIR/primary"
REPLICA="$DIR/replica"
LOGS="$DIR/log"
SLOT=vigil_replica
PG_USER=postgres

pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && echo "$d"
}

ensure_installed() {
  if [ -z "$(pg_bin)" ]; then bash "$SERVICES_ROOT/scripts/services/install.sh" postgresql; fi
  BIN="$(pg_bin)" || die "no PostgreSQL binaries under /usr/lib/postgresql after installing"
  id "$PG_USER" >/dev/null 2>&1 || die "OS user $PG_USER missing (the postgresql package creates it)"
}

# as_pg CMD…: runs a PostgreSQL binary as the postgres OS user (it refuses root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

# ports: the two loopback ports, chosen free at first `up` and kept in the state dir after.
ports() {
  P_PORT="$(port_of postgres primary)"
  R_PORT="$(port_of postgres replica)"
}

# psql_at PORT SQL: one statement as the superuser over TCP; prints unaligned tuples only.
psql_at() { as_pg "$BIN/psql" -X -q -At -h 127.0.0.1 -p "$1" -U postgres -d postgres -v ON_ERROR_STOP=1 -c "$2"; }

ready() { as_pg "$BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -d postgres -U postgres; }

# The replica is attached when the primary reports a streaming WAL sender on our slot.
streaming() {
  [ "$(psql_at "$P_PORT" "SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s
     ON s.active_pid = r.pid WHERE s.slot_name = '$SLOT' AND r.state = 'streaming'")" = 1 ]
}

running() { [ -s "$1/postmaster.pid" ] && kill -0 "$(head -n 1 "$1/postmaster.pid")" 2>/dev/null; }

# start_server DATADIR LOGNAME: pg_ctl forks the postmaster into its own session, so it outlives
# this shell; -w waits until it accepts connections (or is a ready hot standby). `9>&-`: the server
# must not inherit the lock's descriptor, or it would hold the lock for its whole life.
start_server() {
  running "$1" && return 0
  as_pg "$BIN/pg_ctl" -D "$1" -l "$LOGS/$2.log" -w -t 120 start >/dev/null 9>&- ||
    die "$2 did not start; see $LOGS/$2.log"
}

stop_server() {
  if running "$1"; then as_pg "$BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null || true; fi
}

init_primary() {
  [ -s "$PRIMARY/PG_VERSION" ] && return 0
  rm -rf "$PRIMARY"
  install -d -o "$PG_USER" -m 700 "$PRIMARY"
  # --no-sync only skips initdb's own final flush (the files are recreated if a crash loses them);
  # the running server keeps fsync on.
  as_pg "$BIN/initdb" -D "$PRIMARY" -U postgres --auth=trust --no-sync --no-instructions \
    -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 || die "initdb failed; see $LOGS/initdb.log"
  cat >>"$PRIMARY/postgresql.conf" <<EOF
# --- vigil throwaway test instance ---
listen_addresses = '127.0.0.1'
port = $P_PORT
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
fsync = on
shared_buffers = 64MB
max_connections = 200
wal_retrieve_retry_interval = 1s
EOF
  # Trust on loopback TCP only; no local (socket) or remote lines at all.
  cat >"$PRIMARY/pg_hba.conf" <<EOF
host all         all 127.0.0.1/32 trust
host replication all 127.0.0.1/32 trust
EOF
}

# Each step checks first, so an `up` interrupted half-way finishes the job on the next run.
ensure_objects() {
  [ "$(psql_at "$P_PORT" "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'")" = 1 ] ||
    psql_at "$P_PORT" "SELECT pg_create_physical_replication_slot('$SLOT')" >/dev/null
  [ "$(psql_at "$P_PORT" "SELECT count(*) FROM pg_roles WHERE rolname = 'vigil'")" = 1 ] ||
    psql_at "$P_PORT" "CREATE ROLE vigil LOGIN" >/dev/null
  [ "$(psql_at "$P_PORT" "SELECT count(*) FROM pg_database WHERE datname = 'vigil'")" = 1 ] ||
    psql_at "$P_PORT" "CREATE DATABASE vigil OWNER vigil" >/dev/null
}

init_replica() {
  [ -s "$REPLICA/PG_VERSION" ] && return 0
  rm -rf "$REPLICA"
  install -d -o "$PG_USER" -m 700 "$REPLICA"
  # -R writes standby.signal and primary_conninfo/primary_slot_name; -X stream copies the WAL of
  # the backup window over a second connection.
  as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$P_PORT" -U postgres -D "$REPLICA" -R -S "$SLOT" \
    -X stream -c fast >"$LOGS/basebackup.log" 2>&1 || die "pg_basebackup failed; see $LOGS/basebackup.log"
  # The copied postgresql.conf carries the primary's port; a later line wins.
  echo "port = $R_PORT" >>"$REPLICA/postgresql.conf"
}

env_lines() {
  write_env postgres \
    "VIGIL_PG_URL=postgres://vigil@127.0.0.1:$P_PORT/vigil" \
    "VIGIL_PG_REPLICA_URL=postgres://vigil@127.0.0.1:$R_PORT/vigil"
}

lock() { svc_lock "$DIR/lock" 600; }

cmd="${1:-}"
case "$cmd" in
  up)
    ensure_installed
    mkdir -p "$DIR"
    # The servers open their data dirs as the postgres user: every directory above must let it in.
    as_pg test -x "$DIR" ||
      die "user $PG_USER cannot enter $DIR (a parent directory is private); set VIGIL_SERVICES_DIR elsewhere"
    lock
    ports
    if running "$PRIMARY" && running "$REPLICA" && ready "$P_PORT" && ready "$R_PORT" && streaming; then
      env_lines
      exit 0
    fi
    install -d -o "$PG_USER" -m 755 "$LOGS"
    init_primary
    start_server "$PRIMARY" primary
    ensure_objects
    init_replica
    start_server "$REPLICA" replica
    wait_until 60 "primary to accept connections" ready "$P_PORT"
    wait_until 60 "replica to accept connections" ready "$R_PORT"
    wait_until 60 "replica to stream from the primary" streaming
    env_lines
    ;;
  down)
    [ -d "$DIR" ] || exit 0
    BIN="$(pg_bin)" || true
    lock
    if [ -n "${BIN:-}" ]; then
      stop_server "$REPLICA"
      stop_server "$PRIMARY"
    fi
    # A server that would not stop keeps its files (rather than deleting data under a live process).
    if running "$REPLICA" || running "$PRIMARY"; then die "a server is still running; not deleting $DIR"; fi
    rm -rf "$DIR"
    ;;
  status)
    [ -d "$DIR" ] || exit 1
    BIN="$(pg_bin)" || exit 1
    ports
    running "$PRIMARY" && running "$REPLICA" && ready "$P_PORT" && ready "$R_PORT"
    ;;
  env)
    print_env postgres
    ;;
  stop-primary)
    ensure_installed
    [ -d "$DIR" ] || die "not set up; run up first"
    lock
    stop_server "$PRIMARY"
    ! running "$PRIMARY" || die "primary did not stop"
    ;;
  start-primary)
    ensure_installed
    [ -d "$DIR" ] || die "not set up; run up first"
    lock
    ports
    [ -s "$PRIMARY/PG_VERSION" ] || die "no primary data; run up first"
    start_server "$PRIMARY" primary
    wait_until 60 "primary to accept connections" ready "$P_PORT"
    # wal_retrieve_retry_interval = 1s: the replica reconnects within about a second.
    wait_until 60 "replica to stream from the primary again" streaming
    ;;
  *)
    echo "usage: $0 up|down|status|env|stop-primary|start-primary" >&2
    exit 2
    ;;
esac
