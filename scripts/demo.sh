#!/usr/bin/env bash
# demo.sh: install what is missing, build, and run a busybox container with the newest phase
# that is built, printing its hostname and its PID.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
scripts/mkrootfs.sh build/rootfs

show='echo "hostname: $(hostname)"; echo "my pid: $$"; ps; true'
rung=build/phase1-namespaces/rung
echo "\$ $rung run --rootfs build/rootfs --hostname demo -- sh -c '$show'"
"$rung" run --rootfs build/rootfs --hostname demo -- sh -c "$show"
