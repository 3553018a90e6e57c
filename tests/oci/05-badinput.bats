#!/usr/bin/env bats
# A corpus of bad input (issue 13, item 5): malformed configs, bundles and command lines, one a
# row of data/badinput.tsv. Each must be refused with ONE line that names the thing and the
# reason, the expected exit status, and nothing left behind: no state directory, cgroup, mount,
# process, or file where the command ran.
#
# Columns, tab-separated (a line starting with # is a comment):
#   phase   the first phase that must refuse it (earlier phases skip the row)
#   kind    config: a jq edit of a fresh config.json, then `create`
#           setup:  a shell snippet run in a copy of the bundle, then `create` from that copy
#           cli:    the words after `rung --root ROOT` (bash syntax; $BUNDLE and $ID are set);
#                   a row that starts with --root gives its own
#   input   the jq expression, snippet or command line
#   expect  an extended regex (grep -E) the one line of output matches: the message, with an
#           alternative where an earlier phase words it otherwise
#   status  the exit status
# One test loops over the whole table and reports every failing row at once.

load helpers

setup() {
    setup_bundle
    CGROUP2=/sys/fs/cgroup/unified
    [[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs ]] || CGROUP2=/sys/fs/cgroup
}

teardown() {
    teardown_bundle
}

# leftovers ID WORKDIR: what a refused command left behind, one line per thing.
leftovers() {
    local id=$1 work=$2 found
    found=$(shopt -s nullglob dotglob && echo "$ROOT"/*)
    [[ -z $found ]] || echo "state: $found"
    ((PHASE < 4)) || [[ ! -e $CGROUP2/rung/$id ]] || echo "cgroup $CGROUP2/rung/$id"
    if grep -qF " $BATS_TEST_TMPDIR" /proc/self/mountinfo; then echo "mounts below $BATS_TEST_TMPDIR"; fi
    if pgrep -f -- "[-]-root $ROOT " >/dev/null; then echo "processes"; fi
    found=$(shopt -s nullglob dotglob && echo "$work"/*)
    [[ -z $found ]] || echo "files in the working directory: $found"
}

nothing_left() {
    [[ -z $(leftovers "$@") ]]
}

# run_row KIND INPUT ID: run one row's command, its output to $OUT; returns its status.
run_row() {
    local kind=$1 input=$2 ID=$3 bundle=$BUNDLE
    case $kind in
    config)
        jq "$input" "$PRISTINE" >"$BUNDLE/config.json" || return 200
        ;;
    cli)
        cp "$PRISTINE" "$BUNDLE/config.json"
        ;;
    setup)
        bundle=$BATS_TEST_TMPDIR/scratch
        rm -rf "$bundle"
        cp -a "$BUNDLE" "$bundle"
        cp "$PRISTINE" "$bundle/config.json"
        (cd "$bundle" && bash -c "$input") || return 201
        ;;
    esac
    local status=0
    (
        cd "$WORK" || exit 202
        case $kind in
        cli)
            local words
            eval "words=($input)"
            if [[ ${words[0]:-} == --root ]]; then
                timeout 20 "$RUNG" "${words[@]}"
            else
                timeout 20 "$RUNG" --root "$ROOT" "${words[@]}"
            fi
            ;;
        *) timeout 20 "$RUNG" --root "$ROOT" create --bundle "$bundle" "$ID" ;;
        esac
    ) >"$OUT" 2>&1 </dev/null || status=$?
    if [[ $kind == setup ]]; then
        chmod -R u+rwX "$bundle" 2>/dev/null
        rm -rf "$bundle"
    fi
    return "$status"
}

@test "bad input: each row of data/badinput.tsv is refused in one line and leaves nothing" {
    # The whole table against phase 5, which carries every earlier phase's code for each row;
    # against phases 2-4 too only with RUNG_BADINPUT_ALL_PHASES=1: there it costs the suite
    # several minutes for code phase 5 already covers (the rows' phase column still applies).
    if [[ ${RUNG_BADINPUT_ALL_PHASES:-0} == 1 ]]; then
        require_phase 2
    else
        require_phase 5
    fi
    PRISTINE=$BATS_TEST_TMPDIR/config.json
    cp "$BUNDLE/config.json" "$PRISTINE"
    OUT=$BATS_TEST_TMPDIR/out
    WORK=$BATS_TEST_TMPDIR/work
    mkdir -p "$WORK" "$ROOT"
    local phase kind input expect want n=0 tried=0 status lines problems="" id=bi$$
    while IFS=$'\t' read -r phase kind input expect want; do
        n=$((n + 1))
        [[ -n $phase && $phase != \#* ]] || continue
        ((PHASE >= phase)) || continue
        tried=$((tried + 1))
        status=0
        run_row "$kind" "$input" "$id" || status=$?
        lines=$(wc -l <"$OUT")
        local row="row $n ($kind $input)"
        if ((status != want)); then
            problems+="$row: exit status $status, not $want: $(head -c 300 "$OUT")"$'\n'
        elif ((lines != 1)); then
            problems+="$row: $lines lines, not one: $(head -c 300 "$OUT" | paste -sd'|')"$'\n'
        elif ! grep -qE -- "$expect" "$OUT"; then
            problems+="$row: no \"$expect\" in: $(cat "$OUT")"$'\n'
        elif LC_ALL=C grep -q '[[:cntrl:]]' "$OUT" || ! iconv -f UTF-8 -t UTF-8 "$OUT" >/dev/null 2>&1; then
            # The line goes to a terminal and into a JSON log: a control byte, or a byte that is
            # not UTF-8, from the input is escaped, never echoed.
            problems+="$row: a control byte or invalid UTF-8: $(od -An -c "$OUT" | paste -sd' ')"$'\n'
        fi
        if ! wait_for nothing_left "$id" "$WORK"; then
            problems+="$row: left $(leftovers "$id" "$WORK" | paste -sd,)"$'\n'
            "$RUNG" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
            rm -rf "${WORK:?}"/* "${ROOT:?}"/*
        fi
    done <"$BATS_TEST_DIRNAME/data/badinput.tsv"
    echo "# phase $PHASE: $tried bad inputs tried" >&3
    ((tried > 0)) || fail "no row for phase $PHASE"
    [[ -z $problems ]] || fail "$problems"
}
