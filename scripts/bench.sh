#!/usr/bin/env bash
# bench.sh: rung side by side with runc, crun and the kernel's own floor, in one run.
#
#   scripts/bench.sh          (or `make bench`; needs root)
#
# It installs Debian's runc and crun (and gnuplot, GNU time), builds every phase in release
# mode in $BUILD_DIR, and measures on one busybox bundle, the runtimes interleaved within each
# round (A B C A B C ...) so that a noisy neighbour costs every runtime alike:
#   (a) `run` of /bin/true                     every phase, runc, crun, and the floor
#   (b) create + start + delete --force        phase 5, runc, crun
#   (c) `exec` of /bin/true into a running container
#   (d) peak RSS of the runtime process (with what it waited for), during (a)
#   (e) `list` with 100 and with 1000 containers in the state directory
#   (f) 100 containers created and started, 4 at a time, then deleted, 4 at a time
#   (g) the floor: `unshare --fork` into the same namespaces and root, running /bin/true
# Medians, minimum and maximum in milliseconds, and each median as a ratio to phase 5's; (a) also
# as a multiple of the floor. The table goes to stdout and into $OUT (docs/benchmarks.md, between
# the BENCH markers), the chart to docs/benchmarks.png.
#
# Environment:
#   N           rounds of (a), (b), (c) and (e) (default 30); F_ROUNDS rounds of (f) (default 3)
#   LIST_SIZES  the sizes of (e) (default "100 1000")
#   BUILD_DIR   the release build (default build-release)
#   OUT         the markdown file to update (default docs/benchmarks.md; "" to only print)
#   NO_BUILD    set: use the rung binaries already in BUILD_DIR as they are (a quick try of the
#               script; the figures in the docs come from the release build)
#
# Two runtimes cannot run here as they are, and the script says what it does about each:
#   - Debian's crun 1.8 refuses a hybrid cgroup host ("cgroups in hybrid mode not supported"). It
#     runs in a private mount namespace, kept in a file, with a tmpfs over /sys/fs/cgroup/unified,
#     where it sees (and uses) the v1 controllers; the host's mounts are untouched. The cost of
#     entering that namespace (`nsenter --mount=FILE /bin/true`) is measured in the same rounds and
#     subtracted from each crun call.
#   - Every container gets its own cgroupsPath under /rung-bench, so that runc and crun (v1
#     controllers) and rung (the cgroup2 hierarchy) each create and remove one cgroup per container,
#     and none of them writes below this shell's own cgroups.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
N=${N:-30}
F_ROUNDS=${F_ROUNDS:-3}
LIST_SIZES=${LIST_SIZES:-100 1000}
build=${BUILD_DIR:-$repo/build-release}
OUT=${OUT-$repo/docs/benchmarks.md}

if [[ $(id -u) -ne 0 ]]; then
    echo "bench.sh: needs root (containers, cgroups, namespaces)" >&2
    exit 1
fi

# ---- setup: packages, the release build, the bundle ----

scripts/deps.sh
bench_packages=(runc crun gnuplot-nox time)
missing=()
for p in "${bench_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "bench.sh: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q update >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -y -q install \
        --no-install-recommends "${missing[@]}" >/dev/null
fi

