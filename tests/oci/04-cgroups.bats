#!/usr/bin/env bats
# Phase 4 on the host: every container in a cgroup v2 of its own. This host is hybrid (cgroup2 on
# /sys/fs/cgroup/unified, with no memory, pids, cpu or io controller), so these tests use what
# cgroup v2 offers without controllers: cgroup.procs (placement, ps, kill --all), cgroup.freeze
# (pause, resume), cgroup.kill (delete) and cgroup namespaces. The limits are tested in the
# guest (tests/vm/04-cgroups.bats).

load helpers

setup() {
    setup_bundle
    CG=$(cgroup2_mount)
    # The cgroups a test makes by hand, under a top-level path of its own.
    TOP=rung-test-$$-$BATS_TEST_NUMBER
}

teardown() {
    teardown_bundle
    if [[ -n ${CG:-} && -d $CG/$TOP ]]; then
        find "$CG/$TOP" -depth -type d -exec rmdir {} + || true
    fi
}

# cgroup2_mount: where this host mounts cgroup2 (/sys/fs/cgroup, or /sys/fs/cgroup/unified).
cgroup2_mount() {
    if [[ $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]]; then
        echo /sys/fs/cgroup
    else
        echo /sys/fs/cgroup/unified
    fi
}

# cgroup_of PID: the cgroup v2 path of PID (the 0:: line of /proc/PID/cgroup).
cgroup_of() {
    sed -n 's/^0:://p' "/proc/$1/cgroup"
}

# procs_are ID N: ID's cgroup holds N processes (for wait_for).
procs_are() {
    [[ $(wc -l <"$CG/rung/$1/cgroup.procs") -eq $2 ]]
}

# start_with ID N CMD...: create and start ID running CMD, and wait until its cgroup holds N
# processes.
start_with() {
    local id=$1 n=$2
    shift 2
    create_container "$id" "$@"
    rung start "$id"
    wait_for procs_are "$id" "$n"
}

# init_pid ID: the pid `rung state` reports.
init_pid() {
    rung state "$1" | jq -r .pid
}

# cpu_ticks PID: user + system time of PID so far, in clock ticks.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$1/stat")
    stat=${stat##*) }
    # shellcheck disable=SC2086 # the fields, split
    set -- $stat
    echo $((${12} + ${13}))
}

@test "a container lands in /rung/<id>, and delete removes that cgroup" {
    require_phase 4
    local id=lands-$$
    create_container "$id" sleep 100
    local pid
    pid=$(init_pid "$id")
    assert_equal "$(cgroup_of "$pid")" "/rung/$id"
    run cat "$CG/rung/$id/cgroup.procs"
    assert_output "$pid"
    assert_equal "$(rung state "$id" | jq -r .status)" created
    rung delete --force "$id"
    [[ ! -e $CG/rung/$id ]]
}

@test "an absolute nested cgroupsPath is made whole, and removed as far as rung made it" {
    require_phase 4
    update_config --arg p "/$TOP/a/b" '.linux.cgroupsPath = $p'
    run run_container grep ^0:: /proc/self/cgroup
    assert_success
    assert_output "0::/$TOP/a/b"
    [[ ! -e $CG/$TOP ]] || fail "delete left $(find "$CG/$TOP")"
    # A parent that was there is not rung's to remove.
    mkdir "$CG/$TOP"
    run run_container grep ^0:: /proc/self/cgroup
    assert_success
    [[ -d $CG/$TOP && ! -e $CG/$TOP/a ]]
}

@test "a relative cgroupsPath is under the parent of rung's own cgroup" {
    require_phase 4
    mkdir -p "$CG/$TOP/runner"
    update_config '.linux.cgroupsPath = "rel/ctr"'
    set_args grep ^0:: /proc/self/cgroup
    # rung runs from $TOP/runner, so the container lands in $TOP/rel/ctr.
    run sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CG/$TOP/runner" \
        "$RUNG" --root "$ROOT" --log "$BATS_TEST_TMPDIR/rung.log" run --bundle "$BUNDLE" rel-$$
    assert_success
    assert_output "0::/$TOP/rel/ctr"
    [[ ! -e $CG/$TOP/rel ]] || fail "delete left $CG/$TOP/rel"
}

