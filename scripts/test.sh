#!/usr/bin/env bash
# test.sh: the one test command (make test, and .ci/run).
#
# Installs what is missing, then:
#   checks  clang-format (.clang-format) and shellcheck over scripts/, tests/ and .ci/;
#           the build of every phase with warnings as errors (-DRUNG_WERROR=ON); after the
#           OCI suites, that no container cgroup is left under the host's cgroup2 /rung
#   tests   every doctest case of every unit binary that ctest knows (tests/unit), and every
#           Bats test of tests/oci/*.bats once against each phase present; tests/docs/*.bats
#           (phase-diff, lab-check, doctor, doc-test) once; podman, containerd and containerd's
#           CRI driving phase 5 (tests/interop, after scripts/deps.sh --interop); and, if
#           scripts/vm-test.sh exists, the suites it runs in a pure cgroup v2 VM (booted once)
#   fuzz    in the sanitizer tree (scripts/build-asan.sh: clang, ASan + UBSan, the fault points,
#           the fuzz targets), a few seconds of each fuzz target ("fuzz smoke"); RUNG_CI_FUZZ=0
#           leaves it out
#   asan    with RUNG_CI_ASAN=1, also phase 5's unit tests and the OCI suite against phase 5
#           built in that tree ("asan ..." rows); any sanitizer report fails the check
#           "sanitizers". It is off by default: on a fresh machine it adds about 15 minutes.
# With --asan (make test-asan), only the sanitizer tree, but all of it: every unit binary, the
# OCI suite against every phase, and the fuzz smoke.
# It prints one table row per unit binary, per phase and per VM suite, the skips grouped by
# reason with a count, and as the very last line
#   N passed, N failed, N skipped
# where passed and skipped count tests only, and failed counts failed tests plus failed checks,
# so it is 0 exactly when the exit status is 0.
#
# BUILD_DIR (default ./build) is the build directory; scripts/demo.sh and make use the same one
# with the same cache settings, so running one after the other rebuilds nothing.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
build=${BUILD_DIR:-$repo/build}
asan_mode=0
[[ ${1:-} == --asan ]] && asan_mode=1

if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: the OCI suite creates namespaces and mounts: run as root (sudo make test)" >&2
    exit 1
fi

scripts/deps.sh || exit 1
mkdir -p "$build"

passed=0 failed=0 skipped=0
checks=()       # "name ok" / "name FAILED"
rows=()         # one printed row per suite
skips_file=$build/skips.txt # "suite<TAB>reason", one line per skipped test
: >"$skips_file"
steps=()        # "label<TAB>seconds", one per section, for the summary's times
step_label="deps (scripts/deps.sh)" step_start=0

# section TEXT: print "== TEXT" and start timing it; the summary lists each step's minutes, so a
# slow CI run says where its time went.
section() {
    steps+=("$step_label"$'\t'$((SECONDS - step_start)))
    step_label=$1 step_start=$SECONDS
    echo "== $1"
}

failed_checks=()
check() { # check NAME STATUS: a check passed (STATUS 0) or failed; failures count in "failed"
    if (($2 == 0)); then
        checks+=("$1 ok")
    else
        checks+=("$1 FAILED")
        failed_checks+=("$1")
        failed=$((failed + 1))
    fi
}

row() { # row SUITE PASSED FAILED SKIPPED: a table row, added to the totals
    rows+=("$(printf '%-26s %7d %7d %8d' "$1" "$2" "$3" "$4")")
    passed=$((passed + $2))
    failed=$((failed + $3))
    skipped=$((skipped + $4))
}

