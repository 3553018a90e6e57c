#!/usr/bin/env bash
# test.sh: the one test command (make test, and .ci/run).
#
# Installs what is missing, builds every phase with warnings as errors, checks formatting, runs
# the unit tests (ctest), then runs the OCI Bats suite against every phase that is present and
# prints a phase x passed/failed/skipped table, every skip with its reason. The last line is
# "N passed, N failed"; the exit status is non-zero on any failure.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${BUILD_DIR:-$repo/build}

if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: the OCI suite creates namespaces and mounts: run as root (sudo make test)" >&2
    exit 1
fi

scripts/deps.sh || exit 1

passed=0 failed=0 skipped=0
fail() {
    echo "FAILED: $*"
    failed=$((failed + 1))
}

echo "== format (clang-format, .clang-format)"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find common phase* tests -name '*.[ch]pp')
if clang-format --dry-run --Werror "${sources[@]}" 2>/tmp/rung-format.$$; then
    passed=$((passed + 1))
else
    head -20 /tmp/rung-format.$$
    fail "formatting: run clang-format -i on the files above"
fi
rm -f /tmp/rung-format.$$

echo "== build"
if ! cmake -S . -B "$build" -DRUNG_WERROR=ON >/dev/null || ! cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1; then
    tail -40 "$build/build.log" 2>/dev/null
    echo "0 passed, 1 failed"
    exit 1
fi

echo "== unit tests (ctest)"
ctest --test-dir "$build" --output-on-failure
unit_rc=$?
((unit_rc == 0)) || fail "unit tests"

echo "== rootfs"
ROOTFS_CACHE=$build/rootfs scripts/mkrootfs.sh "$build/rootfs" || exit 1
export ROOTFS_CACHE=$build/rootfs

declare -a table=()
skips=""
for dir in phase*-*/; do
    dir=${dir%/}
    n=${dir#phase}
    n=${n%%-*}
    bin=$build/$dir/rung
    [[ -x $bin ]] || { fail "$dir: $bin was not built"; continue; }
    echo "== OCI suite against $dir"
    tap=$build/oci-$dir.tap
    RUNG=$bin PHASE=$n bats --tap tests/oci >"$tap" 2>&1
    p=$(grep -cE '^ok ' "$tap" | tr -d ' ')
    s=$(grep -cE '^ok .* # skip' "$tap" | tr -d ' ')
    f=$(grep -cE '^not ok ' "$tap" | tr -d ' ')
    p=$((p - s))
    if ((f > 0)) || ! grep -qE '^1\.\.[0-9]+' "$tap"; then
        # Show each failure with the diagnostics Bats printed for it.
        awk '/^not ok /{show=1} /^ok /{show=0} show' "$tap"
        grep -qE '^1\.\.[0-9]+' "$tap" || { cat "$tap"; f=$((f + 1)); }
    fi
    table+=("$(printf '%-20s %7d %7d %8d' "$dir" "$p" "$f" "$s")")
    skips+=$(grep -E '^ok .* # skip' "$tap" | sed -E "s/^ok [0-9]+ (.*) # skip ?(.*)/  $dir: \1 -- \2/")
    [[ -n $skips ]] && skips+=$'\n'
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
done

echo
printf '%-20s %7s %7s %8s\n' phase passed failed skipped
printf '%s\n' "${table[@]}"
if [[ -n ${skips//$'\n'/} ]]; then
    echo
    echo "skipped, with the reason:"
    printf '%s' "$skips" | sed '/^$/d' | sed -E 's/needs phase ([0-9]+) \(this is phase [0-9]+\)/needs phase \1/' | sort
fi
echo
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
