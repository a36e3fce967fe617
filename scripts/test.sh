#!/bin/sh
# test.sh -- the second of README's two commands: install what is missing,
# build, and run every test (Check unit suites, fuzz regressions and the
# integration tests that drive the real binary on loopback).  Prints each
# test program's counts and the tally; exits non-zero when anything failed.
#   sh scripts/test.sh [CONFIGURE-ARG...]
#   sh scripts/test.sh --tally DIR...	only the counts of make check runs
#					already done in the build trees DIR
set -eu
cd "$(dirname "$0")/.."

# tally DIR...: every test speaks TAP, so automake wrote a :test-result:
# line per test case into each program's .trs (an ERROR for a crash or a
# missing plan; an XPASS is a known bug no longer seen: a failure too);
# the total is make check's own summary in DIR/test-suite.log.
tally() {
	for dir in "$@"; do
		find "$dir/tests" -name '*.trs' 2>/dev/null | sort |
		while IFS= read -r trs; do
			name=${trs#"$dir"/tests/}
			printf '%-28s %5d passed, %d failed, %d skipped\n' \
			    "${name%.trs}" \
			    "$(grep -c '^:test-result: PASS' "$trs")" \
			    "$(grep -cE '^:test-result: (FAIL|XPASS|ERROR)' \
			    "$trs")" \
			    "$(grep -c '^:test-result: SKIP' "$trs")"
		done
	done
	for dir in "$@"; do
		# A tree with no summary counts as one failure.
		sed -nE 's/^# (PASS|FAIL|XPASS|ERROR): +([0-9]+)$/\1 \2/p' \
		    "$dir/test-suite.log" 2>/dev/null | grep . ||
		    echo "FAIL 1"
	done | awk '$1 == "PASS" { p += $2; next } { f += $2 }
	    END { printf "%d passed, %d failed\n", p, f }'
}
if [ "${1:-}" = --tally ]; then
	shift
	tally "$@"
	exit 0
fi

sh scripts/deps.sh
sh scripts/build.sh "$@"
# Results of tests renamed or dropped since the last run would linger.
find build/tests -name '*.trs' -exec rm -f {} + 2>/dev/null || true
rc=0
make -s -C build -j"$(nproc 2>/dev/null || echo 2)" check >/dev/null 2>&1 ||
    rc=$?
tally build
if [ "$rc" -ne 0 ]; then
	echo "test.sh: make check failed; build/test-suite.log:" >&2
	cat build/test-suite.log >&2 || true
fi
exit "$rc"
