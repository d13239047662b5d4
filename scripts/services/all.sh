#!/usr/bin/env bash
# Runs an action on every service script: `all.sh down` stops everything the tests or
# `npm run cluster` started (the cluster's role processes too); `all.sh status` lists them.
set -uo pipefail
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
action=${1:-status}
if [ "$action" = down ] && [ -f "$dir/../cluster.mjs" ]; then
  node "$dir/../cluster.mjs" down --keep-services >/dev/null 2>&1 || true
  for d in "${VIGIL_SERVICES_DIR:-$dir/../../.services}"/cluster-*/; do
    [ -d "$d" ] || continue
    name=$(basename "$d"); name=${name#cluster-}
    node "$dir/../cluster.mjs" down --name "$name" --keep-services >/dev/null 2>&1 || true
  done
fi
# Private service sets of test files (.services/stack-*) go down with their deployments.
if [ "$action" = down ]; then
  for d in "${VIGIL_SERVICES_DIR:-$dir/../../.services}"/stack-*/; do
    [ -d "$d" ] || continue
    for c in "$d"cluster-*/; do
      [ -d "$c" ] || continue
      name=$(basename "$c"); name=${name#cluster-}
      VIGIL_SERVICES_DIR="$d" node "$dir/../cluster.mjs" down --name "$name" --keep-services >/dev/null 2>&1 || true
    done
    for svc in nginx kafka postgres redis influxdb alertmanager mlflow; do
      VIGIL_SERVICES_DIR="$d" bash "$dir/$svc.sh" down >/dev/null 2>&1 || true
    done
    rm -rf "$d"
  done
fi
rc=0
for svc in nginx kafka postgres redis influxdb alertmanager mlflow kube; do
  [ -f "$dir/$svc.sh" ] || continue
  if [ "$action" = status ]; then
    if bash "$dir/$svc.sh" status >/dev/null 2>&1; then echo "$svc: running"; else echo "$svc: stopped"; fi
  else
    bash "$dir/$svc.sh" "$action" || rc=1
  fi
done
exit $rc