phases=() # N:DIR for each phase, in order
for dir in phase*-*/; do
    dir=${dir%/}
    n=${dir#phase}
    phases+=("${n%%-*}:$dir")
done
if [[ -z ${NO_BUILD:-} ]]; then
    echo "== building every phase (Release) in $build"
    cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DRUNG_TESTS=OFF >"$build.configure.log" 2>&1 ||
        { cat "$build.configure.log"; exit 1; }
    targets=()
    for p in "${phases[@]}"; do targets+=(--target "rung_phase${p%%:*}"); done
    cmake --build "$build" -j "$(nproc)" "${targets[@]}" >"$build.build.log" 2>&1 ||
        { tail -40 "$build.build.log"; exit 1; }
fi
newest=${phases[-1]}
newest_n=${newest%%:*}
rung_new=$build/${newest#*:}/rung

work=$(mktemp -d /tmp/rung-bench.XXXXXX)
scripts/mkrootfs.sh "$work/rootfs" >/dev/null
mkdir -p "$work/t" "$work/state" "$work/bundles" "$work/ns"

# One config for every runtime: the newest phase's `spec`, running /bin/true (or sleep, for the
# containers that (c), (e) and (f) keep running), each container in /rung-bench/<its id>. Its
# ociVersion says 1.0.2: Debian's crun 1.8 refuses any other ("unknown version specified"), and
# the properties used are all 1.0's.
(cd "$work" && "$rung_new" spec)
template() { # ARGS-JSON: a config template with @ID@ for the container's ID
    jq --arg root "$work/rootfs" --argjson args "$1" \
        '.ociVersion = "1.0.2" | .root.path = $root | .process.terminal = false | .process.args = $args
         | .linux.cgroupsPath = "/rung-bench/@ID@"' "$work/config.json"
}
template '["/bin/true"]' >"$work/true.json"
template '["/bin/sleep", "1000000"]' >"$work/sleep.json"
bundle() { # KIND ID: a bundle for container ID, printed
    mkdir -p "$work/bundles/$2"
    sed "s|@ID@|$2|" "$work/$1.json" >"$work/bundles/$2/config.json"
    echo "$work/bundles/$2"
}

# crun's mount namespace (see the header). The bind mount makes $work/ns a private mount, where
# a namespace file may be mounted.
mount --bind "$work/ns" "$work/ns"
mount --make-private "$work/ns"
touch "$work/ns/mnt"
unshare --mount="$work/ns/mnt" --propagation private \
    mount -t tmpfs rung-bench /sys/fs/cgroup/unified

# The runtimes, each a command prefix with its own state directory.
declare -A RT
names=()
for p in "${phases[@]}"; do
    n=${p%%:*}
    ((n >= 2)) || continue # phase 1 has no bundle and no lifecycle
    RT[phase$n]="$build/${p#*:}/rung --root $work/state/phase$n"
    names+=("phase$n")
done
RT[runc]="runc --root $work/state/runc"
RT[crun]="nsenter --mount=$work/ns/mnt crun --root $work/state/crun"
names+=(runc crun)
new=phase$newest_n
# The runtimes (b), (c), (e) and (f) compare: the newest phase and the two others.
peers=("$new" runc crun)

cleanup() {
    set +e
    for name in "${names[@]}"; do
        for id in $(${RT[$name]} list -q 2>/dev/null); do
            ${RT[$name]} delete --force "$id" >/dev/null 2>&1
        done
    done
    umount "$work/ns/mnt" 2>/dev/null
    umount "$work/ns" 2>/dev/null
    for d in /sys/fs/cgroup/*/rung-bench; do
        [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT

# ---- measuring ----

# timed CASE NAME CMD...: run CMD once, append its wall time in microseconds to t/CASE.NAME.
# EPOCHREALTIME is bash's own clock: no fork around the command.
timed() {
    local case=$1 name=$2 t0 t1
    shift 2
    t0=$EPOCHREALTIME
    if ! "$@" >/dev/null 2>>"$work/errors.log"; then
        echo "bench.sh: $name: $* failed:" >&2
        tail -3 "$work/errors.log" >&2
        exit 1
    fi
    t1=$EPOCHREALTIME
    echo $((${t1/./} - ${t0/./})) >>"$work/t/$case.$name"
}
rt() { # NAME ARGS...: the runtime NAME with ARGS (its prefix split into words on purpose)
    local name=$1
    shift
    # shellcheck disable=SC2086
    ${RT[$name]} "$@"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== (a) run /bin/true, (g) the floor, (d) peak RSS: $N rounds"
for ((i = 0; i < N; i++)); do
    timed nsenter nsenter nsenter --mount="$work/ns/mnt" /bin/true
    timed run floor unshare --fork --pid --mount --uts --ipc --net --cgroup \
        --root="$work/rootfs" /bin/true
    for name in "${names[@]}"; do
        b=$(bundle true "a$i-$name")
        timed run "$name" rt "$name" run --bundle "$b" "a$i-$name"
    done
done
for ((i = 0; i < 5; i++)); do
    for name in "${names[@]}"; do
        b=$(bundle true "d$i-$name")
        # shellcheck disable=SC2086
        /usr/bin/time -f %M -a -o "$work/t/rss.$name" ${RT[$name]} run --bundle "$b" "d$i-$name" \
            >/dev/null 2>>"$work/errors.log"
    done
done

echo "== (b) create + start + delete, (c) exec: $N rounds"
for name in "${peers[@]}"; do
    b=$(bundle sleep "c-$name")
    rt "$name" create --bundle "$b" "c-$name" >/dev/null
    rt "$name" start "c-$name"
done
for ((i = 0; i < N; i++)); do
    for name in "${peers[@]}"; do
        b=$(bundle true "b$i-$name")
        timed create "$name" rt "$name" create --bundle "$b" "b$i-$name"
        timed start "$name" rt "$name" start "b$i-$name"
        timed delete "$name" rt "$name" delete --force "b$i-$name"
        timed exec "$name" rt "$name" exec "c-$name" /bin/true
    done
done

# (e): a state directory of SIZE containers. Creating that many real containers would measure
# `create`, and 1000 runc inits take gigabytes; instead one real container in the created state
# is copied SIZE-1 times under new IDs (its state file names its ID where the runtime keeps one).
# Every copy is a container `list` must read, and whose init it must find alive; the copies are
# removed with rm, never `delete` (they share the one init). The cost measured is list's.
echo "== (e) list with $LIST_SIZES containers: $N rounds"
for name in "${peers[@]}"; do
    b=$(bundle sleep "e-$name")
    rt "$name" create --bundle "$b" "e-$name" >/dev/null
done
have=1
for size in $LIST_SIZES; do
    for name in "${peers[@]}"; do
        dir=$work/state/$name
        for ((k = have; k < size; k++)); do
            cp -a "$dir/e-$name" "$dir/e$k-$name"
            f=$dir/e$k-$name/state.json # crun keeps no ID in its "status" file
            if [[ -f $f ]]; then
                jq -c --arg id "e$k-$name" 'if has("id") then .id = $id else . end' "$f" >"$f.new"
                mv "$f.new" "$f"
            fi
        done
        # The containers of (c) are in the same directory: count them.
        got=$(rt "$name" list -q | wc -l)
        echo "   $name: list sees $got containers"
    done
    have=$size
    for ((i = 0; i < N; i++)); do
        for name in "${peers[@]}"; do
            timed "list$size" "$name" rt "$name" list
        done
    done
done
for name in "${peers[@]}"; do
    rm -rf "$work/state/$name"/e[0-9]*-"$name"
    rt "$name" delete --force "e-$name"
done

echo "== (f) 100 containers, 4 at a time: $F_ROUNDS rounds"
for ((i = 0; i < F_ROUNDS; i++)); do
    for name in "${peers[@]}"; do
        for ((k = 0; k < 100; k++)); do bundle sleep "f$i-$k-$name" >/dev/null; done
        # shellcheck disable=SC2016
        timed up100 "$name" xargs -P4 -I{} sh -c "${RT[$name]}"' create --bundle '"$work"'/bundles/{} {} >/dev/null && '"${RT[$name]}"' start {}' \
            < <(for ((k = 0; k < 100; k++)); do echo "f$i-$k-$name"; done)
        # shellcheck disable=SC2086
        timed down100 "$name" xargs -P4 -I{} ${RT[$name]} delete --force {} \
            < <(for ((k = 0; k < 100; k++)); do echo "f$i-$k-$name"; done)
    done
done

# ---- the report ----

# stats FILE: median min max in ms, with two decimals.
stats() {
    sort -n "$1" | awk '{v[NR] = $1} END {
        m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f %.2f %.2f\n", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}
median() { stats "$1" | cut -d' ' -f1; }
ns_ms=$(median "$work/t/nsenter.nsenter")
# crun's figures less the cost of entering its namespace, calls per sample given.
adjust() { # FILE CALLS: FILE's samples less CALLS nsenters, to stdout
    awk -v ns="$ns_ms" -v c="$2" '{ v = $1 - ns * 1000 * c; print (v < 0 ? 0 : v) }' "$1"
}
for f in "$work"/t/*.crun; do
    case $f in
    */rss.crun) continue ;;      # KiB, not time
    */up100.crun) calls=50 ;;  # 200 calls, 4 at a time
    */down100.crun) calls=25 ;; # 100 calls, 4 at a time
    *) calls=1 ;;
    esac
    adjust "$f" "$calls" >"$f.adj" && mv "$f.adj" "$f"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() { # CASE LABEL NAME...: one markdown row per runtime
    local case=$1 label=$2 base name
    shift 2
    base=$(median "$work/t/$case.$new")
    for name in "$@"; do
        [[ -f $work/t/$case.$name ]] || continue
        read -r med min max < <(stats "$work/t/$case.$name")
        printf '| %s | %s | %s | %s | %s | %s |\n' "$label" "$name" "$med" "$min" "$max" \
            "$(ratio "$med" "$base")"
    done
}
floor_ms=$(median "$work/t/run.floor")
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
report=$work/report.md
{
    echo "<!-- BENCH:BEGIN -->"
    echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), kernel $(uname -r), load average"
    echo "$load_before before and $(cut -d' ' -f1-3 /proc/loadavg) after; $N rounds"
    echo "(F_ROUNDS=$F_ROUNDS for (f)): rung $(git describe --always --dirty 2>/dev/null || echo ?)"
    echo "Release, $(runc --version | head -1), $(crun --version | head -1)."
    echo "Reproduce with \`make bench\` (or \`N=$N scripts/bench.sh\`)."
    echo
    echo "| case | runtime | median ms | min ms | max ms | × $new |"
    echo "|---|---|---|---|---|---|"
    row run "(a) run /bin/true" floor "${names[@]}"
    row create "(b) create" "${peers[@]}"
    row start "(b) start" "${peers[@]}"
    row delete "(b) delete --force" "${peers[@]}"
    row exec "(c) exec /bin/true" "${peers[@]}"
    for size in $LIST_SIZES; do row "list$size" "(e) list, $size containers" "${peers[@]}"; done
    row up100 "(f) 100 × create+start, -P4" "${peers[@]}"
    row down100 "(f) 100 × delete, -P4" "${peers[@]}"
    echo
    echo "**(b) create + start + delete**, medians summed:"
    for name in "${peers[@]}"; do
        s=$(awk -v a="$(median "$work/t/create.$name")" -v b="$(median "$work/t/start.$name")" \
                -v c="$(median "$work/t/delete.$name")" 'BEGIN { printf "%.2f", a + b + c }')
        echo "$name $s ms;"
    done
    echo
    echo "**(a) as a multiple of the floor** (${floor_ms} ms):"
    for name in "${names[@]}"; do
        printf '%s %s×; ' "$name" "$(ratio "$(median "$work/t/run.$name")" "$floor_ms")"
    done
    echo
    echo
    echo "**What each phase costs over the one before**, (a) medians:"
    prev=
    for name in "${names[@]}"; do
        [[ $name == phase* ]] || continue
        cur=$(median "$work/t/run.$name")
        [[ -n $prev ]] && printf '%s %+.2f ms; ' "$name" "$(awk -v a="$cur" -v b="$prev" 'BEGIN { print a - b }')"
        prev=$cur
    done
    echo
    echo
    echo "**(d) peak RSS** (GNU time's maximum resident set size of the runtime process and what it"
    echo "waited for, during \`run\`), median of 5, KiB:"
    for name in "${names[@]}"; do
        printf '%s %s; ' "$name" "$(sort -n "$work/t/rss.$name" | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')"
    done
    echo
    echo
    echo "crun ran in a private mount namespace with a tmpfs over /sys/fs/cgroup/unified, so it used"
    echo "the v1 controllers like runc; entering it cost ${ns_ms} ms a call, subtracted from crun's"
    echo "figures. rung's phases 4 and 5 use the cgroup2 hierarchy (no controllers on this host)."
    echo "<!-- BENCH:END -->"
} >"$report"
cat "$report"

