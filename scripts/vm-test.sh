#!/usr/bin/env bash
# vm-test.sh OUTDIR: the VM suite (tests/vm) in one boot of the pure cgroup v2 guest.
#
# Boots scripts/vm-run.sh once and, inside it, runs `bats --tap` on tests/vm against every built
# phase from the lowest `require_phase` in tests/vm on, as the OCI suite runs (RUNG and PHASE set,
# ROOTFS_CACHE=$BUILD_DIR/rootfs). A phase gets the files that have a test for it (a file's
# lowest require_phase <= the phase); a test there for a later phase skips with its reason.
#
# Interface (scripts/test.sh relies on it):
#   BUILD_DIR   where the phases are built (default: build): $BUILD_DIR/phaseN-NAME/rung.
#   OUTDIR      gets one TAP file per phase run, OUTDIR/vm-phaseN-NAME.tap (as oci-phaseN-NAME.tap).
#               Earlier vm-*.tap files there are removed first, so none is stale.
#   stdout      a line per phase with its time; on a skip, one line "vm-test.sh: skip: REASON".
#   exit status 0   every test passed (skips included)
#               1   some test failed: the TAP files say which
#               77  skipped, nothing run: qemu cannot run here (not x86_64, not root, qemu or the
#                   kernel cannot be installed). No TAP file is written.
#               125 the VM failed (boot, timeout, crash) or a phase wrote no TAP plan; the guest
#                   console is on stderr.
#
# `vm-test.sh --guest OUTDIR PHASEDIR...` is the part that runs inside the guest.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
build=${BUILD_DIR:-$repo/build}
if [[ ! -d $build ]]; then
    echo "vm-test.sh: no build directory $build: build first" >&2
    exit 1
fi
build=$(cd "$build" && pwd)

# first_phase FILE...: the lowest `require_phase` in the files (1 if none says).
first_phase() {
    grep -ho 'require_phase [0-9]\+' "$@" | awk '{print $2}' | sort -n | head -n1 | grep . || echo 1
}

# In the guest: one bats run per phase, each into its TAP file, of the files that have a test
# for that phase. Every test that bats starts costs seconds in the guest, even one that only
# skips, so a file whose tests all need a later phase is left out rather than skipped through.
if [[ ${1:-} == --guest ]]; then
    outdir=$2
    shift 2
    status=0
    for dir in "$@"; do
        n=${dir#phase}
        n=${n%%-*}
        start=$SECONDS
        files=()
        for f in tests/vm/*.bats; do
            ((n >= $(first_phase "$f"))) && files+=("$f")
        done
        RUNG=$build/$dir/rung PHASE=$n ROOTFS_CACHE=$build/rootfs \
            bats --tap "${files[@]}" >"$outdir/vm-$dir.tap" 2>&1 || status=1
        echo "vm-test.sh: $dir: $(grep -cE '^ok ' "$outdir/vm-$dir.tap") ok," \
            "$(grep -cE '^not ok ' "$outdir/vm-$dir.tap") not ok, $((SECONDS - start)) s"
    done
    exit $status
fi

outdir=${1:?usage: vm-test.sh OUTDIR}
mkdir -p "$outdir" && outdir=$(cd "$outdir" && pwd)
rm -f "$outdir"/vm-*.tap

skip() {
    echo "vm-test.sh: skip: $*"
    exit 77
}
[[ $(uname -m) == x86_64 ]] || skip "the guest kernel is Debian's amd64 one, this host is $(uname -m)"
[[ $(id -u) -eq 0 ]] || skip "vm-run.sh must run as root"

# The lowest phase any VM test needs: earlier phases would only skip every test.
first=$(first_phase tests/vm/*.bats)
phases=()
for bin in "$build"/phase*-*/rung; do
    [[ -x $bin ]] || continue
    dir=$(basename "$(dirname "$bin")")
    n=${dir#phase}
    n=${n%%-*}
    ((n >= first)) && phases+=("$dir")
done
if ((${#phases[@]} == 0)); then
    echo "vm-test.sh: no phase from $first on is built in $build" >&2
    exit 1
fi

# Prepare on the host what the guest reads but should not build: the rootfs cache, and the
# packages and kernel (vm-run.sh `true` installs and fetches them, and proves the VM boots).
ROOTFS_CACHE=$build/rootfs scripts/mkrootfs.sh "$build/rootfs" || exit 1
if ! command -v qemu-system-x86_64 >/dev/null || [[ ! -e ${RUNG_VM_CACHE:-/var/cache/rung-vm}/kernel/ok ]]; then
    prepare_log=$(mktemp)
    scripts/vm-run.sh true 2>"$prepare_log"
    rc=$?
    failed='^vm-run.sh: (apt-get .*failed|apt-cache knows no)'
    if ((rc == 125)) && grep -qE "$failed" "$prepare_log"; then
        skip "$(grep -m1 -E "$failed" "$prepare_log")"
    fi
    cat "$prepare_log" >&2
    rm -f "$prepare_log"
    ((rc == 0)) || exit 125
fi

# The guest writes its TAP files to a fresh directory shared read-write; the rest of the host,
# the build included, stays read-only to it.
tapdir=$(mktemp -d "$outdir/.vm-tap.XXXXXX")
trap 'rm -rf "$tapdir"' EXIT
echo "vm-test.sh: one boot for ${phases[*]}"
export BUILD_DIR=$build
start=$SECONDS
scripts/vm-run.sh --rw "$tapdir" scripts/vm-test.sh --guest "$tapdir" "${phases[@]}"
rc=$?
echo "vm-test.sh: $((SECONDS - start)) s in the guest (boot included)"
((rc == 125 || rc == 130)) && exit "$rc"
for dir in "${phases[@]}"; do
    if ! grep -qE '^1\.\.[0-9]+' "$tapdir/vm-$dir.tap" 2>/dev/null; then
        echo "vm-test.sh: $dir wrote no TAP plan" >&2
        exit 125
    fi
    mv "$tapdir/vm-$dir.tap" "$outdir/vm-$dir.tap"
done
((rc == 0)) || exit 1
