#!/usr/bin/env bash
# phase-table.sh: which tests of the OCI suite each phase passes, as a markdown table.
#
#   scripts/phase-table.sh [--readme] [DIR]
#
# Reads the TAP streams a run of scripts/test.sh leaves in DIR (default: BUILD_DIR or ./build),
# DIR/oci-phaseN-NAME.tap, one per phase, and prints one row per file of tests/oci: its number of
# tests, then for each phase how many of them passed (and how many failed, if any; the others
# were skipped as belonging to a later phase, or for a reason the run printed). A test is put in
# its file by its name, from the @test lines of tests/oci/*.bats. With --readme it replaces the
# part of README.md between the lines <!-- phase-table begin --> and <!-- phase-table end -->.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readme=0
[[ ${1:-} == --readme ]] && readme=1 && shift
dir=${1:-${BUILD_DIR:-$repo/build}}
shopt -s nullglob
taps=("$dir"/oci-phase*-*.tap)
((${#taps[@]})) || { echo "phase-table.sh: no oci-phase*-*.tap in $dir: run scripts/test.sh first" >&2 && exit 2; }

# name<TAB>file for every test of the suite (Bats prints \" in a name as ").
names=$(mktemp)
trap 'rm -f "$names"' EXIT
for f in "$repo"/tests/oci/*.bats; do
    sed -nE 's/^@test "(.*)" \{$/\1/p' "$f" | sed 's/\\"/"/g' | awk -v f="${f##*/}" '{print $0 "\t" f}'
done >"$names"

table() {
    # awk reads the names, then each TAP stream in phase order; FILENAME tells which.
    awk -F'\t' '
        FNR == NR { file[$1] = $2; if (!($2 in seen)) { seen[$2] = 1; files[++nf] = $2 }; next }
        FNR == 1 { p++; ph = FILENAME; sub(/.*\/oci-phase/, "", ph); sub(/-.*/, "", ph); phase[p] = ph }
        /^(not )?ok [0-9]+ / {
            line = $0; failed = (line ~ /^not /)
            sub(/^(not )?ok [0-9]+ /, "", line)
            skip = (line ~ / # skip/)
            sub(/ # skip.*$/, "", line)
            f = (line in file) ? file[line] : "(not in tests/oci now)"
            if (!(f in seen)) { files[++nf] = f; seen[f] = 1 }
            if (p == 1) total[f]++
            if (failed) bad[p, f]++
            else if (!skip) good[p, f]++
        }
        END {
            printf "| tests/oci | tests |"
            for (i = 1; i <= p; i++) printf " phase %s |", phase[i]
            printf "\n|---|---:|"
            for (i = 1; i <= p; i++) printf "---:|"
            printf "\n"
            for (j = 1; j <= nf; j++) {
                f = files[j]
                if (!(f in total)) continue
                all += total[f]
                printf "| %s | %d |", f, total[f]
                for (i = 1; i <= p; i++) {
                    g = good[i, f] + 0; sum[i] += g
                    cell = (g == 0 && !bad[i, f]) ? "·" : g
                    if (bad[i, f]) { cell = cell " (" bad[i, f] " failed)"; sumbad[i] += bad[i, f] }
                    printf " %s |", cell
                }
                printf "\n"
            }
            printf "| **all** | **%d** |", all
            for (i = 1; i <= p; i++) printf " **%d**%s |", sum[i], sumbad[i] ? " (" sumbad[i] " failed)" : ""
            printf "\n"
        }' "$names" "${taps[@]}"
}

if ((readme == 0)); then
    table
    exit 0
fi
begin='<!-- phase-table begin -->' end='<!-- phase-table end -->'
if ! grep -qxF "$begin" "$repo/README.md" || ! grep -qxF "$end" "$repo/README.md"; then
    echo "phase-table.sh: README.md has no $begin ... $end section" >&2
    exit 2
fi
out=$(mktemp)
{
    sed "/^$begin\$/q" "$repo/README.md"
    table
    sed -n "/^$end\$/,\$p" "$repo/README.md"
} >"$out"
mv "$out" "$repo/README.md"
