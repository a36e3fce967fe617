#!/bin/sh
# test.sh -- the second of README's two commands: install what is missing,
# build, and run every test (Check unit suites and the integration tests
# that drive the real binary on loopback).  Prints each test program's
# counts and the tally; exits non-zero when anything failed.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh "$@"
rc=0
make -s -C build -j"$(nproc 2>/dev/null || echo 2)" check >/dev/null 2>&1 ||
    rc=$?
sh scripts/tally.sh build
if [ "$rc" -ne 0 ]; then
	echo "test.sh: make check failed; build/test-suite.log:" >&2
	cat build/test-suite.log >&2 || true
fi
exit "$rc"
