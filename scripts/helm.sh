#!/usr/bin/env bash
# The Helm chart's tooling, with no cluster and nothing fetched but Go modules:
#   scripts/helm.sh tools                 build what is missing; print the helm and k8s-validate paths
#   scripts/helm.sh lint [ARGS…]          helm lint --strict deploy/helm/vigil ARGS…
#   scripts/helm.sh template [ARGS…]      helm template vigil deploy/helm/vigil ARGS… (YAML on stdout)
#   scripts/helm.sh validate [ARGS…]      template ARGS… | k8s-validate: every rendered object decoded
#                                         strictly against the Kubernetes API types (exit 1 on a problem)
#   scripts/helm.sh k8s-validate [--json] the validator alone, on the YAML given on stdin
#   scripts/helm.sh helm ARGS…            helm itself
# helm is built from the Go module proxy (helm.sh/helm/v3, pinned below) and k8s-validate from
# deploy/tools/k8s-validate. Both are cached under ${XDG_CACHE_HOME:-~/.cache}/vigil/bin: helm by
# version, the validator by a hash of its sources. A cold helm build takes about 3.5 minutes on
# 2 cores; later calls start at once.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/deploy/helm/vigil"
VALIDATOR_SRC="$ROOT/deploy/tools/k8s-validate"
BIN_DIR="${VIGIL_TOOLS_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/bin}"

HELM_VERSION=v3.22.0
# The Kubernetes version helm assumes without a cluster (Capabilities.KubeVersion, lint's
# deprecation checks): the one its client-go module matches (v0.37 → 1.37), which helm's own
# Makefile passes with -ldflags and `go install` alone would not (it would say 1.20).
HELM_K8S_MINOR=37

die() { echo "scripts/helm.sh: $*" >&2; exit 1; }

go_cmd() {
  if command -v go >/dev/null 2>&1; then echo go
  elif [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go
  else die "needs Go 1.26 or newer on PATH (it builds helm and k8s-validate from the Go module proxy)"
  fi
}

# Builds into a temporary folder and renames it into place, so concurrent callers never see a
# half-written binary.
build_helm() {
  local target="$BIN_DIR/helm-$HELM_VERSION/helm"
  if [ -x "$target" ]; then echo "$target"; return; fi
  local go tmp start=$SECONDS
  go="$(go_cmd)"
  mkdir -p "$BIN_DIR"
  tmp="$(mktemp -d "$BIN_DIR/.helm-build.XXXXXX")"
  echo "scripts/helm.sh: building helm $HELM_VERSION from the Go module proxy (once; minutes)…" >&2
  local x="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in pkg/lint/rules pkg/chartutil; do
    x="$x -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$HELM_K8S_MINOR"
  done
  GOTOOLCHAIN=local GOFLAGS=-mod=mod GOBIN="$tmp" CGO_ENABLED=0 \
    "$go" install -ldflags "-s -w $x" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2 \
    || { rm -rf "$tmp"; die "building helm failed"; }
  mkdir -p "$(dirname "$target")"
  mv -f "$tmp/helm" "$target"
  rm -rf "$tmp"
  echo "scripts/helm.sh: helm built in $((SECONDS - start))s: $target" >&2
  echo "$target"
}

build_validator() {
  local hash target
  hash="$(cd "$VALIDATOR_SRC" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-12)"
  target="$BIN_DIR/k8s-validate-$hash"
  if [ -x "$target" ]; then echo "$target"; return; fi
  local go tmp start=$SECONDS
  go="$(go_cmd)"
  mkdir -p "$BIN_DIR"
  tmp="$(mktemp "$BIN_DIR/.k8s-validate.XXXXXX")"
  echo "scripts/helm.sh: building k8s-validate…" >&2
  (cd "$VALIDATOR_SRC" && GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -buildvcs=false -ldflags "-s -w" -o "$tmp" .) >&2 \
    || { rm -f "$tmp"; die "building k8s-validate failed"; }
  mv -f "$tmp" "$target"
  # Builds of earlier sources are of no further use.
  find "$BIN_DIR" -maxdepth 1 -name 'k8s-validate-*' ! -name "${target##*/}" -delete
  echo "scripts/helm.sh: k8s-validate built in $((SECONDS - start))s: $target" >&2
  echo "$target"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  tools)
    echo "helm=$(build_helm)"
    echo "k8s-validate=$(build_validator)"
    ;;
  helm) exec "$(build_helm)" "$@" ;;
  lint) exec "$(build_helm)" lint --strict "$CHART" "$@" ;;
  template) exec "$(build_helm)" template vigil "$CHART" "$@" ;;
  k8s-validate) exec "$(build_validator)" "$@" ;;
  validate)
    helm="$(build_helm)"
    validator="$(build_validator)"
    "$helm" template vigil "$CHART" "$@" | "$validator"
    ;;
  *)
    sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
