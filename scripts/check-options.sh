#!/bin/sh
# SPDX-License-Identifier: ISC
#
# check-options.sh -- the long options must be the same, in the same order,
# in three places: the longopts[] table in src/cli.c, the usage text
# ($ASYNCPROBE --help when ASYNCPROBE is set, else usage_text[] in cli.c)
# and the option list (.It .Fl lines under DESCRIPTION) in man/asyncprobe.1.
# Likewise the formats of -f: the man page's list under -f names those of
# the writer table (as --help lists them, or the writers[] rows of
# src/output.c without ASYNCPROBE), in that order.
# Prints the differences and exits 1 when they disagree.  POSIX sh.
#
# Usage: scripts/check-options.sh   (top_srcdir=DIR to check another tree)

set -u

top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cli=$top/src/cli.c
outc=$top/src/output.c
man=$top/man/asyncprobe.1

for f in "$cli" "$outc" "$man"; do
	if [ ! -r "$f" ]; then
		echo "check-options: cannot read $f" >&2
		exit 2
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-options.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT TERM

# 1. The table: the first string of each { "name", ... } row.
sed -n '/longopts\[\][[:space:]]*=[[:space:]]*{/,/^};/p' "$cli" |
    sed -n 's/^[[:space:]]*{[[:space:]]*"\([^"]*\)".*/\1/p' >"$tmp/table"

# 2. The usage text, from the binary or from the C literal.  An option line
# starts with blanks, then maybe "-x, ", then "--name": take that name.
if [ -n "${ASYNCPROBE:-}" ]; then
	if ! "$ASYNCPROBE" --help >"$tmp/usage.txt" 2>"$tmp/usage.err"; then
		echo "check-options: $ASYNCPROBE --help failed:" >&2
		cat "$tmp/usage.err" >&2
		exit 2
	fi
	usage_from="$ASYNCPROBE --help"
else
	sed -n '/usage_text\[\][[:space:]]*=/,/;[[:space:]]*$/p' "$cli" |
	    sed -n 's/^[[:space:]]*"\(.*\)"[[:space:];]*$/\1/p' |
	    sed 's/\\n$//' >"$tmp/usage.txt"
	usage_from="usage_text[] in $cli"
fi
short='\(-[[:alnum:]],[[:space:]]*\)\{0,1\}'
long='--\([[:alnum:]][[:alnum:]-]*\)'
sed -n "s/^[[:space:]][[:space:]]*$short$long.*/\\2/p" "$tmp/usage.txt" \
    >"$tmp/usage"

# 3. The man page: .It lines of DESCRIPTION; "Fl \-name" (or "Fl -name")
# renders as --name.  The first long name on a line counts.
sed -n '/^\.Sh DESCRIPTION/,/^\.Sh /p' "$man" | grep '^\.It' |
    sed 's/\\-/-/g' |
    awk '{
		for (i = 1; i < NF; i++)
			if ($i == "Fl" && substr($(i + 1), 1, 1) == "-") {
				name = $(i + 1)
				sub(/^-/, "", name)
				print name
				break
			}
	}' >"$tmp/man"

# 4. The formats: what --help says after "-f, --format FMT" (the
# binary prints its table), else the writers[] rows ("&ap_output_text,");
# and the .Cm words of the man page's -f item.
if [ -n "${ASYNCPROBE:-}" ]; then
	sed -n 's/^ *-f, --format FMT *\(.*\) (default.*/\1/p' \
	    "$tmp/usage.txt" | tr -d , | tr -s ' ' '\n' | sed '/^$/d' \
	    >"$tmp/formats"
	formats_from="$ASYNCPROBE --help"
else
	sed -n '/writers\[.*\][[:space:]]*=[[:space:]]*{/,/^};/p' "$outc" |
	    sed -n 's/^[[:space:]]*&ap_output_\([[:alnum:]_]*\),.*/\1/p' \
	    >"$tmp/formats"
	formats_from="writers[] in $outc"
fi
sed -n '/^\.It Fl f Ar format/,/^\.It /p' "$man" |
    sed -n 's/^\.Cm \([[:alnum:]_]*\).*/\1/p' >"$tmp/man-formats"

rc=0
for f in table usage man formats man-formats; do
	if [ ! -s "$tmp/$f" ]; then
		echo "check-options: found no long options in the $f" >&2
		rc=1
	fi
done
[ $rc -eq 0 ] || exit 1

if ! cmp -s "$tmp/table" "$tmp/usage"; then
	echo "check-options: longopts[] in $cli and $usage_from differ:"
	(cd "$tmp" && diff -u table usage)
	rc=1
fi
if ! cmp -s "$tmp/table" "$tmp/man"; then
	echo "check-options: longopts[] in $cli and the .It list in $man" \
	    "differ:"
	(cd "$tmp" && diff -u table man)
	rc=1
fi
if ! cmp -s "$tmp/formats" "$tmp/man-formats"; then
	echo "check-options: the formats of $formats_from and the -f item" \
	    "in $man differ:"
	(cd "$tmp" && diff -u formats man-formats)
	rc=1
fi
if [ $rc -eq 0 ]; then
	echo "check-options: $(wc -l <"$tmp/table" | tr -d ' ') long options" \
	    "agree in the table, the usage text and the manual;" \
	    "so do the $(wc -l <"$tmp/formats" | tr -d ' ') formats of -f"
fi
exit $rc
