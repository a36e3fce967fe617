# SPDX-License-Identifier: ISC
# bash completion for asyncprobe(1): every option, the values of -f and
# --progress=, files for operands, -o and --hosts-file.  Self-contained:
# works with or without the bash-completion package loaded.

_asyncprobe()
{
	local cur prev opt prefix w i
	local IFS=$' \t\n'
	local longs='--timeout --attempt-timeout --attempt-delay --sequential
	    --all-addresses --port --source --retries --send --expect --banner
	    --banner= --concurrency --rate --threads --shard --max-runtime
	    --resolver --hosts-file --resolve --numeric --format --output
	    --alive --unreachable --ordered --quiet --label --no-header
	    --stats --progress
	    --progress= --verbose --min-up --warn-down --crit-down --interval
	    --count --changes --serve --serve-any --help --version'
	local shorts='-4 -6 -a -c -f -h -j -m -n -o -p -q -r -S -s -t -u -V -v
	    -x'
	local formats
	local whens='auto always never'

	# The formats of the binary being completed, which --help lists
	# from its writer table: no copy here to go stale.  "~/bin/..." as
	# typed is expanded first; a binary that cannot run offers none.
	w=${COMP_WORDS[0]:-asyncprobe}
	[[ $w == "~/"* ]] && w=$HOME/${w#"~/"}
	formats=$("$w" --help 2>/dev/null |
	    sed -n 's/^ *-f, --format FMT *\(.*\) (default.*/\1/p' |
	    tr -d ,)

	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	# After a bare "--" every word is a file.
	for ((i = 1; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} == -- ]]; then
			_asyncprobe_files "$cur"
			return 0
		fi
	done

	# "--opt=value": bash splits it at '=' when '=' is in
	# COMP_WORDBREAKS ("--opt" "=" "value"); otherwise it is one word.
	opt='' prefix=''
	if [[ $cur == = && $prev == --* ]]; then
		opt=$prev cur=
	elif [[ $prev == = ]] && ((COMP_CWORD >= 2)) &&
	    [[ ${COMP_WORDS[COMP_CWORD - 2]} == --* ]]; then
		opt=${COMP_WORDS[COMP_CWORD - 2]}
	elif [[ $cur == --*=* ]]; then
		opt=${cur%%=*} prefix=${cur%%=*}= cur=${cur#*=}
	fi
	if [[ -n $opt ]]; then
		case $opt in
		--format)	w=$formats ;;
		--progress)	w=$whens ;;
		--output|--hosts-file)
			_asyncprobe_files "$cur" "$prefix"
			[[ $opt == --hosts-file && none == "$cur"* ]] &&
			    COMPREPLY+=("${prefix}none")
			return 0 ;;
		*)		return 0 ;;	# a number, a duration: free
		esac
		mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$w" -- "$cur")
		return 0
	fi

	# The value of the option before: long, short, or the last letter
	# of a cluster such as -qf.
	case $prev in
	-f|--format|-[46ahmnqsuv]*f)
		mapfile -t COMPREPLY < <(compgen -W "$formats" -- "$cur")
		return 0 ;;
	-o|--output|-[46ahmnqsuv]*o)
		_asyncprobe_files "$cur"
		return 0 ;;
	--hosts-file)
		_asyncprobe_files "$cur"
		[[ none == "$cur"* ]] && COMPREPLY+=(none)
		return 0 ;;
	-t|-p|-S|-r|-c|-j|-x|-[46ahmnqsuv]*[tpSrcjx]|--timeout|\
	--attempt-timeout|--attempt-delay|--port|--source|--retries|--send|\
	--expect|--concurrency|--rate|--threads|--shard|--max-runtime|\
	--resolver|--resolve|--label|--min-up|--warn-down|--crit-down|\
	--interval|--count|--serve)
		return 0 ;;	# a value of the user's own
	esac

	if [[ $cur == -* ]]; then
		if [[ $cur == --* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$longs" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$shorts $longs" \
			    -- "$cur")
		fi
		# "--banner=" and "--progress=" want their value right after.
		if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *= ]] &&
		    type compopt >/dev/null 2>&1; then
			compopt -o nospace 2>/dev/null
		fi
		return 0
	fi
	_asyncprobe_files "$cur"
	return 0
}

# Files and directories matching $1, each with the prefix $2.
_asyncprobe_files()
{
	local f
	local IFS=$'\n'

	# compopt: bash 4; it fails outside a completion (as in the test).
	type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
	for f in $(compgen -f -- "$1"); do
		COMPREPLY+=("${2-}$f")
	done
}

complete -F _asyncprobe asyncprobe
