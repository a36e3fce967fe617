#!/bin/sh
# tally.sh DIR... -- per test program pass/fail counts from the logs that
# "make check" left in DIR/tests, then the total as "N passed, M failed".
# Check suites log "100%: Checks: N, Failures: F, Errors: E"; the Python
# integration tests end their log with "N passed, M failed"; a program
# that crashed before saying either counts as one failure.
set -u
total_pass=0
total_fail=0
for dir in "$@"; do
	for log in "$dir"/tests/*.log; do
		[ -f "$log" ] || continue
		name=$(basename "$log" .log)
		line=$(grep -E '^[0-9]+%: Checks: [0-9]+' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
			f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
			e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
			fail=$((f + e))
			pass=$((n - fail))
		else
			line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" |
			    tail -n 1)
			if [ -n "$line" ]; then
				pass=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
				fail=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
			else
				pass=0
				fail=1
			fi
		fi
		res=$(grep -E '^:test-result:' "$dir/tests/$name.trs" \
		    2>/dev/null | head -n 1 | sed 's/:test-result: //')
		printf '%-24s %-5s %5d passed, %d failed\n' "$name" \
		    "${res:-?}" "$pass" "$fail"
		if [ "$res" = FAIL ] || [ "$res" = ERROR ]; then
			[ "$fail" -eq 0 ] && fail=1
		fi
		total_pass=$((total_pass + pass))
		total_fail=$((total_fail + fail))
	done
done
echo "$total_pass passed, $total_fail failed"
