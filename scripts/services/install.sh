#!/usr/bin/env bash
# Installs the Debian packages that Vigil's tests talk to (idempotent; needs root on Debian-like
# machines). Usage: scripts/services/install.sh [package…]   (default: everything the tests need)
set -euo pipefail
if [ $# -gt 0 ]; then pkgs=("$@"); else pkgs=(prometheus prometheus-alertmanager postgresql redis-server influxdb nginx python3-venv chromium); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: missing packages ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# One install at a time (tests start services in parallel); the policy-rc.d file below is shared.
exec 9>/var/lock/vigil-install.lock
flock 9
apt-get -o DPkg::Lock::Timeout=300 update -qq
# policy-rc.d 101 keeps the packages' own services from starting: tests start throwaway instances.
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install.sh: installed ${missing[*]}"
