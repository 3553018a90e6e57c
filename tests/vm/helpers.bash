# helpers.bash: shared by every file of the VM suite (tests/vm).
#
# These tests need what this hybrid host lacks: cgroup v2 with the memory, pids, cpu and io
# controllers. scripts/vm-test.sh runs them inside the guest of scripts/vm-run.sh, one bats run
# per phase, with RUNG and PHASE set as for the OCI suite, whose helpers they share
# (setup_bundle, rung, run_container, update_config ...).
#
# The suite starts at phase 4, the first with cgroups: phase 3 would only repeat 00-guest.bats,
# and every test costs seconds in the emulated guest.

load ../oci/helpers

CGROUP_ROOT=/sys/fs/cgroup

# Refuse to run anywhere but in the guest: on the host /sys/fs/cgroup is a tmpfs, where a test's
# writes would create plain files instead of cgroups. A failure, not a skip: a VM test outside
# the VM has not run.
require_guest() {
    local fs
    fs=$(stat -fc %T "$CGROUP_ROOT")
    if [[ $fs != cgroup2fs ]]; then
        echo "$CGROUP_ROOT is $fs, not cgroup2fs: run tests/vm with scripts/vm-test.sh" >&2
        return 1
    fi
}

# cgroup_has_controllers CGROUP CONTROLLER...: each CONTROLLER is in CGROUP's cgroup.controllers.
cgroup_has_controllers() {
    local dir=$CGROUP_ROOT/${1#/} c
    shift
    for c in "$@"; do
        grep -qw -- "$c" "$dir/cgroup.controllers" || {
            echo "$dir/cgroup.controllers lacks $c: $(cat "$dir/cgroup.controllers")" >&2
            return 1
        }
    done
}

# ---- phase 4 on: containers with linux.resources ----

# The cgroup a container gets when config.json names none: /rung/<id>.
default_cgroup() {
    echo "$CGROUP_ROOT/rung/$1"
}

# configure RESOURCES_JSON CMD ARGS...: set .linux.resources and .process.args of $BUNDLE (a jq
# costs seconds in the guest: two here). Not jq's --args: jq 1.6 still takes the options among
# them, so `sh -c SCRIPT` would lose its -c. Each line of an argument becomes an argument.
configure() {
    local resources=$1 tmp=$BUNDLE/config.json.tmp args
    shift
    args=$(printf '%s\n' "$@" | jq -R -s -c 'split("\n") | .[:-1]')
    jq --argjson r "$resources" --argjson a "$args" '.linux.resources = $r | .process.args = $a' \
        "$BUNDLE/config.json" >"$tmp" && mv "$tmp" "$BUNDLE/config.json"
}

# run_bundle: `rung run` the bundle as configured (run_container would set process.args). As in
# run_container, warnings go to a log and errors reach stderr too.
run_bundle() {
    rung --log "$BATS_TEST_TMPDIR/rung.log" run --bundle "$BUNDLE" "ctr-$BATS_TEST_NUMBER-$$"
}

# start_container ID: create (create_container, with its output in files) and start.
start_container() {
    create_container "$1" && rung start "$1"
}

# wait_until CMD...: retry CMD for up to WAIT_SECONDS (default 30) s. wait_for's 5 s are too
# short in the guest, where a process takes about a second to start (qemu emulates the cpu).
wait_until() {
    local deadline=$((SECONDS + ${WAIT_SECONDS:-30}))
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# vda_device: MAJOR:MINOR of the guest's 256 MiB null disk, for io.max.
vda_device() {
    cat /sys/block/vda/dev
}
