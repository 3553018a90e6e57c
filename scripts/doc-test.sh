#!/usr/bin/env bash
# doc-test.sh: run the transcripts of the docs that are marked for it, and compare their output.
#
#   scripts/doc-test.sh [--update] [FILE.md...]   (default: README.md docs/*.md docs/labs/*.md)
#
# A transcript is marked by the line <!-- doc-test --> right before its ```console fence. In it,
# each line starting with "$ " is a command, run with bash from the repository's root ("sudo "
# in front is dropped when already root); the lines after it, up to the next command or the end
# of the block, are its expected output, compared line by line. In the expected text
#   {N}    stands for a number (a PID, a count, a size)
#   {ID}   for a word of letters, digits, ".", "_" and "-" (a container ID, a hex id)
#   {...}  for anything on the rest of that line
# A command must exit 0.
# --update writes each failing command's real output into the doc in place of the expected lines,
# where those have no placeholder (a command that exits non-zero is never written in); read the
# git diff after. Prints one line per transcript command, "ok" or "FAIL FILE:LINE: COMMAND" with a diff; exit 1 if any
# failed, 2 on a file that cannot be read.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2
update=0
[[ ${1:-} == --update ]] && update=1 && shift
files=("$@")
((${#files[@]})) || files=(README.md docs/*.md docs/labs/*.md)

# pattern LINE: the expected line as an anchored ERE, placeholders opened up.
pattern() {
    local p
    p=$(sed -E 's/[][\.^$*+?(){}|/]/\\&/g' <<<"$1")
    p=${p//\\\{N\\\}/[0-9]+}
    p=${p//\\\{ID\\\}/[A-Za-z0-9._-]+}
    p=${p//\\\{\\.\\.\\.\\\}/.*}
    printf '^%s$' "$p"
}

failed=0 count=0 updated=0
new=() # with --update: the file being read, as it will be written
# check FILE LINE COMMAND EXPECTED...: run one command, compare its output. With --update, add
# the lines that replace EXPECTED to new[].
check() {
    local file=$1 line=$2 cmd=$3
    shift 3
    local out
    local run=$cmd
    ((EUID == 0)) && run=${run#sudo }
    out=$(bash -c "$run" 2>&1 </dev/null)
    local rc=$?
    local -a got=()
    [[ -n $out ]] && mapfile -t got <<<"$out"
    local ok=1 i
    ((rc == 0)) || ok=0
    ((${#got[@]} == $#)) || ok=0
    if ((ok)); then
        i=0
        for exp in "$@"; do
            [[ ${got[i]} =~ $(pattern "$exp") ]] || {
                ok=0
                break
            }
            i=$((i + 1))
        done
    fi
    count=$((count + 1))
    if ((update)); then
        if ((!ok && rc == 0)) && [[ "$*" != *"{N}"* && "$*" != *"{ID}"* && "$*" != *"{...}"* ]]; then
            new+=("${got[@]}")
            updated=$((updated + 1))
            echo "update $file:$line: $cmd"
            return
        fi
        new+=("$@")
    fi
    if ((ok)); then
        echo "ok    $file:$line: $cmd"
    else
        failed=$((failed + 1))
        echo "FAIL  $file:$line: $cmd (exit status $rc)"
        diff <(printf '%s\n' "$@") <(printf '%s\n' "${got[@]}") | sed 's/^/      /'
    fi
}

# shellcheck disable=SC2094 # check only names the file it reports; the loop reads it on fd 3
for file in "${files[@]}"; do
    [[ -r $file ]] || {
        echo "doc-test.sh: cannot read $file" >&2
        exit 2
    }
    marked=0 in=0 n=0 cmd="" cmd_line=0 expected=() new=() updated_before=$updated
    while IFS= read -r -u 3 text || [[ -n $text ]]; do
        n=$((n + 1))
        if ((!in)); then
            new+=("$text")
            if [[ $text == '<!-- doc-test -->' ]]; then
                marked=1
            elif ((marked)) && [[ $text == '```console' ]]; then
                in=1 marked=0 cmd=""
            else
                marked=0
            fi
            continue
        fi
        if [[ $text == '```' || $text == '$ '* ]]; then
            [[ -z $cmd ]] || check "$file" "$cmd_line" "$cmd" "${expected[@]}"
            expected=()
            new+=("$text")
            if [[ $text == '```' ]]; then
                in=0 cmd=""
            else
                cmd=${text#\$ } cmd_line=$n
            fi
            continue
        fi
        expected+=("$text")
        [[ -n $cmd ]] || new+=("$text") # text before the first command stays
    done 3<"$file"
    ((updated == updated_before)) || printf '%s\n' "${new[@]}" >"$file"
done
((update)) && echo "$updated transcript commands updated" && exit 0
echo "$((count - failed)) of $count transcript commands match"
((failed == 0))
