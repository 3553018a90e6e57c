#!/usr/bin/env bats
# Phase 5: linux.resources.devices (config-linux.md, "Allowed Device Listing") as an eBPF
# program on the container's cgroup v2. It attaches to any cgroup2 directory, with or without
# controllers, so these run on this hybrid host. The device used is /dev/fuse (c 10:229): its
# open needs no capability and no mounted fuse, so only the device filter can refuse it.

load helpers
load bundle

setup() {
    setup_bundle
    # CAP_MKNOD for the mknod tests, whether or not this build applies capabilities yet.
    update_config '.process.capabilities = {bounding: ["CAP_MKNOD"], effective: ["CAP_MKNOD"],
                                            permitted: ["CAP_MKNOD"]}'
}

teardown() {
    teardown_bundle
}

# with_fuse RULES: the bundle makes /dev/fuse (0666) and lists RULES (a jq array).
with_fuse() {
    update_config ".linux.devices = [{type: \"c\", path: \"/dev/fuse\", major: 10, minor: 229, fileMode: 438}]
                   | .linux.resources.devices = $1"
}

DENY_ALL='{allow: false, access: "rwm"}'

@test "devices: runc spec's deny-all keeps the default devices working and refuses others" {
    require_phase 5
    with_fuse "[$DENY_ALL]"
    # (run_container takes one line per argument)
    run run_container sh -c 'echo x >/dev/null && echo null-ok; for d in zero random urandom; do head -c 1 /dev/$d | wc -c; done; (echo x >/dev/full) 2>&1; : </dev/ptmx && echo ptmx-ok; : </dev/fuse'
    assert_failure
    assert_line null-ok
    assert_equal "$(grep -cx 1 <<<"$output")" 3
    assert_line --partial "No space left on device" # /dev/full opened, and refused the write
    assert_line ptmx-ok
    assert_line --partial "can't open /dev/fuse: Operation not permitted"
}

@test "devices: without any rule the defaults apply, as runc does" {
    require_phase 5
    update_config '.linux.devices = [{type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 438}]'
    run run_container sh -c 'echo x >/dev/null && echo null-ok; : </dev/fuse'
    assert_failure
    assert_line null-ok
    assert_line --partial "can't open /dev/fuse: Operation not permitted"
}

@test "devices: an allowed device opens, for the access the rule grants only" {
    require_phase 5
    with_fuse "[$DENY_ALL, {allow: true, type: \"c\", major: 10, minor: 229, access: \"r\"}]"
    run run_container sh -c ': </dev/fuse && echo read-ok; : >/dev/fuse'
    assert_failure
    assert_line read-ok
    assert_line --partial "can't create /dev/fuse: Operation not permitted"
    # A wildcard minor (-1, as absent) and rw.
    with_fuse "[$DENY_ALL, {allow: true, type: \"c\", major: 10, minor: -1, access: \"rw\"}]"
    run run_container sh -c ': <>/dev/fuse && echo rw-ok'
    assert_success
    assert_output rw-ok
}

@test "devices: allow-all with a deny: the denied device cannot be made or opened" {
    require_phase 5
    update_config '.linux.resources.devices = [{allow: true, access: "rwm"},
                                               {allow: false, type: "c", major: 10, minor: 229, access: "rwm"}]'
    run run_container sh -c 'mknod /dev/loop1 b 7 1 && echo other-mknod-ok; mknod /dev/fuse c 10 229'
    assert_failure
    assert_line other-mknod-ok
    assert_line --partial "/dev/fuse: Operation not permitted"
    # init makes linux.devices inside the cgroup: refused mknod, it binds the host's node instead
    # (as runc does), and the filter, which goes by numbers and not by path, still refuses it.
    with_fuse '[{allow: true, access: "rwm"}, {allow: false, type: "c", major: 10, minor: 229, access: "rwm"}]'
    run run_container sh -c 'test -c /dev/fuse && echo node-there; : </dev/fuse'
    assert_failure
    assert_line node-there
    assert_line --partial "can't open /dev/fuse: Operation not permitted"
}

@test "devices: update -r replaces the program, and the old one stops deciding" {
    require_phase 5
    with_fuse "[$DENY_ALL]"
    create_container up sleep 1000
    rung start up
    run rung exec up sh -c ': </dev/fuse'
    assert_failure
    assert_output --partial "Operation not permitted"
    # Allowed now: the deny-all program is gone (with BPF_F_ALLOW_MULTI every program attached
    # must allow a request).
    echo "{\"devices\": [$(jq -nc "$DENY_ALL"), {\"allow\": true, \"type\": \"c\", \"major\": 10, \"minor\": 229, \"access\": \"rw\"}]}" |
        rung update -r - up
    run rung exec up sh -c ': <>/dev/fuse && echo rw-ok'
    assert_success
    assert_output rw-ok
    # And refused again: the allowing program is gone too.
    echo "{\"devices\": [$(jq -nc "$DENY_ALL")]}" | rung update -r - up
    run rung exec up sh -c ': </dev/fuse'
    assert_failure
    assert_output --partial "Operation not permitted"
}

@test "devices: a hole in a wildcard rule and a number that is no device are one clear line" {
    require_phase 5
    update_config ".linux.resources.devices = [$DENY_ALL, {allow: true, type: \"c\", major: 10, access: \"rwm\"},
                                               {allow: false, type: \"c\", major: 10, minor: 229, access: \"w\"}]"
    run_to_file rung create --bundle "$BUNDLE" hole
    assert_failure
    assert_output 'rung: create: config.json: linux.resources.devices[2] (c 10:229 w): cannot deny part of c 10:* rwm: a wildcard rule before it covers it (put the narrower rule first)'
    assert_clean hole
    update_config ".linux.resources.devices = [{allow: true, type: \"b\", major: 5000, access: \"r\"}]"
    run_to_file rung create --bundle "$BUNDLE" big
    assert_failure
    assert_output --partial 'major 5000 is not a device number (0 to 4095, or -1 for all)'
    assert_clean big
}
