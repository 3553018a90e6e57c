#!/usr/bin/env bats
# Phase 3 and on: /dev. linux.devices (config-linux.md "Devices"), the default devices and the
# /dev symbolic links every container gets (runtime-linux.md).

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

@test "linux.devices: each node has its type, numbers, mode and owner" {
    require_phase 3
    update_config '.linux.devices = [
        {type: "c", path: "/dev/mynull", major: 1, minor: 3, fileMode: 384, uid: 1000, gid: 1001},
        {type: "b", path: "/dev/disks/myloop", major: 7, minor: 0, fileMode: 416},
        {type: "p", path: "/dev/myfifo"},
        {type: "u", path: "/dev/myzero", major: 1, minor: 5, fileMode: 420}]'
    # Its owner writes to /dev/mynull: from phase 5 on root has no CAP_DAC_OVERRIDE here.
    update_config '.process.user = {uid: 1000, gid: 1001}'
    run run_container sh -c 'for d in /dev/mynull /dev/disks/myloop /dev/myfifo /dev/myzero; do stat -c "%n|%F|%t:%T|%a|%u:%g" $d; done; echo hi >/dev/mynull && echo written'
    assert_success
    assert_line "/dev/mynull|character special file|1:3|600|1000:1001"
    assert_line "/dev/disks/myloop|block special file|7:0|640|0:0"
    assert_line "/dev/myfifo|fifo|0:0|666|0:0"
    assert_line "/dev/myzero|character special file|1:5|644|0:0"
    assert_line written
}

@test "the default devices exist with mode 0666 and work" {
    require_phase 3
    run run_container sh -c 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; echo x >/dev/null && echo null-ok; head -c 16 /dev/urandom | wc -c; head -c 3 /dev/zero | od -An -tx1; echo x 2>&1 >/dev/full || echo full-refused'
    assert_success
    assert_line "/dev/null character special file 1:3 666"
    assert_line "/dev/zero character special file 1:5 666"
    assert_line "/dev/full character special file 1:7 666"
    assert_line "/dev/random character special file 1:8 666"
    assert_line "/dev/urandom character special file 1:9 666"
    assert_line "/dev/tty character special file 5:0 666"
    assert_line null-ok
    assert_line 16
    assert_line " 00 00 00"
    assert_line full-refused
}

@test "/dev/fd, /dev/stdin, /dev/stdout, /dev/stderr and /dev/ptmx are links" {
    require_phase 3
    run run_container sh -c 'for l in fd stdin stdout stderr ptmx; do echo "$l -> $(readlink /dev/$l)"; done; echo piped | cat /dev/stdin; echo to-stderr >/dev/stderr; test -e /dev/fd/1 && echo fd-ok'
    assert_success
    assert_line "fd -> /proc/self/fd"
    assert_line "stdin -> /proc/self/fd/0"
    assert_line "stdout -> /proc/self/fd/1"
    assert_line "stderr -> /proc/self/fd/2"
    assert_line "ptmx -> pts/ptmx"
    assert_line piped
    assert_line to-stderr
    assert_line fd-ok
}

@test "a device path must be absolute and a device type known" {
    require_phase 3
    set_args true
    update_config '.linux.devices = [{type: "c", path: "dev/x", major: 1, minor: 3}]'
    run_to_file rung create --bundle "$BUNDLE" badpath
    assert_failure
    one_line
    assert_output --partial '.linux.devices[0].path'
    assert_clean badpath
    update_config '.linux.devices = [{type: "x", path: "/dev/x", major: 1, minor: 3}]'
    run_to_file rung create --bundle "$BUNDLE" badtype
    assert_failure
    one_line
    assert_output --partial 'unknown device type "x"'
    assert_clean badtype
}

