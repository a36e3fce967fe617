#!/bin/sh
# demo.sh -- the first of README's two commands: install what is missing,
# build, then scan examples/targets.txt on loopback.  It starts what the
# example connects to (a listener, and a listener whose accept queue is
# full, so connects to it time out) and stops them afterwards.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh build
sh scripts/build.sh
make -s -C build tests/aptest-net

tmp=$(mktemp -d)
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# start KIND PORT: a test server on 127.0.0.1:PORT until the demo ends
# (it stops by itself after 300 s whatever happens).
start() {
	build/tests/aptest-net "$1" --host 127.0.0.1 --port "$2" \
	    --ignore-stdin --lifetime 300 >"$tmp/$1.out" 2>/dev/null &
	pids="$pids $!"
	i=0
	while [ ! -s "$tmp/$1.out" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
start accept 47801
start hole 47803

echo "\$ asyncprobe -t 2 examples/targets.txt"
set +e
build/src/asyncprobe -t 2 examples/targets.txt
rc=$?
set -e
echo "exit status $rc (3: an invalid line is in the example; see EXIT STATUS in the man page)"
