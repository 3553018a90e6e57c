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
#
# Run diagrams: a line ![...](img/run-phaseN.svg) in a doc shows the timeline of a fresh `run` of
# phase N (BUILD_DIR/phaseN-*/rung, BUILD_DIR defaulting to ./build; the busybox rootfs from
# ROOTFS_CACHE, default BUILD_DIR/rootfs). Each such line makes a fresh run, and its steps
# (scripts/run-diagram --steps) must equal img/run-phaseN.steps next to the doc, or the line
# FAILs with the diff: the step sequence drifted from the code. Times are not compared. --update
# redraws img/run-phaseN.svg and rewrites the .steps from the fresh run. The runs need root;
# without it each diagram is skipped with the reason.
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

build=${BUILD_DIR:-$repo/build}
export ROOTFS_CACHE=${ROOTFS_CACHE:-$build/rootfs}

failed=0 count=0 updated=0 diagrams=0 diagrams_failed=0
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

# fresh_run N DIR: a fresh `run` of phase N's build, as the chapter's diagram shows it, in DIR;
# its JSON debug log is DIR/run.log. Phase 1 runs `true` in a copy of the rootfs; phase 2 a
# bundle from scripts/mkbundle.sh running /bin/true; phases 3-5 the phase's own `rung spec`
# running /bin/true, with a createRuntime, a poststart and a poststop hook (/bin/true, on the
# host) so that the hook lanes show. Prints the reason and fails when it cannot.
fresh_run() {
    local n=$1 dir=$2 bin="" b
    for b in "$build"/phase"$n"-*/rung; do [[ -x $b ]] && bin=$b; done
    [[ -n $bin ]] || {
        echo "no build of phase $n in $build (BUILD_DIR): run make phase$n first"
        return 1
    }
    scripts/mkrootfs.sh "$ROOTFS_CACHE" >/dev/null || return 1
    local log=$dir/run.log id=diagram-$$ out
    if ((n == 1)); then
        cp -a "$ROOTFS_CACHE" "$dir/rootfs" &&
            out=$("$bin" --debug --log "$log" --log-format json run --rootfs "$dir/rootfs" -- true 2>&1)
    elif ((n == 2)); then
        scripts/mkbundle.sh "$dir/bundle" /bin/true >/dev/null &&
            out=$(cd "$dir/bundle" && "$bin" --root "$dir/state" --debug --log "$log" \
                --log-format json run "$id" 2>&1)
    else
        mkdir "$dir/bundle" && cp -a "$ROOTFS_CACHE" "$dir/bundle/rootfs" &&
            out=$(cd "$dir/bundle" && "$bin" spec && jq '.process.args = ["/bin/true"] |
                .process.terminal = false | .hooks = {createRuntime: [{path: "/bin/true"}],
                poststart: [{path: "/bin/true"}], poststop: [{path: "/bin/true"}]}' \
                config.json >config.json.new && mv config.json.new config.json &&
                "$bin" --root "$dir/state" --debug --log "$log" --log-format json run "$id" 2>&1)
    fi
    local rc=$?
    ((rc == 0)) || echo "the run of phase $n failed (exit status $rc): ${out:-no output}"
    return $rc
}

# diagram FILE LINE N: check (or with --update, redraw) the run diagram of phase N that FILE shows.
diagram() {
    local file=$1 line=$2 n=$3 img
    img=$(dirname "$file")/img/run-phase$n
    local what="run diagram of phase $n ($img.steps)"
    if ((EUID != 0)); then
        echo "skip  $file:$line: $what: a fresh run needs root"
        return
    fi
    diagrams=$((diagrams + 1))
    local tmp why
    tmp=$(mktemp -d /tmp/doc-test-run.XXXXXX)
    if ! why=$(fresh_run "$n" "$tmp"); then
        diagrams_failed=$((diagrams_failed + 1))
        echo "FAIL  $file:$line: $what: $why"
    elif ((update)); then
        if scripts/run-diagram --title "phase $n, rung run of /bin/true" "$tmp/run.log" \
            "$img.svg" --steps "$img.steps"; then
            echo "update $file:$line: $what"
        else
            diagrams_failed=$((diagrams_failed + 1))
        fi
    elif ! scripts/run-diagram "$tmp/run.log" --steps "$tmp/run.steps"; then
        diagrams_failed=$((diagrams_failed + 1))
        echo "FAIL  $file:$line: $what: scripts/run-diagram failed on the run's log"
    elif ! diff -u --label "$img.steps" --label "a fresh run of phase $n" "$img.steps" \
        "$tmp/run.steps" >"$tmp/diff" 2>&1; then
        diagrams_failed=$((diagrams_failed + 1))
        echo "FAIL  $file:$line: $what: the step sequence drifted from the code" \
            "(scripts/doc-test.sh --update $file redraws it)"
        sed 's/^/      /' "$tmp/diff"
    else
        echo "ok    $file:$line: $what"
    fi
    rm -rf "$tmp"
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
    while IFS=: read -r line n; do
        diagram "$file" "$line" "$n"
    done < <(grep -noE '^!\[[^]]*\]\(img/run-phase[0-9]+\.svg\)' "$file" |
        sed -E 's/^([0-9]+):.*run-phase([0-9]+)\.svg\)$/\1:\2/')
done
if ((update)); then
    echo "$updated transcript commands updated"
    ((diagrams == 0)) || echo "$((diagrams - diagrams_failed)) of $diagrams run diagrams redrawn"
    ((diagrams_failed == 0))
    exit
fi
echo "$((count - failed)) of $count transcript commands match"
((diagrams == 0)) || echo "$((diagrams - diagrams_failed)) of $diagrams run diagrams match their steps"
((failed == 0 && diagrams_failed == 0))
