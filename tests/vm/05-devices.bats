#!/usr/bin/env bats
# Phase 5: the device filter in the guest (tests/oci/05-devices.bats has the rules in detail, on
# the host). Here the container's block device is a real disk that the guest's root can read:
# the guest's null disk vda, which only the filter keeps the container from.

load helpers

setup() {
    require_guest
}

teardown() {
    [[ -z ${BUNDLE:-} ]] || teardown_bundle
}

# with_disk RULES: the bundle makes /dev/disk for vda and lists RULES (a JSON array).
with_disk() {
    local dev major minor
    dev=$(vda_device)
    major=${dev%:*} minor=${dev#*:}
    update_config --argjson r "$1" --argjson ma "$major" --argjson mi "$minor" \
        '.linux.devices = [{type: "b", path: "/dev/disk", major: $ma, minor: $mi, fileMode: 384}]
         | .linux.resources.devices = ($r | map(if .major == "vda" then .major = $ma | .minor = $mi else . end))'
}

@test "devices: the guest's disk cannot be read from a container, unless a rule allows it" {
    require_phase 5
    setup_bundle
    # As the guest's root, outside any container: the disk reads.
    assert_equal "$(head -c 512 /dev/vda | wc -c)" 512
    with_disk '[{"allow": false, "access": "rwm"}]'
    set_args sh -c 'head -c 512 /dev/disk | wc -c'
    run run_bundle
    assert_output --partial "/dev/disk: Operation not permitted"
    with_disk '[{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": "vda", "access": "r"}]'
    run run_bundle
    assert_success
    assert_output 512
    # Read only: opening it for writing is refused.
    set_args sh -c ': >/dev/disk'
    run run_bundle
    assert_failure
    assert_output --partial "Operation not permitted"
}
