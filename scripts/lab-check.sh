#!/usr/bin/env bash
# lab-check.sh: which behaviours of a lab your build still lacks (make lab-check PHASE=N).
#
#   scripts/lab-check.sh N [--all]
#
# Lab N (docs/labs/phaseN.md) is a list of tasks, each tied to named tests of the OCI suite in
# docs/labs/phaseN.hints. This runs those tests against your build of phase N and prints, task
# by task, each behaviour that passes, fails (with its hint) or was skipped (with the reason),
# then "N of M behaviours pass". With --all it runs the whole OCI suite as phase N and lists
# every failing test, with the lab's hint where there is one.
#
#   RUNG       the binary to check (default: BUILD_DIR/phaseN-*/rung, your build)
#   BUILD_DIR  the build directory (default ./build); ROOTFS_CACHE defaults to BUILD_DIR/rootfs
#   LAB_TIMEOUT  seconds a test may take (default 60). A build that is not done yet can leave a
#              test waiting forever: a create that should have failed succeeds, and its init
#              holds the test's output open. A watchdog kills the processes of such a test (they
#              name its temp directory on their command line), and the test fails as timed out.
#
# Tests the lab names in tests/vm need a pure cgroup v2 kernel: they are listed, not run
# (scripts/vm-test.sh runs them in a VM). Exit status: 0 when every behaviour passes, 1 when
# one fails, 2 on a bad argument or a hints file that names a test the suite does not have.
# Needs root, as the suite does.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 2

die() {
    echo "lab-check: $*" >&2
    exit 2
}

all=0
args=()
for a in "$@"; do
    case $a in
    --all) all=1 ;;
    -h | --help)
        sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*) die "unknown flag \"$a\" (usage: scripts/lab-check.sh N [--all])" ;;
    *) args+=("$a") ;;
    esac
