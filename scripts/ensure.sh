#!/usr/bin/env bash
# Installs what `npm test`, `npm run demo` and `npm run bench` need and is
# missing: Debian's exabgp, gobgpd, frr (bgpd, vtysh), bird2, haproxy, nginx,
# iproute2, nftables, iptables, golang-go and chromium, promtool (Debian's
# prometheus package: the ops/ tests), groff and man (the man page tests),
# then node_modules (npm ci). Cheap when everything is there. ExaBGP 5.0 and 6
# run from ../shared/exabgp/ (test/harness/exabgp-runtime.ts); 6 needs a
# Python 3.12 or newer (on PATH or under pyenv).
# `ensure.sh bench` also installs what only the benchmarks run: ruby (exa-template).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v exabgp >/dev/null 2>&1 || missing+=(exabgp)
command -v gobgpd >/dev/null 2>&1 || missing+=(gobgpd)
{ [ -x /usr/lib/frr/bgpd ] && command -v vtysh >/dev/null 2>&1; } || missing+=(frr)
{ command -v bird >/dev/null 2>&1 || [ -x /usr/sbin/bird ]; } && { command -v birdc >/dev/null 2>&1 || [ -x /usr/sbin/birdc ]; } || missing+=(bird2)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || missing+=(libnginx-mod-stream)
command -v ip >/dev/null 2>&1 || [ -x /usr/sbin/ip ] || missing+=(iproute2)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The announcer's nat (GoCast's nat=) is tested with both firewalls, in namespaces.
command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || missing+=(nftables)
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || missing+=(iptables)
# GoCast's own binary is built from ../shared/peers for the side-by-side test.
command -v go >/dev/null 2>&1 || missing+=(golang-go)
# The status pages are tested (and screenshot) in a real headless browser.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v groff >/dev/null 2>&1 || missing+=(groff-base)
command -v man >/dev/null 2>&1 || missing+=(man-db)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
if [ "${1:-}" = bench ]; then
  command -v ruby >/dev/null 2>&1 || missing+=(ruby)
fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "exacast: these Debian packages are needed: ${missing[*]}" >&2
    echo "exacast: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "exacast: installing ${missing[*]} (apt-get)" >&2
  # Keep the packages' own daemons (haproxy, nginx, exabgp, frr, bird,
  # prometheus) from starting on install: the tests run their own, on loopback,
  # on ports chosen at run time, and only need prometheus's promtool.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  trap '[ "$added_policy" = 1 ] && "${sudo[@]}" rm -f "$policy"' EXIT
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # prometheus is installed for promtool alone: its service is not started
  # (the policy above) and not enabled for the next boot either.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null 2>&1; then
    "${sudo[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
fi

# Debian's packages may leave haproxy/nginx/frr/bird running from an earlier
# install; nothing here needs them (the tests' routers listen on their own
# loopback addresses and ports), and nothing here stops them either.

if [ "${EXACAST_SKIP_NPM:-}" = 1 ]; then exit 0; fi
if [ ! -d node_modules ] || [ ! -e node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "exacast: installing node modules (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
