#!/usr/bin/env bash
# Redis Cluster of 3 masters + 3 replicas on loopback, throwaway (no auth, AOF on).
# Usage: scripts/services/redis.sh up|down|status|env|kill-master|start-node PORT
#   up              start the six nodes (creating the cluster the first time), wait until every node
#                   reports cluster_state:ok and the cluster has 3 masters each with a replica; prints
#                   VIGIL_REDIS_NODES=127.0.0.1:p1,…,127.0.0.1:p6. A node left down (by kill-master
#                   or a crash) is started again; if the cluster cannot recover, it is recreated.
#   kill-master     kill -9 one current master (fault tests); prints its port
#   start-node PORT start that node again on its data; it rejoins (as a replica after a failover)
# Debian's redis-server package is only used for its binaries: its own service is never started
# (install.sh blocks it); each node runs from its own dir/conf/log under the state dir, started
# detached by redis itself (daemonize yes, pidfile). cluster-node-timeout is short (2 s) so that a
# replica takes over within a few seconds of its master's death. The cluster bus listens on a
# port chosen free separately (`cluster-port`), not on the default client port + 10000.
SVC=redis
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$(svc_dir redis)"
NODES=(1 2 3 4 5 6)
NODE_TIMEOUT_MS=2000

# One action at a time per state dir: test files run in parallel and may all call `up` at once
# (even choosing the ports below must not race). The lock file sits beside the state dir, which
# `down` deletes; daemons are started with fd 9 closed so they do not keep holding it (svc_lock).
case "${1:-}" in
up | down | kill-master | start-node)
  svc_lock "$SERVICES_DIR/redis.lock" 600
  ;;
esac

ensure_installed() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    bash "$SERVICES_ROOT/scripts/services/install.sh" redis-server
  fi
  command -v redis-server >/dev/null || die "redis-server missing after installing"
}

# Twelve distinct ports (client + bus per node), each chosen free the first time and kept.
declare -A PORT BUS
for i in "${NODES[@]}"; do
  PORT[$i]="$(port_of redis "node$i")"
  BUS[$i]="$(port_of redis "bus$i")"
done
# free_port may hand out one port twice across calls; re-pick duplicates.
used=" "
for i in "${NODES[@]}"; do
  for kind in node bus; do
    f="$DIR/port.$kind$i"
    while [[ "$used" == *" $(cat "$f") "* ]]; do free_port >"$f"; done
    used+="$(cat "$f") "
  done
  PORT[$i]="$(cat "$DIR/port.node$i")"
  BUS[$i]="$(cat "$DIR/port.bus$i")"
done