done
((${#args[@]} == 1)) || die "usage: scripts/lab-check.sh N [--all]   (or: make lab-check PHASE=N)"
n=${args[0]}
[[ $n =~ ^[0-9]+$ ]] || die "\"$n\" is not a phase number"
hints=docs/labs/phase$n.hints
[[ -f $hints ]] || die "there is no lab for phase $n ($hints does not exist)"

build=${BUILD_DIR:-$repo/build}
if [[ -z ${RUNG:-} ]]; then
    for b in "$build"/phase"$n"-*/rung; do [[ -x $b ]] && RUNG=$b; done
    [[ -n ${RUNG:-} ]] || die "no build of phase $n in $build: run make phase$n first"
fi
[[ -x $RUNG ]] || die "RUNG \"$RUNG\" is not an executable"
export RUNG PHASE=$n
export ROOTFS_CACHE=${ROOTFS_CACHE:-$build/rootfs}
timeout=${LAB_TIMEOUT:-60}
[[ $timeout =~ ^[0-9]+$ ]] || die "LAB_TIMEOUT \"$timeout\" is not a number of seconds"
((EUID == 0)) || die "the OCI suite creates namespaces and mounts: run as root (sudo make lab-check PHASE=$n)"

# The hints file: "task: TITLE" starts a task; "FILE | TEST NAME | HINT" ties a test of
# tests/FILE to it. Blank lines and lines starting with # are comments.
tasks=() t_file=() t_name=() t_hint=() t_task=()
declare -A in_lab=()
while IFS= read -r line || [[ -n $line ]]; do
    [[ -z ${line// /} || $line == \#* ]] && continue
    if [[ $line == task:* ]]; then
        tasks+=("${line#task: }")
        continue
    fi
    file=${line%% | *} rest=${line#* | }
    name=${rest%% | *} hint=${rest#* | }
    [[ $file != "$line" && $name != "$rest" && -n $hint ]] || die "$hints: not \"FILE | TEST | HINT\": $line"
    [[ -f tests/$file ]] || die "$hints: there is no tests/$file"
    grep -qF "@test \"$name\" {" "tests/$file" || die "$hints: tests/$file has no test \"$name\""
    ((${#tasks[@]})) || die "$hints: a test before the first \"task:\" line"
    t_file+=("$file") t_name+=("$name") t_hint+=("$hint") t_task+=($((${#tasks[@]} - 1)))
    in_lab[$name]=1
done <"$hints"
((${#t_name[@]})) || die "$hints names no test"

ere_quote() { sed -E 's/[][\.^$*+?(){}|]/\\&/g' <<<"$1"; }

# One run of Bats over the OCI files the lab names (all of tests/oci with --all), filtered to
# the lab's tests by exact name.
oci_files=() filter=()
for i in "${!t_name[@]}"; do
    [[ ${t_file[i]} == oci/* ]] || continue
    [[ " ${oci_files[*]} " == *" tests/${t_file[i]} "* ]] || oci_files+=("tests/${t_file[i]}")
    filter+=("$(ere_quote "${t_name[i]}")")
done
work=$(mktemp -d /tmp/lab-check.XXXXXX)
tap=$work/tap
watchdog_pid=
cleanup() {
    [[ -z $watchdog_pid ]] || kill "$watchdog_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# watchdog: every 2 seconds, SIGKILL each process whose command line names the directory of a
# test that has run longer than $timeout seconds, and note the test's number in $work/timed-out.
# Bats makes TMPDIR/bats-run-*/test/N for test N of the run.
watchdog() {
    local t p now
    while sleep 2; do
        now=$(date +%s)
        for t in "$work"/bats-run-*/test/*/; do
            [[ -d $t ]] || continue
            (($(stat -c %Y "$t") + timeout < now)) || continue
            for p in /proc/[0-9]*; do
                [[ $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) == *"$t"* ]] || continue
                kill -KILL "${p#/proc/}" 2>/dev/null && basename "$t" >>"$work/timed-out"
            done
        done
    done
}
[[ -d $ROOTFS_CACHE ]] || scripts/mkrootfs.sh "$ROOTFS_CACHE" >&2 || die "could not build the rootfs in $ROOTFS_CACHE"
echo "lab-check: phase $n, $RUNG, against docs/labs/phase$n.md"
watchdog &
watchdog_pid=$!
if ((all)); then
    TMPDIR=$work bats --tap tests/oci/*.bats >"$tap" 2>&1
elif ((${#filter[@]})); then
    TMPDIR=$work bats --tap --filter "^($(IFS='|' && echo "${filter[*]}"))\$" "${oci_files[@]}" >"$tap" 2>&1
fi
kill "$watchdog_pid" 2>/dev/null
wait "$watchdog_pid" 2>/dev/null
watchdog_pid=

# result NAME: "ok", "fail", "timeout", "skip REASON" or "missing" (the run did not reach it).
result() {
    local line
    line=$(grep -E "^(not )?ok [0-9]+ $(ere_quote "$1")( # .*)?\$" "$tap" | head -n1)
    local num=${line#not }
    num=${num#ok } && num=${num%% *}
    case $line in
    "") echo missing ;;
    not\ ok*)
        if grep -qx "$num" "$work/timed-out" 2>/dev/null; then echo timeout; else echo fail; fi
        ;;
    *" # skip"*) echo "skip ${line#* # skip }" ;;
    *) echo ok ;;
    esac
}

passed=0 total=0 failing=0
for ti in "${!tasks[@]}"; do
    echo
    echo "task $((ti + 1)): ${tasks[ti]}"
    for i in "${!t_name[@]}"; do
        ((t_task[i] == ti)) || continue
        if [[ ${t_file[i]} != oci/* ]]; then
            echo "  vm    ${t_name[i]}"
            echo "        not run here: tests/${t_file[i]} needs a pure cgroup v2 kernel (scripts/vm-test.sh)"
            continue
        fi
        total=$((total + 1))
        r=$(result "${t_name[i]}")
        case $r in
        ok)
            echo "  ok    ${t_name[i]}"
            passed=$((passed + 1))
            ;;
        skip*)
            echo "  skip  ${t_name[i]}"
            echo "        skipped: ${r#skip }"
            ;;
        *)
            local_note=
            [[ $r == timeout ]] && local_note=", timed out after ${timeout}s"
            [[ $r == missing ]] && local_note=", not run: the suite stopped before it"
            echo "  FAIL  ${t_name[i]}  (tests/${t_file[i]}$local_note)"
            echo "        hint: ${t_hint[i]}"
            failing=$((failing + 1))
            ;;
        esac
    done
done

if ((all)); then
    others=0
    while IFS= read -r line; do
        name=${line#not ok }
        name=${name#* }
        [[ -n ${in_lab[$name]:-} ]] && continue
        ((others == 0)) && echo && echo "other failing tests of the suite (no lab task; read the test):"
        file=$(grep -lF "@test \"$name\" {" tests/oci/*.bats | head -n1)
        echo "  FAIL  $name  (${file:-tests/oci})"
        others=$((others + 1))
    done < <(grep -E '^not ok ' "$tap")
    failing=$((failing + others))
fi

echo
if ((failing == 0)); then
    echo "$passed of $total behaviours pass: lab $n is done (compare with the solution: git diff -R -- phase$n-*)"
else
    echo "$passed of $total behaviours pass; $failing still fail$( ((all)) && echo " (with the rest of the suite)")"
fi
((failing == 0))