@test "a /dev bound from the host is left as it is: no node, chmod or link is made in it" {
    require_phase 3
    # A stand-in for the host's /dev: rung must not touch the real one, and neither may this test.
    local fake=$BATS_TEST_TMPDIR/hostdev
    mkdir -p "$fake/pts"
    mknod "$fake/ptmx" c 5 2
    mknod -m 0666 "$fake/null" c 1 3
    update_config --arg d "$fake" '.mounts |= map(select(.destination | startswith("/dev") | not))
        | .mounts += [{destination: "/dev", type: "none", source: $d, options: ["rbind"]}]
        | .linux.devices = [{type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 384}]'
    run run_container ls /dev
    assert_success
    assert_output $'null\nptmx\npts'
    [[ -c $fake/ptmx && ! -L $fake/ptmx ]]
    assert_equal "$(stat -c %a "$fake/null")" 666
    run ls "$fake"
    assert_output $'null\nptmx\npts'
}

@test "without a mount on /dev/shm, /dev/shm is a directory of mode 1777" {
    require_phase 3
    update_config '.mounts |= map(select(.destination != "/dev/shm"))'
    run run_container stat -c %a /dev/shm
    assert_success
    assert_output 1777
}

@test "a linux.devices path that holds something else is an error, and it is left alone" {
    require_phase 3
    echo keep-me >"$ROOTFS/etc/not-a-device"
    update_config '.linux.devices = [{type: "c", path: "/etc/not-a-device", major: 1, minor: 3}]'
    set_args true
    run_to_file rung create --bundle "$BUNDLE" clash
    assert_failure
    one_line
    assert_output --partial 'linux.devices[0]: "'
    assert_output --partial '/etc/not-a-device" exists and is not the device asked for'
    assert_clean clash
    assert_equal "$(cat "$ROOTFS/etc/not-a-device")" keep-me
}

@test "a linux.devices node that is there already is kept, with the mode and owner asked for" {
    require_phase 3
    mknod -m 0666 "$ROOTFS/etc/mynull" c 1 3
    update_config '.linux.devices = [{type: "c", path: "/etc/mynull", major: 1, minor: 3, fileMode: 416, uid: 7},
                                     {type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 384}]'
    run run_container stat -c "%n %t:%T %a %u" /etc/mynull /dev/null
    assert_success
    assert_output $'/etc/mynull 1:3 640 7\n/dev/null 1:3 600 0'
}

# A hostile image: /dev, a device path or a default node is a symlink out of the rootfs.
@test "symlinks out of the rootfs on /dev, linux.devices paths and default nodes stay inside it" {
    require_phase 3
    local out=$BATS_TEST_TMPDIR/outside
    mkdir -p "$out"
    # /dev itself unmounted, a link to the host's path; a device path through a relative link.
    update_config '.mounts |= map(select(.destination | startswith("/dev") | not))
        | .linux.devices = [{type: "c", path: "/devlink/mydev", major: 1, minor: 3}]'
    rm -rf "${ROOTFS:?}/dev"
    ln -s "$out" "$ROOTFS/dev"
    ln -s ../../../../../../../../"$out"/devs "$ROOTFS/devlink"
    run run_container sh -c "test -c $out/null && test -c $out/devs/mydev && test -L /dev && echo inside"
    assert_success
    assert_output inside
    run ls -A "$out"
    assert_output ""
}

@test "a default node or a /dev link that is a symlink out of the rootfs is replaced inside it" {
    require_phase 3
    local out=$BATS_TEST_TMPDIR/outside
    mkdir -p "$out"
    update_config '.mounts |= map(select(.destination | startswith("/dev") | not))'
    mkdir -p "$ROOTFS/dev"
    ln -sf "$out/null" "$ROOTFS/dev/null"     # dangling on the host: mknod would follow it
    ln -sf "$out/console" "$ROOTFS/dev/shm"
    run run_container sh -c 'echo x >/dev/null && test -d /dev/shm && echo ok'
    assert_success
    assert_output ok
    run ls -A "$out"
    assert_output ""
}
