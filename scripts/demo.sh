#!/usr/bin/env bash
# demo.sh: install what is missing, build, and take a busybox container through its lifecycle
# with the newest phase that is built: spec, create, state, start, state, delete.
#
# It builds in BUILD_DIR (default ./build) with the same cache settings as scripts/test.sh
# (-DRUNG_WERROR=ON), so running one after the other rebuilds nothing.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${BUILD_DIR:-$repo/build}

scripts/deps.sh

# One line of progress while it builds: the percentage cmake reports, updated in place on a
# terminal, every 25% otherwise. The full output is in $build/build.log.
mkdir -p "$build"
cmake -S . -B "$build" -DRUNG_WERROR=ON >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log"; exit 1; }
progress() {
    local line pct last=-1
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$build/build.log"
        [[ $line =~ ^\[\ *([0-9]+)%\] ]] || continue
        pct=${BASH_REMATCH[1]}
        if [[ -t 1 ]]; then
            printf '\r== building every phase in %s: %3d%%' "$build" "$pct"
        elif ((pct / 25 > last / 25)); then
            printf '== building every phase in %s: %3d%%\n' "$build" "$pct"
        fi
        last=$pct
    done
    [[ -t 1 ]] && printf '\r== building every phase in %s: done\n' "$build"
    return 0
}
: >"$build/build.log"
if ! cmake --build "$build" -j "$(nproc)" 2>&1 | progress; then
    echo
    tail -40 "$build/build.log"
    exit 1
fi
echo "== busybox root filesystem in $build/rootfs"
scripts/mkrootfs.sh "$build/rootfs"

# The newest phase built: the highest N of a phaseN-* directory with a binary.
phase="" n=0
for dir in phase*-*/; do
    dir=${dir%/}
    m=${dir#phase}
    m=${m%%-*}
    if [[ -x $build/$dir/rung ]] && ((m > n)); then
        phase=$dir n=$m
    fi
done
[[ -n $phase ]] || { echo "demo.sh: no phase was built in $build" >&2; exit 1; }
bin=$build/$phase/rung

# show CMD...: print a command as a shell transcript would, then run it.
show() {
    printf '$ %s\n' "$*"
    "$@"
}

# rung ARGS...: the binary, with a state root of the demo's own from phase 2 on.
root=/run/rung-demo
rung() {
    if ((n >= 2)); then "$bin" --root "$root" "$@"; else "$bin" "$@"; fi
}

show_cmd='echo "hello from $(hostname), my pid is $$"; ps -o pid,comm; exec sleep 1000'
if ((n == 1)); then
    # Phase 1 has one command, run: no bundle, no lifecycle yet.
    echo "== phase 1: rung run"
    show rung run --rootfs "$build/rootfs" --hostname demo -- sh -c "${show_cmd%; exec sleep 1000}"
    exit 0
fi

bundle=$build/demo-bundle
id=demo
rung delete --force "$id" >/dev/null 2>&1 || true
trap 'rung delete --force "$id" >/dev/null 2>&1 || true' EXIT
rm -rf "$bundle"
mkdir -p "$bundle"
cp -a "$build/rootfs" "$bundle/rootfs"
cd "$bundle"

echo
echo "== $phase: a container's lifecycle"
echo "# rung is $bin --root $root; the bundle is $bundle"
if ((n >= 3)); then
    show rung spec
    args=$(jq -n -c --arg c "$show_cmd" '["sh", "-c", $c]')
    printf '$ %s\n' "jq '.process.terminal = false | .process.args = $args' config.json > c && mv c config.json"
    jq --argjson a "$args" '.process.terminal = false | .process.args = $a' config.json >c && mv c config.json
else
    # Phase 2 has no `spec` yet: the bundle script writes the same shape.
    show "$repo/scripts/mkbundle.sh" "$bundle" sh -c "$show_cmd" >/dev/null
fi
# The container inherits create's stdout and keeps it until it exits: a file, shown after start.
printf '$ %s\n' "rung create --bundle . $id >stdout"
rung create --bundle . "$id" >stdout </dev/null
show rung state "$id"
show rung start "$id"
show rung state "$id"
# Wait (5 s at most) until the program has printed its ps.
for ((i = 0; i < 50; i++)); do
    grep -q ' ps$' stdout && break
    sleep 0.1
done
show cat stdout
show rung delete --force "$id"
trap - EXIT