summary() {
    echo
    printf '%-26s %7s %7s %8s\n' "suite" passed failed skipped
    ((${#rows[@]} == 0)) || printf '%s\n' "${rows[@]}"
    printf '%-26s %7s %7s %8s\n' "" ------- ------- --------
    printf '%-26s %7d %7d %8d\n' "tests" "$passed" "$((failed - ${#failed_checks[@]}))" "$skipped"
    echo
    echo "checks: $(printf '%s, ' "${checks[@]}" | sed 's/, $//')"
    if [[ -s $skips_file ]]; then
        echo
        echo "skipped, by reason:"
        printf '  %5s  %-50s %s\n' count reason "where (suite: count)"
        # One line per reason: its count, and the suites it was skipped in, most frequent first.
        sort -t"$(printf '\t')" -k2,2 -k1,1V "$skips_file" | uniq -c |
            awk '{ n = $1; sub(/^ *[0-9]+ /, ""); split($0, f, "\t")
                   if (!(f[2] in total)) order[++k] = f[2]
                   total[f[2]] += n; where[f[2]] = where[f[2]] (where[f[2]] == "" ? "" : ", ") f[1] ": " n }
                 END { for (i = 1; i <= k; i++) printf "  %5d  %-50s %s\n", total[order[i]], order[i], where[order[i]] }' |
            sort -s -k1,1nr
    fi
    steps+=("$step_label"$'\t'$((SECONDS - step_start)))
    step_label='' step_start=$SECONDS
    echo
    echo "time, by step (${SECONDS} s in all):"
    local step
    for step in "${steps[@]}"; do
        printf '  %3d:%02d  %s\n' $((${step##*$'\t'} / 60)) $((${step##*$'\t'} % 60)) "${step%$'\t'*}"
    done
    echo
    echo "$passed passed, $failed failed, $skipped skipped"
}

# tap_counts SUITE FILE: add a TAP stream's results as one row; print each failure with the
# diagnostics that follow it, and record each skip's reason.
tap_counts() {
    local suite=$1 tap=$2 p s f
    p=$(grep -cE '^ok ' "$tap")
    s=$(grep -cE '^ok [0-9]+ .* # skip' "$tap")
    f=$(grep -cE '^not ok ' "$tap")
    p=$((p - s))
    if ((f > 0)); then
        echo "FAILED in $suite ($tap):"
        awk '/^not ok /{show=1} /^ok /{show=0} show' "$tap"
    fi
    # A stream without its plan line, or with fewer results than the plan, was cut short.
    local plan
    plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$tap" | cut -d. -f3)
    if [[ -z $plan ]] || ((p + s + f < plan)); then
        echo "FAILED: $suite: the TAP stream ended early (plan ${plan:-missing}, $((p + s + f)) results):"
        tail -20 "$tap"
        f=$((f + 1))
    fi
    grep -E '^ok [0-9]+ .* # skip' "$tap" |
        sed -E 's/^ok [0-9]+ .* # skip ?//; s/^$/(no reason given)/; s/^needs phase ([0-9]+) \(this is phase [0-9]+\)$/needs phase \1/' |
        awk -v s="$suite" '{print s "\t" $0}' >>"$skips_file"
    row "$suite" "$p" "$f" "$s"
}

# unit_rows DIR PREFIX [CTEST ARGS...]: run the unit binaries ctest knows in build tree DIR (the
# args may select some: -R REGEX) and add one row per binary, its name after PREFIX.
unit_rows() {
    local dir=$1 prefix=$2
    shift 2
    local log=$dir/unit.log
    # ctest -V prefixes each line a test prints with its number: "3: [doctest] test cases: ...".
    ctest --test-dir "$dir" -V "$@" >"$log" 2>&1
    local num name result counts p f s i
    declare -A unit_name=()
    while read -r num name; do
        unit_name[$num]=$name
    done < <(sed -nE 's/^ *Start +([0-9]+): (.*)$/\1 \2/p' "$log")
    for num in $(printf '%s\n' "${!unit_name[@]}" | sort -n); do
        name=${unit_name[$num]}
        # The result line: "1/5 Test #1: unit_common ........   Passed    0.02 sec"
        result=$(grep -E "^ *[0-9]+/[0-9]+ Test +#$num: " "$log")
        counts=$(sed -nE "s/^$num: \[doctest\] test cases: *([0-9]+) \| *([0-9]+) passed \| *([0-9]+) failed \| *([0-9]+) skipped.*/\2 \3 \4/p" "$log")
        if [[ -n $counts ]]; then
            read -r p f s <<<"$counts"
        elif [[ $result == *" Passed "* ]]; then
            p=1 f=0 s=0 # not a doctest binary: one test
        else
            p=0 f=0 s=0
        fi
        # A binary that failed with every case passing (crash at exit, timeout, no summary) is one
        # failure more.
        if [[ $result != *" Passed "* ]]; then
            ((f > 0)) || f=1
            echo "FAILED: $name:"
            grep -E "^$num: " "$log" | tail -40
        fi
        if ((s > 0)); then
            for ((i = 0; i < s; i++)); do printf '%s\t%s\n' "$prefix${name//_/ }" "doctest::skip" >>"$skips_file"; done
        fi
        row "$prefix${name//_/ }" "$p" "$f" "$s"
    done
    ((${#unit_name[@]} > 0)) || { echo "FAILED: ctest found no unit tests"; tail -20 "$log"; row "${prefix}unit tests" 0 1 0; }
}

# oci_rows DIR PREFIX PHASE_DIR...: the OCI suite (tests/oci/*.bats) against each phase's rung in
# build tree DIR, one row per phase, "PREFIXphaseN-NAME".
oci_rows() {
    local build=$1 prefix=$2 dir n bin tap
    shift 2
    for dir in "$@"; do
        dir=${dir%/}
        [[ -f $dir/CMakeLists.txt ]] || continue
        n=${dir#phase}
        n=${n%%-*}
        bin=$build/$dir/rung
        if [[ ! -x $bin ]]; then
            echo "FAILED: $dir: $bin was not built"
            row "$prefix$dir" 0 1 0
            continue
        fi
        section "OCI suite (tests/oci/*.bats) against ${build##*/}/$dir"
        tap=$build/oci-$dir.tap
        RUNG=$bin PHASE=$n bats --tap tests/oci/*.bats >"$tap" 2>&1
        tap_counts "$prefix$dir" "$tap"
    done
}

# cgroups_check: no container's cgroup outlives the suites: each delete removes its own. The
# parent /rung is shared by every container, so the last delete may not know it is the last (two
# containers created at once): the suite removes it if it made it and it is empty.
cgroups_check() {
    [[ -n $cgroup2 ]] || return 0
    local left=()
    [[ -d $cgroup2/rung ]] && mapfile -t left < <(find "$cgroup2/rung" -mindepth 1 -type d)
    if ((${#left[@]})); then
        echo "FAILED: cgroups left behind: ${left[*]}"
        check cgroups 1
    else
        check cgroups 0
        ((had_rung_cgroup)) || [[ ! -d $cgroup2/rung ]] || rmdir "$cgroup2/rung"
    fi
}

# asan_rows SCOPE: the sanitizer tree, ASAN_BUILD_DIR (default ./build-asan), built by
# scripts/build-asan.sh with clang, -fsanitize=address,undefined, and the fuzz targets. SCOPE "phase5" (CI's share): phase 5's unit binaries and common's, the OCI suite
# against phase 5; "all" (make test-asan): every unit binary, the suite against every phase.
# Rows "asan unit ..." and "asan oci phaseN-NAME". The sanitizers write their reports to files, not to the tests' stderr (a
# test expecting a failure would pass over a report with exit status 1 just the same): any report
# fails the check "sanitizers" and is printed.
asan_rows() {
    local scope=$1 asan=${ASAN_BUILD_DIR:-$repo/build-asan}
    local targets=() ctest_args=() phases=(phase*-*/)
    if [[ $scope == phase5 ]]; then
        targets=(rung_phase5 rung_phase5_faults recvtty attack seccomp_agent swapdirs unit_common
            unit_fake_sys unit_spec_phase5 unit_lifecycle_phase5 unit_rootfs_phase5
            unit_steps_phase5 unit_cgroups_phase5 unit_security_phase5 unit_reexec_phase5
            unit_devices_phase5)
        ctest_args=(-R '^unit_(common|fake_sys|[a-z]+_phase5)$')
        phases=(phase5-*/)
    fi
    section "sanitizer tree ($asan: ASan + UBSan, fault points, fuzz targets; $scope)"
    mkdir -p "$asan"
    if ASAN_BUILD_DIR=$asan scripts/build-asan.sh "${targets[@]}" >"$asan/build.log" 2>&1; then
        check "asan build" 0
    else
        tail -40 "$asan/build.log"
        check "asan build" 1
        return
    fi
    local reports=$asan/sanitizer-reports
    rm -rf "$reports"
    mkdir -p "$reports"
    # Exported to the tests for as long as this function runs.
    local -x ASAN_OPTIONS=log_path=$reports/asan:detect_leaks=1
    local -x UBSAN_OPTIONS=log_path=$reports/ubsan:print_stacktrace=1
    local -x RECVTTY=$asan/tests/tools/recvtty ATTACK=$asan/tests/tools/attack
    local -x SECCOMP_AGENT=$asan/tests/tools/seccomp_agent SWAPDIRS=$asan/tests/tools/swapdirs
    section "unit tests ($asan)"
    unit_rows "$asan" "asan " "${ctest_args[@]}"
    oci_rows "$asan" "asan oci " "${phases[@]}"
    unset ASAN_OPTIONS UBSAN_OPTIONS
    local found
    found=$(find "$reports" -type f | wc -l)
    if ((found > 0)); then
        echo "FAILED: $found sanitizer reports ($reports):"
        find "$reports" -type f | head -3 | xargs -r head -40
    fi
    check sanitizers "$found"
}

# fuzz_smoke: the fuzz targets built in the sanitizer tree and run FUZZ_SMOKE_SECONDS (default 3)
# each on their seed corpora (scripts/fuzz.sh): one row, "fuzz smoke", a test per target.
fuzz_smoke() {
    local asan=${ASAN_BUILD_DIR:-$repo/build-asan} out ok all
    section "fuzz smoke (tests/fuzz, scripts/fuzz.sh ${FUZZ_SMOKE_SECONDS:-3})"
    mkdir -p "$asan"
    if ! ASAN_BUILD_DIR=$asan scripts/build-asan.sh fuzz_all >"$asan/fuzz-build.log" 2>&1; then
        tail -40 "$asan/fuzz-build.log"
        row "fuzz smoke" 0 1 0
        return
    fi
    out=$(ASAN_BUILD_DIR=$asan scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-3}")
    echo "$out"
    ok=$(grep -c ' 0 crashes' <<<"$out")
    all=$(grep -c '^fuzz_' <<<"$out")
    row "fuzz smoke" "$ok" $((all - ok)) 0
}

section "rootfs ($build/rootfs)"
export ROOTFS_CACHE=$build/rootfs
if scripts/mkrootfs.sh "$build/rootfs"; then
    check rootfs 0
else
    check rootfs 1
    summary
    exit 1
fi

# The host's cgroup v2 hierarchy, where phase 4 on puts each container in /rung/<id>.
cgroup2=
for d in /sys/fs/cgroup /sys/fs/cgroup/unified; do
    [[ $(stat -f -c %T "$d" 2>/dev/null) == cgroup2fs ]] && cgroup2=$d && break
done
had_rung_cgroup=0
[[ -n $cgroup2 && -d $cgroup2/rung ]] && had_rung_cgroup=1

# ---- make test-asan: the sanitizer tree alone, all of it --------------------------------------
if ((asan_mode)); then
    asan_rows all
    fuzz_smoke
    cgroups_check
    summary
    ((failed == 0))
    exit
fi

section "format (clang-format, .clang-format)"
# Tracked files and new ones not yet added (but not what .gitignore ignores), in the source dirs.
mapfile -t sources < <(git ls-files -co --exclude-standard -- 'common/*.[ch]pp' 'phase*/*.[ch]pp' \
    'tests/*.[ch]pp' 2>/dev/null || find common phase* tests -name '*.[ch]pp')
clang-format --dry-run --Werror "${sources[@]}" 2>"$build/format.log"
rc=$?
((rc == 0)) || { head -20 "$build/format.log"; echo "FAILED: formatting: run clang-format -i on the files above"; }
check format $rc

section "shellcheck (scripts/, tests/, .ci/)"
# Every shell file: by extension (.sh, .bash, .bats) or by a sh/bash/bats shebang. The Bats files
# are checked as Bats (shellcheck knows @test). Excluded, for the whole tree:
#   SC2016  a $ in single quotes: the suite and the demo pass commands to the container's shell
#   SC2153  a variable set by a helper that `load` pulls in (ROOT, BUNDLE), which shellcheck
#           cannot follow
shell_files=()
while read -r f; do
    [[ -f $f ]] || continue
    case $f in
    *.sh | *.bash | *.bats) shell_files+=("$f") ;;
    *) head -n1 "$f" | grep -qE '^#!.*\b(ba)?sh\b|^#!.*\bbats\b' && shell_files+=("$f") ;;
    esac
done < <(git ls-files -co --exclude-standard -- scripts tests .ci 2>/dev/null ||
    find scripts tests .ci -type f)
shellcheck -x -f gcc -e SC2016,SC2153 "${shell_files[@]}" >"$build/shellcheck.log" 2>&1
rc=$?
((rc == 0)) || { cat "$build/shellcheck.log"; echo "FAILED: shellcheck: fix the lines above"; }
check shellcheck $rc

section "build ($build, -DRUNG_WERROR=ON)"
if cmake -S . -B "$build" -DRUNG_WERROR=ON >"$build/configure.log" 2>&1 &&
    cmake --build "$build" -j "$(nproc)" >"$build/build.log" 2>&1; then
    check build 0
else
    tail -40 "$build/configure.log" "$build/build.log" 2>/dev/null
    check build 1
    summary
    exit 1
fi

section "unit tests (every doctest case of every ctest binary)"
unit_rows "$build" ""

oci_rows "$build" "oci " phase*-*/

# ---- docs: the learner's tools (tests/docs: phase-diff, lab-check), once -----------------------
# One row, "docs". They read the phase directories and run lab-check against the builds above.
if compgen -G 'tests/docs/*.bats' >/dev/null; then
    section "docs (tests/docs/*.bats)"
    tap=$build/docs.tap
    BUILD_DIR=$build bats --tap tests/docs/*.bats >"$tap" 2>&1
    tap_counts "docs" "$tap"
fi

# ---- interop: podman drives phase 5 (tests/interop/podman.bats), once --------------------------
# One row, "interop podman". scripts/deps.sh --interop installs podman first; where it cannot,
# each test skips with the reason.
interop_bin=
for b in "$build"/phase5-*/rung; do [[ -x $b ]] && interop_bin=$b; done
if [[ -f tests/interop/podman.bats && -n $interop_bin ]]; then
    section "interop (tests/interop/podman.bats) against ${interop_bin#"$build"/}"
    scripts/deps.sh --interop >"$build/interop-deps.log" 2>&1 ||
        echo "scripts/deps.sh --interop failed: the interop tests skip (log: $build/interop-deps.log)"
    tap=$build/interop-podman.tap
    RUNG=$interop_bin bats --tap tests/interop/podman.bats >"$tap" 2>&1
    tap_counts "interop podman" "$tap"
fi

# ---- interop: containerd drives phase 5 through its runc shim (tests/interop/containerd.bats) --
# One row, "interop containerd". deps.sh --interop (above) installs containerd; where it could
# not, each test skips with the reason. The file starts a private containerd of its own.
if [[ -f tests/interop/containerd.bats && -n $interop_bin ]]; then
    section "interop (tests/interop/containerd.bats) against ${interop_bin#"$build"/}"
    tap=$build/interop-containerd.tap
    RUNG=$interop_bin bats --tap tests/interop/containerd.bats >"$tap" 2>&1
    tap_counts "interop containerd" "$tap"
fi

# ---- interop: the CRI, as the kubelet drives it (tests/interop/cri.bats) ----------------------
# One row, "interop cri": containerd's CRI plugin runs pods with runtime handler rung, through
# the same shim; the client is tests/interop/cri/cri.js, whose npm modules deps.sh --interop
# (above) installs. Where containerd, node or the modules are missing, each test skips, saying so.
if [[ -f tests/interop/cri.bats && -n $interop_bin ]]; then
    section "interop (tests/interop/cri.bats) against ${interop_bin#"$build"/}"
    tap=$build/interop-cri.tap
    RUNG=$interop_bin bats --tap tests/interop/cri.bats >"$tap" 2>&1
    tap_counts "interop cri" "$tap"
fi

# ---- the sanitizer tree: the fuzz smoke; with RUNG_CI_ASAN=1 phase 5 under ASan too --------
[[ ${RUNG_CI_ASAN:-0} == 0 ]] || asan_rows phase5
[[ ${RUNG_CI_FUZZ:-1} == 0 ]] || fuzz_smoke

cgroups_check

# ---- VM hook -------------------------------------------------------------------------------
# scripts/vm-test.sh OUTDIR (H4's, with scripts/vm-run.sh) boots one pure cgroup v2 VM, runs
# tests/vm against each phase that has tests there, and leaves one TAP stream per phase in
# OUTDIR/vm-phaseN-NAME.tap. Each becomes a row "vm phaseN-NAME". Its exit status: 0 all passed,
# 1 some test failed (the TAP says which), 77 nothing run because qemu cannot run here (its
# stdout says why: shown as a skipped check, not a failure), 125 the VM itself failed.
if [[ -x scripts/vm-test.sh ]]; then
    section "VM suites (scripts/vm-test.sh, one boot)"
    vm_out=$build/vm-tap
    rm -rf "$vm_out"
    mkdir -p "$vm_out"
    BUILD_DIR=$build scripts/vm-test.sh "$vm_out" >"$build/vm-test.log" 2>&1
    rc=$?
    case $rc in
    0 | 1) check vm 0 ;;
    77) checks+=("vm skipped ($(sed -n 's/^vm-test.sh: skip: //p' "$build/vm-test.log" | head -n1))") ;;
    *)
        tail -30 "$build/vm-test.log"
        echo "FAILED: scripts/vm-test.sh exited $rc (log: $build/vm-test.log)"
        check vm 1
        ;;
    esac
    for tap in "$vm_out"/*.tap; do
        [[ -e $tap ]] || continue
        name=$(basename "$tap" .tap)
        tap_counts "vm ${name#vm-}" "$tap"
    done
fi
# ---------------------------------------------------------------------------------------------

summary
((failed == 0))
