#!/usr/bin/env bash
# parse_budget.sh TOOL DATA_DIR: a regression guard for the CPU cost of reading a large
# config.json, that times nothing. TOOL (parse_config_phase5) parses DATA_DIR's
# podman-config.json (podman's own, with its seccomp profile of some 400 names) as phase 5's
# create does, and compiles the profile; callgrind counts the instructions of each, which are
# the same run after run for one binary. Each has a budget, its count when the budget was set
# plus about a tenth; a count under 80% of it asks for the table to be lowered. When the work
# has to grow, raise the count in the same commit and say why.
set -euo pipefail
tool=$1
config=$2/podman-config.json

# measured NAME: the instructions when the budget was set (RelWithDebInfo, g++ 12, Debian's
# libseccomp 2.5.4).
measured() {
    case $1 in
    parse) echo 3814210 ;;    # rung::parse_spec: the JSON into the model, every value checked
    seccomp) echo 37260978 ;; # rung::seccomp::Filter: the rules added, and the BPF generated
    esac
    # seccomp was 13017244 before issue 12's cache: libseccomp then generated the BPF program
    # in init's seccomp_load(), which nothing here counted. Filter::Filter now generates it
    # (seccomp_export_bpf) before create makes anything; that is what a cache miss costs, and
    # a hit (seccomp_cache.cpp) costs none of it.
}

if ! command -v valgrind >/dev/null; then
    echo "parse_budget.sh: valgrind is not installed (scripts/deps.sh installs it)" >&2
    exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind" "$tool" "$config" \
    >"$out/log" 2>&1 || { cat "$out/log"; exit 1; }
# Inclusive counts: "   1,234,567 (12.34%)  /path/spec.cpp:rung::parse_spec(...) [/path/tool]".
callgrind_annotate --inclusive=yes --threshold=100 "$out/callgrind" >"$out/annotate"
count() { # FUNCTION-PREFIX: its inclusive instruction count
    awk -v f="$1" 'index($0, f) { gsub(",", "", $1); print $1; exit }' "$out/annotate"
}
status=0
for name in parse seccomp; do
    case $name in
    parse) fn=":rung::parse_spec(" ;;
    seccomp) fn=":rung::seccomp::Filter::Filter(" ;;
    esac
    n=$(count "$fn")
    if [[ ! $n =~ ^[0-9]+$ ]]; then
        echo "parse_budget.sh: no count for $fn in callgrind's output" >&2
        exit 1
    fi
    was=$(measured "$name")
    budget=$((was * 11 / 10))
    echo "$name: $n instructions, budget $budget (measured $was)"
    if ((n > budget)); then
        echo "FAIL: $name took $n instructions, over its budget of $budget" >&2
        status=1
    elif ((n * 10 < was * 8)); then
        echo "FAIL: $name took $n instructions, under 80% of the $was measured: lower its budget" >&2
        status=1
    fi
done
exit $status
