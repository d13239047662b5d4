#!/usr/bin/env bash
# A real Kubernetes API server on loopback for the chart's install test: etcd (Debian etcd-server)
# and kube-apiserver, with a throwaway PKI made by openssl. No kubelet, scheduler or controllers:
# objects are admitted, validated and stored by the real API server, but no pod runs.
# Usage: scripts/services/kube.sh up|down|status|env|tools
#   tools  build kube-apiserver (once, cached) and print its path
#   up     start etcd and kube-apiserver if not running, wait until /readyz answers; prints
#          KUBECONFIG=<state dir>/kubeconfig (an admin client certificate, group system:masters)
# kube-apiserver is built from the Go module proxy by deploy/tools/kube (k8s.io/kubernetes with its
# staging modules replaced by the published ones), with the version ldflags the chart's kubeVersion
# check reads. The binary is cached in ${XDG_CACHE_HOME:-~/.cache}/vigil/bin/kube-<version>, the Go
# build cache (~2.5 GB) in ${XDG_CACHE_HOME:-~/.cache}/vigil/go-build: the cold build takes long
# (see docs/deployment.md), a rebuild with a warm cache well under a minute.
SVC=kube
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

K8S_VERSION=v1.37.0
MODULE="$SERVICES_ROOT/deploy/tools/kube"
BIN_DIR="${VIGIL_TOOLS_BIN:-$SERVICES_CACHE/bin}"
GO_CACHE="$SERVICES_CACHE/go-build"
APISERVER="$BIN_DIR/kube-$K8S_VERSION/kube-apiserver"

case "${1:-}" in
up | down) svc_lock "$SERVICES_DIR/kube.lock" 600 ;;
esac

go_cmd() {
  if command -v go >/dev/null 2>&1; then echo go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else die "needs Go 1.26 or newer on PATH (it builds kube-apiserver from the Go module proxy)"
  fi
}

tools() {
  if [ -x "$APISERVER" ]; then echo "$APISERVER"; return; fi
  exec 7>"$SERVICES_CACHE/kube-build.lock"
  flock -w 3600 7 || die "another build held $SERVICES_CACHE/kube-build.lock for an hour"
  if [ -x "$APISERVER" ]; then echo "$APISERVER"; return; fi
  local go tmp start=$SECONDS v=k8s.io/component-base/version minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  go="$(go_cmd)"
  mkdir -p "$BIN_DIR" "$GO_CACHE"
  tmp="$(mktemp -d "$BIN_DIR/.kube-build.XXXXXX")"
  log "building kube-apiserver $K8S_VERSION from the Go module proxy (once; long on a cold cache)…"
  (cd "$MODULE" && GOCACHE="$GO_CACHE" GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -buildvcs=false \
    -ldflags "-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
    -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver) >&2 ||
    { rm -rf "$tmp"; die "building kube-apiserver failed"; }
  mkdir -p "$(dirname "$APISERVER")"
  mv -f "$tmp/kube-apiserver" "$APISERVER"
  rm -rf "$tmp"
  log "kube-apiserver built in $((SECONDS - start))s: $APISERVER"
  echo "$APISERVER"
}

DIR="$(svc_dir kube)"
PKI="$DIR/pki"
ETCD_PID="$DIR/etcd.pid"
API_PID="$DIR/apiserver.pid"

ensure_installed() {
  command -v etcd >/dev/null || bash "$SERVICES_ROOT/scripts/services/install.sh" etcd-server
  command -v etcd >/dev/null || die "etcd missing after installing etcd-server"
  command -v openssl >/dev/null || die "needs openssl"
}

# A CA; the server's certificate for 127.0.0.1; an admin client in system:masters; the key pair
# that signs service-account tokens.
make_pki() {
  [ -s "$PKI/admin.crt" ] && return
  mkdir -p "$PKI"
  local o="openssl"
  (
    cd "$PKI"
    $o req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=vigil-test-ca -keyout ca.key -out ca.crt
    $o req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    $o x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt
    $o req -newkey rsa:2048 -nodes -subj /O=system:masters/CN=vigil-admin -keyout admin.key -out admin.csr
    printf 'extendedKeyUsage=clientAuth\n' >admin.ext
    $o x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile admin.ext -out admin.crt
    $o genrsa -out sa.key 2048
    $o rsa -in sa.key -pubout -out sa.pub
  ) >"$DIR/pki.log" 2>&1 || die "making the PKI failed (log: $DIR/pki.log)"
}

api_ready() {
  curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "https://127.0.0.1:$(port_of kube api)/readyz" >/dev/null
}
etcd_ready() { curl -sf "http://127.0.0.1:$(port_of kube etcd)/health" >/dev/null; }
running() { pid_alive "$API_PID" && api_ready; }

write_kubeconfig() {
  cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: vigil-test
    cluster:
      server: https://127.0.0.1:$(port_of kube api)
      certificate-authority: $PKI/ca.crt
users:
  - name: admin
    user:
      client-certificate: $PKI/admin.crt
      client-key: $PKI/admin.key
contexts:
  - name: vigil-test
    context: { cluster: vigil-test, user: admin, namespace: default }
current-context: vigil-test
EOF
}

up() {
  local apiserver
  apiserver="$(tools)"
  ensure_installed
  if running; then write_env kube "KUBECONFIG=$DIR/kubeconfig"; return; fi
  stop_pid "$API_PID" 5
  stop_pid "$ETCD_PID" 5
  make_pki
  local etcd_port peer_port api_port
  etcd_port="$(port_of kube etcd)"
  peer_port="$(port_of kube etcdpeer)"
  api_port="$(port_of kube api)"
  mkdir -p "$DIR/etcd"
  etcd --name vigil --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "vigil=http://127.0.0.1:$peer_port" >"$DIR/etcd.log" 2>&1 9>&- &
  echo $! >"$ETCD_PID"
  await_started "$ETCD_PID" "$DIR/etcd.log" "etcd did not answer" etcd_ready
  # The advertise address must not be loopback; nothing is ever sent to this placeholder (no
  # endpoint reconciler).
  "$apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address 10.0.0.1 \
    --endpoint-reconciler-type none --service-cluster-ip-range 10.96.0.0/16 \
    --tls-cert-file "$PKI/server.crt" --tls-private-key-file "$PKI/server.key" \
    --client-ca-file "$PKI/ca.crt" --authorization-mode RBAC \
    --service-account-issuer https://kubernetes.default.svc --service-account-key-file "$PKI/sa.pub" \
    --service-account-signing-key-file "$PKI/sa.key" --cert-dir "$DIR/certs" >"$DIR/apiserver.log" 2>&1 9>&- &
  echo $! >"$API_PID"
  await_started "$API_PID" "$DIR/apiserver.log" "kube-apiserver was not ready" api_ready
  write_kubeconfig
  write_env kube "KUBECONFIG=$DIR/kubeconfig"
}

down() {
  stop_pid "$API_PID" 20
  stop_pid "$ETCD_PID" 20
  rm -rf "$DIR"
}

service_main "${1:-}" tools
