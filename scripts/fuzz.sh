#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: run each libFuzzer target of tests/fuzz for SECONDS (default
# $FUZZ_SECONDS, or 60) on a copy of its seed corpus, tests/fuzz/corpus/<target>/. make fuzz
# builds the targets first (scripts/build-asan.sh fuzz_all); scripts/test.sh runs a short smoke.
#
# Per target it prints one line, "fuzz_config: 12345 executions in 60 s, 0 crashes", and keeps
# in ASAN_BUILD_DIR/fuzz/:
#   corpus/<target>/      the corpus grown by the run (the repo's seeds are never written)
#   <target>.log          libFuzzer's output
#   found/<target>-*      each input that crashed (crash-, leak-, timeout-...), to replay with
#                         build-asan/tests/fuzz/fuzz_<target> FILE
# Exit status: 0 with no crash, 1 if any target crashed or did not run.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${ASAN_BUILD_DIR:-$repo/build-asan}
seconds=${1:-${FUZZ_SECONDS:-60}}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(config mount_options state seccomp sync id signal)

out=$dir/fuzz
mkdir -p "$out"
status=0
for t in "${targets[@]}"; do
    bin=$dir/tests/fuzz/fuzz_$t
    if [[ ! -x $bin ]]; then
        echo "fuzz_$t: not built ($bin): scripts/build-asan.sh fuzz_all"
        status=1
        continue
    fi
    rm -rf "$out/corpus/$t" "$out/found/$t-"*
    mkdir -p "$out/corpus/$t" "$out/found"
    cp "$repo/tests/fuzz/corpus/$t"/* "$out/corpus/$t/"
    # -timeout: an input that takes 10 s is a hang, and a finding like a crash. UBSan is fatal
    # in this build, so a report of either sanitizer ends the run with its input saved.
    "$bin" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$out/found/$t-" "$out/corpus/$t" >"$out/$t.log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)
    crashes=$(find "$out/found" -name "$t-*" | wc -l)
    echo "fuzz_$t: ${runs:-0} executions in $seconds s, $crashes crashes, corpus $(find "$out/corpus/$t" -type f | wc -l) inputs"
    if ((rc != 0 || crashes > 0)); then
        grep -m1 -B2 -A20 -E '^==[0-9]+==|runtime error|FUZZ_CHECK|uncaught|deadly signal' "$out/$t.log" | head -40
        status=1
    fi
done
exit $status