node_dir() { echo "$DIR/n$1"; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
# A killed daemon can stay a zombie for a while (nothing reaps it at once), and kill -0 still
# succeeds on a zombie: alive means running and not Z.
node_alive() {
  local f
  f="$(node_dir "$1")/redis.pid"
  pid_alive "$f" && [[ "$(ps -o stat= -p "$(cat "$f")")" != Z* ]]
}
port_closed() { ! port_open "$1"; }

# index_of PORT: the node number (1..6) that listens on PORT.
index_of() {
  local i
  for i in "${NODES[@]}"; do [ "${PORT[$i]}" = "$1" ] && { echo "$i"; return 0; }; done
  return 1
}

write_conf() {
  local i=$1 d
  d="$(node_dir "$i")"
  mkdir -p "$d"
  cat >"$d/redis.conf" <<EOF
# --- vigil throwaway cluster node $i ---
bind 127.0.0.1
port ${PORT[$i]}
protected-mode no
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
dir $d
cluster-enabled yes
cluster-port ${BUS[$i]}
cluster-config-file nodes.conf
cluster-node-timeout $NODE_TIMEOUT_MS
# A replica may always be promoted, however long it was disconnected: availability over the last
# writes, which suits throwaway test data (WAIT is how a test makes sure a write is replicated).
cluster-replica-validity-factor 0
appendonly yes
appendfsync everysec
save ""
# Replicas sync right away instead of waiting 5 s for more replicas to share one transfer.
repl-diskless-sync-delay 0
EOF
}

start_node() {
  local i=$1 d
  d="$(node_dir "$i")"
  node_alive "$i" && return 0
  [ -s "$d/redis.conf" ] || write_conf "$i"
  # 9>&-: the daemon must not inherit (and so keep holding) the action lock.
  redis-server "$d/redis.conf" 9>&- || die "node $i did not start; see $d/redis.log"
  wait_until 30 "redis node $i on port ${PORT[$i]}" cli "${PORT[$i]}" ping
}

node_ok() { cli "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; }

# A replica's link to its master is up (initial sync done); true for a master.
synced() { ! cli "$1" info replication | grep -q '^master_link_status:down'; }

# Ready: all six nodes answer and say cluster_state:ok, every replica has synced, and node 1
# sees 3 healthy masters that hold slots, each with a connected, healthy replica.
all_ok() {
  local i
  for i in "${NODES[@]}"; do node_ok "${PORT[$i]}" && synced "${PORT[$i]}" || return 1; done
  cli "${PORT[1]}" cluster nodes | awk '
    $3 ~ /fail/ || $8 != "connected" { bad = 1 }
    $3 ~ /master/ && NF >= 9 { masters[$1] = 1; nm++ }
    $3 ~ /slave/ { replicated[$4] = 1 }
    END {
      if (bad || nm != 3) exit 1
      for (m in masters) if (!(m in replicated)) exit 1
    }'
}

create_cluster() {
  local addrs=() i
  for i in "${NODES[@]}"; do addrs+=("127.0.0.1:${PORT[$i]}"); done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 ||
    die "redis-cli --cluster create failed; see $DIR/create.log"
  touch "$DIR/created"
}

stop_all() {
  local i
  for i in "${NODES[@]}"; do
    # SHUTDOWN NOSAVE: no snapshot to write for throwaway data; stop_pid waits for the exit.
    node_alive "$i" && cli "${PORT[$i]}" shutdown nosave >/dev/null 2>&1 || true
    stop_pid "$(node_dir "$i")/redis.pid" 10
  done
}

wipe() {
  stop_all
  local i
  for i in "${NODES[@]}"; do rm -rf "$(node_dir "$i")"; done
  rm -f "$DIR/created" "$DIR/create.log"
}

nodes_env() {
  local list="" i
  for i in "${NODES[@]}"; do list+="${list:+,}127.0.0.1:${PORT[$i]}"; done
  echo "VIGIL_REDIS_NODES=$list"
}

up() {
  ensure_installed
  if all_ok 2>/dev/null; then write_env redis "$(nodes_env)"; return 0; fi
  if [ -e "$DIR/created" ]; then
    # Restart what is down on its data (nodes.conf + AOF); give the cluster a bounded time to
    # converge, and recreate it from scratch if it does not (it only ever holds test data).
    local i
    for i in "${NODES[@]}"; do start_node "$i"; done
    if (wait_until 30 "cluster_state:ok on every node" all_ok); then
      write_env redis "$(nodes_env)"
      return 0
    fi
    log "cluster did not recover; recreating it"
  fi
  wipe
  for i in "${NODES[@]}"; do start_node "$i"; done
  create_cluster
  wait_until 60 "cluster_state:ok on every node" all_ok
  write_env redis "$(nodes_env)"
}

kill_master() {
  local i nodes port=""
  for i in "${NODES[@]}"; do
    node_alive "$i" && nodes="$(cli "${PORT[$i]}" cluster nodes 2>/dev/null)" && break
  done
  [ -n "${nodes:-}" ] || die "no node answers"
  # A master that holds slots and is not marked failed; its address field is ip:port@bus.
  port="$(awk '$3 ~ /master/ && $3 !~ /fail/ && $8 == "connected" && NF >= 9 {
    split($2, a, "[:@]"); print a[2]; exit }' <<<"$nodes")"
  [ -n "$port" ] || die "no healthy master found"
  i="$(index_of "$port")" || die "master port $port is not one of ours"
  local pid
  pid="$(cat "$(node_dir "$i")/redis.pid")"
  kill -9 "$pid"
  wait_until 10 "killed node $i to close port $port" port_closed "$port"
  echo "$port"
}

start_one() {
  local port=${1:?usage: redis.sh start-node PORT} i
  i="$(index_of "$port")" || die "port $port is not a node of this cluster"
  start_node "$i"
  wait_until 60 "cluster_state:ok on every node" all_ok
}

case "${1:-}" in
up) up ;;
down) wipe; rm -rf "$DIR" ;;
status) all_ok ;;
env) print_env redis ;;
kill-master) kill_master ;;
start-node) start_one "${2:-}" ;;
*) die "usage: redis.sh up|down|status|env|kill-master|start-node PORT" ;;
esac