@test "ps lists the processes of the container's cgroup" {
    require_phase 4
    local id=ps-$$
    start_with "$id" 3 sh -c 'sleep 100 & sleep 100 & wait'
    run rung ps --format json "$id"
    assert_success
    assert_equal "$(jq -c 'sort' <<<"$output")" "$(sort -n "$CG/rung/$id/cgroup.procs" | jq -s -c .)"
    run rung ps "$id"
    assert_success
    assert_equal "$(grep -c 'sleep 100$' <<<"$output")" 2
}

@test "kill --all signals every process of the cgroup, which kill alone does not" {
    require_phase 4
    local id=killall-$$
    # pid 1 of a namespace ignores a TERM it has no handler for; its sleeps do not.
    start_with "$id" 3 sh -c 'sleep 100 & sleep 100 & wait; wait; echo done'
    rung kill "$id" TERM
    sleep 0.5
    assert_equal "$(container_status "$id")" running
    assert_equal "$(wc -l <"$CG/rung/$id/cgroup.procs")" 3
    rung kill --all "$id" TERM
    wait_for status_is "$id" stopped
    run cat "$BATS_TEST_TMPDIR/$id.out"
    assert_output "done"
    # -a, and KILL through cgroup.kill.
    create_container "$id-2" sh -c 'sleep 100 & sleep 100 & wait'
    rung start "$id-2"
    rung kill -a "$id-2" KILL
    assert_equal "$(container_status "$id-2")" stopped
    assert_equal "$(cat "$CG/rung/$id-2/cgroup.procs")" ""
}

@test "pause freezes every process, status paused; resume thaws them" {
    require_phase 4
    local id=pause-$$ pid child before
    start_with "$id" 2 sh -c '(while :; do :; done) & while :; do :; done'
    pid=$(init_pid "$id")
    child=$(grep -vx "$pid" "$CG/rung/$id/cgroup.procs")
    rung pause "$id"
    assert_equal "$(container_status "$id")" paused
    grep -qx 'frozen 1' "$CG/rung/$id/cgroup.events"
    run rung list
    assert_output --regexp "$id +$pid +paused"
    run rung list --format json
    assert_equal "$(jq -r --arg id "$id" '.[] | select(.id == $id) | .status' <<<"$output")" paused
    # ps reads a paused container, as runc's does; exec would start a frozen process: refused.
    run rung ps --format json "$id"
    assert_success
    assert_equal "$(jq -c 'sort' <<<"$output")" "$(sort -n "$CG/rung/$id/cgroup.procs" | jq -s -c .)"
    run rung exec "$id" true
    assert_failure
    assert_output "rung: exec: container \"$id\" is paused: exec needs a created or running container"
    # Frozen: neither busy loop gets any more cpu time.
    before="$(cpu_ticks "$pid") $(cpu_ticks "$child")"
    sleep 0.5
    assert_equal "$(cpu_ticks "$pid") $(cpu_ticks "$child")" "$before"
    rung resume "$id"
    assert_equal "$(container_status "$id")" running
    grep -qx 'frozen 0' "$CG/rung/$id/cgroup.events"
    sleep 0.3
    [[ $(cpu_ticks "$pid") != "${before%% *}" ]]
    [[ $(cpu_ticks "$child") != "${before##* }" ]]
    rung delete --force "$id"
}

