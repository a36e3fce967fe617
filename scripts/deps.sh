#!/bin/sh
# deps.sh [build|test|ci] -- install what building (demo.sh), testing
# (test.sh, the default) or all of CI (.ci/run) needs, only what is
# missing, from Debian's packages.  Each level includes the one before.
# Safe to run again; a no-op when all is there.  Needs root (or sudo) only
# when something must be installed.
set -eu

# build: the toolchain, autotools, libevent, python3 (configure looks for
# it: the integration tests are Python).
BUILD="build-essential autoconf automake pkgconf libevent-dev python3"
# test: Check (unit suites), iproute2 and util-linux (namespaces for
# unreachable and denied), jq, valgrind (memcheck run), prometheus
# (promtool checks the prom output; a real server scrapes --serve),
# systemd (systemd-analyze verifies the example unit),
# prometheus-node-exporter (scrapes the
# prom recipe's files), fping (the -x exit codes compared),
# python3-nagiosplugin (a real parser of the nagios perfdata ranges),
# iptables (the simulated WAN's router), tcl8.6 and nmap (its oracles).
TEST="check iproute2 util-linux jq valgrind prometheus systemd
prometheus-node-exporter fping python3-nagiosplugin iptables tcl8.6 nmap"
# ci: clang with its runtime (libFuzzer for the fuzz smoke run), and what
# builds and checks the Debian package.
CI="clang libclang-rt-dev dpkg-dev debhelper lintian"

case ${1:-test} in
build) PKGS=$BUILD ;;
test) PKGS="$BUILD $TEST" ;;
ci) PKGS="$BUILD $TEST $CI" ;;
*) echo "usage: deps.sh [build|test|ci]" >&2; exit 2 ;;
esac

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
