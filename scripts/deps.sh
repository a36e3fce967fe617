#!/bin/sh
# deps.sh -- install what building and testing asyncprobe needs, only what
# is missing, from Debian's packages.  Safe to run again; a no-op when all
# is there.  Needs root (or sudo) only when something must be installed.
set -eu

# Build: the toolchain, autotools, libevent and Check.  Tests: python3 (the
# integration tests), iproute2 and util-linux (namespaces for unreachable
# and denied), jq, valgrind (memcheck run), prometheus (promtool checks the
# prom output), prometheus-node-exporter (scrapes the prom recipe's files),
# fping (the -x exit codes compared), python3-nagiosplugin (a real parser of
# the nagios perfdata ranges), clang with its runtime (libFuzzer for the
# fuzz smoke run).
PKGS="build-essential autoconf automake pkgconf libevent-dev check python3
iproute2 util-linux jq valgrind clang libclang-rt-dev prometheus
prometheus-node-exporter fping python3-nagiosplugin"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=
elif command -v sudo >/dev/null 2>&1; then
	SUDO=sudo
else
	echo "deps.sh: need root to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