@test "pause, resume and start in the wrong state say so; a paused container can be killed" {
    require_phase 4
    local id=states-$$
    create_container "$id" sleep 100
    # A created container can be paused, and is then neither startable nor created.
    rung pause "$id"
    assert_equal "$(container_status "$id")" paused
    run rung start "$id"
    assert_failure
    assert_output "rung: start: container \"$id\" is paused: only a created container can be started"
    rung resume "$id"
    assert_equal "$(container_status "$id")" created
    run rung resume "$id"
    assert_failure
    assert_output "rung: resume: container \"$id\" is created: only a paused container can be resumed"
    rung start "$id"
    rung pause "$id"
    run rung pause "$id"
    assert_failure
    assert_output "rung: pause: container \"$id\" is paused: only a created or running container can be paused"
    run rung delete "$id"
    assert_failure
    assert_output --partial "is paused"
    # SIGKILL reaches a frozen process.
    rung kill "$id" KILL
    wait_for status_is "$id" stopped
    run rung pause "$id"
    assert_failure
    assert_output "rung: pause: container \"$id\" is stopped: only a created or running container can be paused"
    rung delete "$id"
    [[ ! -e $CG/rung/$id ]]
    # delete --force of a paused container thaws it, kills it and removes its cgroup.
    create_container "$id" sleep 100
    rung start "$id"
    rung pause "$id"
    rung delete --force "$id"
    [[ ! -e $CG/rung/$id && ! -e $ROOT/$id ]]
}

@test "a cgroup namespace shows the container its own cgroup as /, and a cgroup mount its subtree" {
    require_phase 4
    update_config '.linux.namespaces += [{"type": "cgroup"}]
        | .mounts += [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                       "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
    # (One line: set_args takes each line of an argument as an argument of its own.)
    run run_container sh -c 'grep ^0:: /proc/self/cgroup; wc -l </sys/fs/cgroup/cgroup.procs; if [ -e /sys/fs/cgroup/rung ]; then echo "/rung is there"; else echo "no /rung"; fi'
    assert_success
    # Its own cgroup is the root; the mount holds its processes (sh, cat or wc) and no /rung.
    assert_line --index 0 "0::/"
    assert_line --index 1 --regexp '^[1-3]$'
    assert_line --index 2 "no /rung"
    # Without one, the container sees where it is.
    update_config 'del(.linux.namespaces[] | select(.type == "cgroup"))'
    run run_container grep ^0:: /proc/self/cgroup
    assert_success
    assert_output --regexp '^0::/rung/ctr-[0-9]+-[0-9]+$'
}

@test "a limit whose controller the host lacks fails create in one line, leaving nothing" {
    require_phase 4
    local resource="" property="" controller="" c
    for c in pids memory cpu io; do
        grep -qw "$c" "$CG/cgroup.controllers" || { controller=$c && break; }
    done
    [[ -n $controller ]] || skip "$CG has every controller (pids, memory, cpu, io)"
    case $controller in
    pids) resource='{"pids": {"limit": 10}}' property=pids.limit ;;
    memory) resource='{"memory": {"limit": 33554432}}' property=memory.limit ;;
    cpu) resource='{"cpu": {"quota": 10000, "period": 100000}}' property=cpu.quota ;;
    io) resource='{"blockIO": {"weight": 100}}' property=blockIO.weight ;;
    esac
    update_config --argjson r "$resource" '.linux.resources = $r'
    local id=nolimit-$$
    run rung create --bundle "$BUNDLE" "$id"
    assert_failure
    assert_equal "${#lines[@]}" 1
    assert_output --regexp "^rung: create: config.json: linux.resources.$property needs the $controller controller, which the cgroup v2 hierarchy at $CG( \\(a hybrid host\\))? does not have"
    [[ ! -e $ROOT/$id && ! -e $CG/rung/$id ]]
}

@test "a resource cgroup v2 cannot apply at all fails create, leaving nothing" {
    require_phase 4
    update_config '.linux.resources = {"memory": {"disableOOMKiller": true}}'
    local id=nooom-$$
    run rung create --bundle "$BUNDLE" "$id"
    assert_failure
    assert_output "rung: create: config.json: linux.resources.memory.disableOOMKiller: cgroup v2 cannot disable the OOM killer (there is no memory.oom_control)"
    [[ ! -e $ROOT/$id && ! -e $CG/rung/$id ]]
}

