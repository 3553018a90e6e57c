#!/usr/bin/env bash
# lab-start.sh: set up lab N (docs/labs/phaseN.md) in your working tree (make lab-start PHASE=N).
#
#   scripts/lab-start.sh N
#
# Lab N is chapter N done by hand, so its starting point is the phase before it with phase N's
# name: phaseN-*/ becomes a copy of phase(N-1)'s sources, and its CMakeLists.txt keeps building
# the target rung_phaseN from that copy's files. Lab 1 has no phase before it: it starts from
# phase 1 with the namespaces and steps of docs/labs/phase1-start.patch taken out. The solution
# is the phase as it was (the next phase, seen from your starting point): `git diff -R -- phaseN-*`
# shows what you have not written yet, `git restore phaseN-*` gives it back. Work on a branch.
# Refuses to touch a phase directory with changes not committed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
die() {
    echo "lab-start: $*" >&2
    exit 2
}
if (($# != 1)) || [[ ! $1 =~ ^[0-9]+$ ]]; then die "usage: scripts/lab-start.sh N   (or: make lab-start PHASE=N)"; fi
n=$1
to=
for d in phase"$n"-*/; do [[ -f $d/CMakeLists.txt ]] && to=${d%/}; done
[[ -n $to ]] || die "there is no phase $n"
[[ -z $(git status --porcelain -- "$to") ]] || die "$to has changes not committed: commit or stash them first"

if ((n == 1)); then
    git apply docs/labs/phase1-start.patch
else
    from=
    for d in phase"$((n - 1))"-*/; do [[ -f $d/CMakeLists.txt ]] && from=${d%/}; done
    [[ -n $from ]] || die "there is no phase $((n - 1)) to start lab $n from"
    name=${to#phase"$n"-}
    rm -r -- "$to"
    mkdir "$to"
    cp -r "$from"/. "$to"/
    # The copy builds as phase N: the same target name and RUNG_PHASE as the phase it replaces.
    sed -i -E "s/^project\(rung_phase$((n - 1)) /project(rung_phase$n /; s/^rung_phase\($((n - 1)) [a-z]+/rung_phase($n $name/" "$to/CMakeLists.txt"
fi
echo "lab-start: $to is now your starting point for lab $n (docs/labs/phase$n.md)"
echo "lab-start: build and check it with: make lab-check PHASE=$n"
