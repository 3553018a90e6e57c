# helpers.bash: shared by every file of the VM suite (tests/vm).
#
# These tests need what this hybrid host lacks: cgroup v2 with the memory, pids, cpu and io
# controllers. scripts/vm-test.sh runs them inside the guest of scripts/vm-run.sh, one bats run
# per phase, with RUNG and PHASE set as for the OCI suite, whose helpers they share
# (setup_bundle, rung, run_container, update_config ...).
#
# The suite starts at phase 3: the guest exists for phase 4's cgroups, and phase 3, which phase 4
# is a copy of, shows that a container runs in the guest at all.

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