@test "a core cgroup file in linux.resources.unified is written" {
    require_phase 4
    update_config '.linux.resources = {"unified": {"cgroup.max.depth": "2"}}'
    local id=unified-$$
    create_container "$id" sleep 100
    assert_equal "$(cat "$CG/rung/$id/cgroup.max.depth")" 2
    rung delete --force "$id"
}

@test "a cgroup that already holds processes is refused, and left as it was" {
    require_phase 4
    mkdir -p "$CG/$TOP/busy"
    sleep 100 &
    local sleeper=$!
    echo "$sleeper" >"$CG/$TOP/busy/cgroup.procs"
    update_config --arg p "/$TOP/busy" '.linux.cgroupsPath = $p'
    run rung create --bundle "$BUNDLE" busy-$$
    assert_failure
    assert_output "rung: create: cgroup \"$CG/$TOP/busy\" already holds processes"
    # Neither the sleeper nor its cgroup was touched.
    kill -0 "$sleeper"
    [[ -d $CG/$TOP/busy && ! -e $ROOT/busy-$$ ]]
    kill "$sleeper"
    wait "$sleeper" || true
}

@test "--systemd-cgroup is refused by name" {
    require_phase 4
    run rung --systemd-cgroup list
    assert_failure
    assert_output --regexp '^rung: --systemd-cgroup: not supported: rung has the cgroupfs driver only'
}

@test "delete --force kills a container's processes that left its PID namespace's init behind" {
    require_phase 4
    # No PID namespace: init's children are reparented when it dies, and only the cgroup
    # still knows they are the container's.
    update_config 'del(.linux.namespaces[] | select(.type == "pid"))'
    local id=orphans-$$ nap=43$$
    start_with "$id" 3 sh -c "sleep $nap & sleep $nap & exec sleep $nap"
    kill -KILL "$(init_pid "$id")"
    wait_for status_is "$id" stopped
    assert_equal "$(wc -l <"$CG/rung/$id/cgroup.procs")" 2
    rung delete "$id"
    run pgrep -f "^sleep $nap\$"
    assert_failure
    [[ ! -e $CG/rung/$id ]]
}

@test "on a kernel without CLONE_INTO_CGROUP, init is moved in through cgroup.procs before go" {
    require_phase 4
    command -v strace >/dev/null || skip "strace is not installed (scripts/deps.sh installs it)"
    local id=fallback-$$
    set_args grep ^0:: /proc/self/cgroup
    # The first clone3 fails as a kernel older than 5.7 refuses the flag.
    no_lsan strace -o /dev/null -e trace=clone3 -e inject=clone3:error=EINVAL:when=1 \
        "$RUNG" --root "$ROOT" --debug create --bundle "$BUNDLE" "$id" \
        >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err" </dev/null
    run grep -E 'clone3 without CLONE_INTO_CGROUP|move init .* through cgroup.procs' "$BATS_TEST_TMPDIR/$id.err"
    assert_equal "${#lines[@]}" 2
    rung start "$id"
    wait_for status_is "$id" stopped
    run cat "$BATS_TEST_TMPDIR/$id.out"
    assert_output "0::/rung/$id"
    rung delete "$id"
    [[ ! -e $CG/rung/$id ]]
}

@test "an ancestor cgroup removed by another container's delete between two mkdirs is made again" {
    require_phase 4
    command -v strace >/dev/null || skip "strace is not installed (scripts/deps.sh installs it)"
    local id=race-$$
    update_config --arg p "/$TOP/parent/$id" '.linux.cgroupsPath = $p'
    mkdir "$CG/$TOP"
    # The mkdir of parent fails once with ENOENT, as it does when the container that made
    # $TOP removes it just then; create walks the path again.
    no_lsan strace -o /dev/null -P "$CG/$TOP/parent" -e trace=mkdir,mkdirat \
        -e inject=mkdir,mkdirat:error=ENOENT:when=1 \
        "$RUNG" --root "$ROOT" create --bundle "$BUNDLE" "$id" </dev/null
    assert_equal "$(cgroup_of "$(init_pid "$id")")" "/$TOP/parent/$id"
    rung delete --force "$id"
    [[ ! -e $CG/$TOP/parent ]]
}