# The chart: (a), (b) and (c) medians per runtime.
{
    for name in floor "${names[@]}"; do
        echo "$name $(median "$work/t/run.$name")"
    done
} >"$work/run.dat"
{
    for name in "${peers[@]}"; do
        echo "$name $(median "$work/t/create.$name") $(median "$work/t/start.$name") $(median "$work/t/delete.$name") $(median "$work/t/exec.$name")"
    done
} >"$work/peers.dat"
if [[ -n $OUT ]]; then
    png=${OUT%.md}.png
    gnuplot <<EOF
set terminal pngcairo size 1000,420 font ",10"
set output "$png"
set multiplot layout 1,2
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "median ms"
set title "(a) run /bin/true"
set xtics rotate by -30
plot "$work/run.dat" using 2:xtic(1) notitle lc rgb "#4477aa"
set title "(b) create, start, delete; (c) exec"
plot "$work/peers.dat" using 2:xtic(1) title "create", '' using 3 title "start", \
     '' using 4 title "delete", '' using 5 title "exec"
unset multiplot
EOF
    if [[ -f $OUT ]] && grep -q 'BENCH:BEGIN' "$OUT"; then
        awk -v r="$report" '/<!-- BENCH:BEGIN -->/ { while ((getline l < r) > 0) print l; skip = 1; next }
            /<!-- BENCH:END -->/ { skip = 0; next } !skip' "$OUT" >"$OUT.new"
        mv "$OUT.new" "$OUT"
    else
        cat "$report" >>"$OUT"
    fi
    echo "== wrote $OUT and $png"
fi
