#!/usr/bin/env bats
# Phase 3 and on: config.json's mounts, root and rootfsPropagation (config.md "Mounts" and "Root",
# config-linux.md "rootfsPropagation"). Most tests print the container's /proc/self/mountinfo and
# read the fields of one mount: its per-mount options (field 6), its propagation tags (shared:N,
# master:N, unbindable) and its filesystem type.

load helpers
load bundle

setup() {
    setup_bundle
}

teardown() {
    teardown_bundle
}

@test "bind: a host directory appears at the destination, and writes go through" {
    require_phase 3
    mkdir "$BATS_TEST_TMPDIR/src"
    echo from-host >"$BATS_TEST_TMPDIR/src/file"
    add_mount /mnt/bind none "$BATS_TEST_TMPDIR/src" bind
    run run_container sh -c 'cat /mnt/bind/file; echo from-container >/mnt/bind/new'
    assert_success
    assert_output from-host
    assert_equal "$(cat "$BATS_TEST_TMPDIR/src/new")" from-container
    # The mount was the container's: the host has none there.
    (($(mounts_below_tmpdir) == 0))
}

@test "bind takes the top mount only, rbind the mounts below it too" {
    require_phase 3
    mkdir -p "$BATS_TEST_TMPDIR/src/sub"
    mount -t tmpfs tmpfs "$BATS_TEST_TMPDIR/src/sub"
    touch "$BATS_TEST_TMPDIR/src/sub/inner"
    add_mount /mnt/bind none "$BATS_TEST_TMPDIR/src" bind
    add_mount /mnt/rbind none "$BATS_TEST_TMPDIR/src" rbind
    run run_container sh -c 'ls /mnt/bind/sub; echo --; ls /mnt/rbind/sub'
    assert_success
    assert_output $'--\ninner'
}

@test "a relative bind source is relative to the bundle" {
    require_phase 3
    mkdir "$BUNDLE/data"
    echo in-bundle >"$BUNDLE/data/file"
    add_mount /mnt/data none data bind
    set_args cat /mnt/data/file
    # From another directory, so that the runtime's cwd cannot stand in for the bundle.
    cd /
    run rung run --bundle "$BUNDLE" rel
    assert_success
    assert_output in-bundle
}

@test "ro and rw: a read-only bind refuses writes, a read-write one takes them" {
    require_phase 3
    mkdir "$BATS_TEST_TMPDIR/src"
    add_mount /mnt/ro none "$BATS_TEST_TMPDIR/src" bind ro
    add_mount /mnt/rw none "$BATS_TEST_TMPDIR/src" bind rw
    add_mount /mnt/tmp-ro tmpfs tmpfs ro
    run run_container sh -c 'touch /mnt/ro/x 2>&1; touch /mnt/rw/y && echo rw-ok; cat /proc/self/mountinfo'
    assert_success
    assert_line --partial "/mnt/ro/x: Read-only file system"
    assert_line rw-ok
    [[ ! -e $BATS_TEST_TMPDIR/src/x && -e $BATS_TEST_TMPDIR/src/y ]]
    [[ $(mount_options /mnt/ro) == ro,* ]]
    [[ $(mount_options /mnt/rw) == rw,* ]]
    [[ $(mount_options /mnt/tmp-ro) == ro,* ]]
}

@test "nosuid, nodev, noexec and nosymfollow, on a new filesystem and on a bind" {
    require_phase 3
    mkdir "$BATS_TEST_TMPDIR/src"
    add_mount /mnt/tmpfs tmpfs tmpfs nosuid nodev noexec nosymfollow
    add_mount /mnt/bind none "$BATS_TEST_TMPDIR/src" bind nosuid nodev noexec nosymfollow
    add_mount /mnt/plain tmpfs tmpfs
    run run_container sh -c 'cp /bin/busybox /mnt/tmpfs/busybox; /mnt/tmpfs/busybox true 2>&1 || echo noexec-refused; cp /bin/busybox /mnt/plain/busybox; /mnt/plain/busybox true && echo plain-runs; cat /proc/self/mountinfo'
    assert_success
    assert_line noexec-refused
    assert_line plain-runs
    local m opt
    for m in /mnt/tmpfs /mnt/bind; do
        for opt in nosuid nodev noexec nosymfollow; do
            has_option "$(mount_options $m)" $opt || fail "$m lacks $opt: $(mount_options $m)"
        done
    done
    for opt in nosuid nodev noexec nosymfollow; do
        refute has_option "$(mount_options /mnt/plain)" $opt
    done
}

@test "the atime options: noatime, relatime, strictatime, nodiratime, atime" {
    require_phase 3
    mkdir "$BATS_TEST_TMPDIR/src"
    add_mount /mnt/noatime tmpfs tmpfs noatime
    add_mount /mnt/relatime tmpfs tmpfs relatime
    add_mount /mnt/strictatime tmpfs tmpfs strictatime
    add_mount /mnt/nodiratime tmpfs tmpfs nodiratime
    add_mount /mnt/atime tmpfs tmpfs noatime atime
    add_mount /mnt/bind-noatime none "$BATS_TEST_TMPDIR/src" bind noatime
    run run_container cat /proc/self/mountinfo
    assert_success
    has_option "$(mount_options /mnt/noatime)" noatime
    has_option "$(mount_options /mnt/relatime)" relatime
    # strictatime is the absence of both.
    refute has_option "$(mount_options /mnt/strictatime)" relatime
    refute has_option "$(mount_options /mnt/strictatime)" noatime
    has_option "$(mount_options /mnt/nodiratime)" nodiratime
    # "atime" undoes the "noatime" before it: the kernel's default, relatime.
    refute has_option "$(mount_options /mnt/atime)" noatime
    has_option "$(mount_options /mnt/atime)" relatime
    has_option "$(mount_options /mnt/bind-noatime)" noatime
}

@test "propagation options: shared, slave, private, unbindable" {
    require_phase 3
    # /mnt/a is shared; binds of it either join its peer group or become what the option says.
    add_mount /mnt/a tmpfs tmpfs shared
    add_mount /mnt/peer none "$ROOTFS/mnt/a" bind
    add_mount /mnt/slave none "$ROOTFS/mnt/a" bind slave
    add_mount /mnt/private none "$ROOTFS/mnt/a" bind private
    add_mount /mnt/unbindable none "$ROOTFS/mnt/a" bind unbindable
    run run_container cat /proc/self/mountinfo
    assert_success
    local group
    group=$(mount_tags /mnt/a)
    [[ $group =~ ^shared:[0-9]+$ ]] || fail "/mnt/a: $group"
    assert_equal "$(mount_tags /mnt/peer)" "$group"
    assert_equal "$(mount_tags /mnt/slave)" "master:${group#shared:}"
    assert_equal "$(mount_tags /mnt/private)" ""
    assert_equal "$(mount_tags /mnt/unbindable)" unbindable
}

@test "the recursive propagation options reach the mounts below, the plain ones do not" {
    require_phase 3
    # A shared tree (/mnt/s with /mnt/s/sub) and a private one (/mnt/p with /mnt/p/sub).
    add_mount /mnt/s tmpfs tmpfs shared
    add_mount /mnt/s/sub tmpfs tmpfs shared
    add_mount /mnt/p tmpfs tmpfs
    add_mount /mnt/p/sub tmpfs tmpfs
    add_mount /mnt/slave none "$ROOTFS/mnt/s" rbind slave
    add_mount /mnt/rslave none "$ROOTFS/mnt/s" rbind rslave
    add_mount /mnt/rprivate none "$ROOTFS/mnt/s" rbind rprivate
    add_mount /mnt/shared none "$ROOTFS/mnt/p" rbind shared
    add_mount /mnt/rshared none "$ROOTFS/mnt/p" rbind rshared
    add_mount /mnt/runbindable none "$ROOTFS/mnt/p" rbind runbindable
    run run_container cat /proc/self/mountinfo
    assert_success
    [[ $(mount_tags /mnt/slave) == master:* && $(mount_tags /mnt/slave/sub) == shared:* ]]
    [[ $(mount_tags /mnt/rslave) == master:* && $(mount_tags /mnt/rslave/sub) == master:* ]]
    [[ $(mount_tags /mnt/rprivate) == "" && $(mount_tags /mnt/rprivate/sub) == "" ]]
    [[ $(mount_tags /mnt/shared) == shared:* && $(mount_tags /mnt/shared/sub) == "" ]]
    [[ $(mount_tags /mnt/rshared) == shared:* && $(mount_tags /mnt/rshared/sub) == shared:* ]]
    [[ $(mount_tags /mnt/runbindable) == unbindable && $(mount_tags /mnt/runbindable/sub) == unbindable ]]
}

@test "recursive mount options (rro, rnosuid, rnodev, rnoexec, rnoatime) reach submounts" {
    require_phase 3
    # mount_setattr(2), which applies them, is Linux 5.12 and later.
    local major minor
    IFS=. read -r major minor _ < <(uname -r)
    if ((major < 5 || (major == 5 && minor < 12))); then
        skip "needs mount_setattr(2), Linux 5.12 (this is $(uname -r))"
    fi
    mkdir -p "$BATS_TEST_TMPDIR/src/sub"
    mount -t tmpfs tmpfs "$BATS_TEST_TMPDIR/src/sub"
    add_mount /mnt/ro none "$BATS_TEST_TMPDIR/src" rbind ro
    add_mount /mnt/rro none "$BATS_TEST_TMPDIR/src" rbind rro rnosuid rnodev rnoexec rnoatime
    run run_container sh -c 'touch /mnt/ro/sub/x && echo ro-sub-writable; touch /mnt/rro/sub/y 2>&1; cat /proc/self/mountinfo'
    assert_success
    assert_line ro-sub-writable
    assert_line --partial "/mnt/rro/sub/y: Read-only file system"
    [[ $(mount_options /mnt/ro) == ro,* && $(mount_options /mnt/ro/sub) == rw,* ]]
    local m opt
    for m in /mnt/rro /mnt/rro/sub; do
        for opt in ro nosuid nodev noexec noatime; do
            has_option "$(mount_options $m)" $opt || fail "$m lacks $opt: $(mount_options $m)"
        done
    done
    # The host's mount below is untouched.
    [[ $(findmnt -n -o OPTIONS "$BATS_TEST_TMPDIR/src/sub") == rw,* ]]
}

@test "tmpfs takes size, mode, uid and gid" {
    require_phase 3
    add_mount /mnt/t tmpfs tmpfs size=1m mode=1770 uid=1000 gid=1001
    run run_container sh -c 'df -k /mnt/t | tail -n 1; stat -c "%a %u %g" /mnt/t'
    assert_success
    [[ $(awk '{print $2}' <<<"${lines[0]}") == 1024 ]]
    assert_equal "${lines[1]}" "1770 1000 1001"
}

@test "proc, sysfs, tmpfs, devpts (with /dev/ptmx), mqueue and cgroup mounts" {
    require_phase 3
    add_mount /dev/mqueue mqueue mqueue nosuid noexec nodev
    add_mount /sys/fs/cgroup cgroup cgroup nosuid noexec nodev relatime ro
    run run_container sh -c 'readlink /dev/ptmx; ls /dev/pts; test -e /sys/fs/cgroup/cgroup.procs && echo cgroup-ok; cat /proc/self/mountinfo'
    assert_success
    assert_equal "${lines[0]}" pts/ptmx
    # A new devpts instance: no pty of the host's shows through.
    assert_equal "${lines[1]}" ptmx
    assert_line cgroup-ok
    assert_equal "$(mount_fstype /proc)" proc
    assert_equal "$(mount_fstype /sys)" sysfs
    [[ $(mount_options /sys) == ro,* ]]
    assert_equal "$(mount_fstype /dev)" tmpfs
    assert_equal "$(mount_fstype /dev/shm)" tmpfs
    assert_equal "$(mount_fstype /dev/pts)" devpts
    has_option "$(mount_super /dev/pts)" ptmxmode=666
    assert_equal "$(mount_fstype /dev/mqueue)" mqueue
    # OCI "cgroup" is the container's view of cgroups: cgroup2 on a v2 or hybrid host.
    assert_equal "$(mount_fstype /sys/fs/cgroup)" cgroup2
    [[ $(mount_options /sys/fs/cgroup) == ro,* ]]
}

@test "mounts are made in the listed order: a later one on the same place is on top" {
    require_phase 3
    add_mount /mnt/x tmpfs tmpfs size=1m
    add_mount /mnt/x tmpfs tmpfs size=2m
    add_mount /mnt/x/inner tmpfs tmpfs size=3m
    run run_container sh -c 'df -k /mnt/x /mnt/x/inner | tail -n 2'
    assert_success
    assert_equal "$(awk '{print $2}' <<<"$output" | tr '\n' ' ')" "2048 3072 "
}

@test "pivot_root: the container's mount table holds its own mounts and nothing of the host's" {
    require_phase 3
    run run_container cat /proc/self/mountinfo
    assert_success
    # The rootfs and the five mounts of the test config, in order.
    assert_equal "$(awk '{print $5}' <<<"$output" | tr '\n' ' ')" "/ /proc /dev /dev/pts /dev/shm /sys "
}

@test "--no-pivot: the rootfs is moved over / and the container runs in it" {
    require_phase 3
    echo inside >"$ROOTFS/marker"
    set_args sh -c 'cat /marker; hostname; test -e /bin/busybox && echo busybox; test -e /etc/debian_version || echo no-host-files'
    run rung run --no-pivot --bundle "$BUNDLE" nopivot
    assert_success
    assert_output $'inside\nrung\nbusybox\nno-host-files'
}

@test "destinations are created inside the rootfs, nested directories and a file bind too" {
    require_phase 3
    echo conf >"$BATS_TEST_TMPDIR/file.conf"
    add_mount /new/a/b/c tmpfs tmpfs
    add_mount /etc/rung/new.conf none "$BATS_TEST_TMPDIR/file.conf" bind
    run run_container sh -c 'cat /etc/rung/new.conf; cat /proc/self/mountinfo'
    assert_success
    assert_line conf
    assert_equal "$(mount_fstype /new/a/b/c)" tmpfs
    [[ -d $ROOTFS/new/a/b/c ]]
    # The mount point of a file is a file.
    [[ -f $ROOTFS/etc/rung/new.conf ]]
}

@test "a destination with .. stays inside the rootfs" {
    require_phase 3
    local name=rung-dotdot-$$
    add_mount "/../../../$name" tmpfs tmpfs
    add_mount "/mnt/../mnt2/./x/.." tmpfs tmpfs
    run run_container cat /proc/self/mountinfo
    assert_success
    assert_equal "$(mount_fstype "/$name")" tmpfs
    assert_equal "$(mount_fstype /mnt2)" tmpfs
    [[ -d $ROOTFS/$name ]]
    [[ ! -e /$name ]] || {
        rmdir "/$name"
        fail "created /$name on the host"
    }
}

@test "a missing bind source fails create with one line naming it, and leaves nothing" {
    require_phase 3
    add_mount /mnt/x none "$BATS_TEST_TMPDIR/missing" bind
    set_args true
    run_to_file rung create --bundle "$BUNDLE" badsrc
    assert_failure
    one_line
    assert_output --partial "\"$BATS_TEST_TMPDIR/missing\""
    assert_output --partial "No such file or directory"
    assert_clean badsrc
}

@test "filesystem options on a bind mount are ignored with a warning in --log, as runc does" {
    require_phase 3
    mkdir "$BATS_TEST_TMPDIR/src"
    echo hi >"$BATS_TEST_TMPDIR/src/f"
    # Engines add mode= and size= to every mount, bind mounts too.
    add_mount /mnt/x none "$BATS_TEST_TMPDIR/src" rbind mode=755 size=1k
    run run_container cat /mnt/x/f
    assert_success
    assert_output hi
    run grep -cF 'mount "/mnt/x": a bind mount takes no filesystem options, ignoring "mode=755,size=1k"' "$BATS_TEST_TMPDIR/rung.log"
    assert_output 1
}

@test "type bind without a bind option, and idmap, are refused before create starts" {
    require_phase 3
    mkdir "$BATS_TEST_TMPDIR/src"
    add_mount /mnt/x bind "$BATS_TEST_TMPDIR/src"
    set_args true
    run_to_file rung create --bundle "$BUNDLE" typebind
    assert_failure
    one_line
    assert_output --regexp '^rung: create: config.json: \.mounts\[5\]: type "bind" without a "bind" or "rbind" option'
    assert_clean typebind
    update_config '.mounts[5].options = ["rbind"]'
    run run_container cat /proc/self/mountinfo
    assert_success
    [[ -n $(mountinfo_entry /mnt/x) ]]
    update_config '.mounts[5].options = ["rbind", "idmap"]'
    run_to_file rung create --bundle "$BUNDLE" idmapped
    assert_failure
    one_line
    if ((PHASE < 5)); then
        assert_output --regexp '^rung: create: config.json: \.mounts\[5\]: idmapped mounts need a user namespace'
    else
        assert_output --regexp '^rung: create: config.json: \.mounts\[5\]: idmapped mounts \(idmap, ridmap\) are not supported'
    fi
    assert_clean idmapped
}

@test "root.readonly: / refuses writes, the mounts that say rw still take them" {
    require_phase 3
    update_config '.root.readonly = true'
    add_mount /tmp tmpfs tmpfs
    run run_container sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok; echo > /dev/shm/z && echo shm-ok; cat /proc/self/mountinfo'
    assert_success
    assert_line --partial "/x: Read-only file system"
    assert_line tmp-ok
    assert_line shm-ok
    [[ $(mount_options /) == ro,* ]]
    [[ ! -e $ROOTFS/x ]]
}

# The rootfsPropagation tests put the rootfs on a shared host mount, as a systemd host has them:
# only then can the container's / be a slave that receives the host's mounts.
shared_rootfs() {
    local shared=$BATS_TEST_TMPDIR/shared
    mkdir "$shared"
    mount -t tmpfs tmpfs "$shared"
    mount --make-shared "$shared"
    cp -a "$ROOTFS" "$shared/rootfs"
    update_config --arg r "$shared/rootfs" '.root.path = $r'
    ROOTFS=$shared/rootfs
}

# propagation_of MODE: start a container with rootfsPropagation MODE ("" leaves it unset), then
# mount a tmpfs on the host under its rootfs. Sets `tags` to the propagation tags of the
# container's / and `seen` to whether the host's new mount reached the container.
propagation_of() {
    [[ -n $1 ]] && update_config --arg p "$1" '.linux.rootfsPropagation = $p'
    local id=prop-${1:-default}
    create_container "$id" sleep 1000
    rung start "$id"
    mkdir -p "$ROOTFS/mnt/late"
    mount -t tmpfs tmpfs "$ROOTFS/mnt/late"
    run rung exec "$id" cat /proc/self/mountinfo
    assert_success
    tags=$(mount_tags /)
    seen=no
    [[ -z $(mountinfo_entry /mnt/late) ]] || seen=yes
}

@test "rootfsPropagation unset is slave: the host's later mounts reach the container" {
    require_phase 3
    shared_rootfs
    propagation_of ""
    [[ $tags =~ ^master:[0-9]+$ ]] || fail "tags: $tags"
    assert_equal "$seen" yes
}

@test "rootfsPropagation slave: the host's later mounts reach the container" {
    require_phase 3
    shared_rootfs
    propagation_of slave
    [[ $tags =~ ^master:[0-9]+$ ]] || fail "tags: $tags"
    assert_equal "$seen" yes
}

@test "rootfsPropagation private: the host's later mounts do not reach the container" {
    require_phase 3
    shared_rootfs
    propagation_of private
    assert_equal "$tags" ""
    assert_equal "$seen" no
}

@test "rootfsPropagation shared: / is in a peer group of its own, not the host's" {
    require_phase 3
    shared_rootfs
    local host_group
    host_group=$(awk -v d="$BATS_TEST_TMPDIR/shared" '$5 == d {print $7}' /proc/self/mountinfo)
    [[ $host_group == shared:* ]]
    propagation_of shared
    [[ $tags =~ ^shared:[0-9]+$ ]] || fail "tags: $tags"
    [[ $tags != "$host_group" ]]
    assert_equal "$seen" no
}

@test "rootfsPropagation unbindable: / is private and cannot be bind mounted" {
    require_phase 3
    shared_rootfs
    propagation_of unbindable
    assert_equal "$tags" unbindable
    assert_equal "$seen" no
    run rung exec prop-unbindable mount --bind / /mnt
    assert_failure
}

# A hostile image: symlinks in the rootfs that point out of it, absolutely, relatively, and with
# .. chains. Each must be resolved as if the rootfs were "/", so nothing lands on the host.
@test "a symlink on a mount destination is resolved inside the rootfs: /conf -> /real/conf" {
    require_phase 3
    mkdir -p "$ROOTFS/real/conf"
    ln -s /real/conf "$ROOTFS/conf"
    add_mount /conf/x tmpfs tmpfs
    run run_container sh -c 'test -L /conf && stat -f -c %T /real/conf/x'
    assert_success
    assert_output tmpfs
}

@test "symlinks out of the rootfs on mount destinations never lead a mkdir or a mount to the host" {
    require_phase 3
    local out=$BATS_TEST_TMPDIR/outside
    mkdir -p "$out"
    mkdir "$BATS_TEST_TMPDIR/src"
    ln -s "$out" "$ROOTFS/abs"                             # absolute, to the host's path
    ln -s ../../../../../../../../../../"$out" "$ROOTFS/rel" # relative, .. past the root
    mkdir -p "$ROOTFS/a/b"
    ln -s ../../.. "$ROOTFS/a/b/up"                        # a .. chain that would climb out
    add_mount /abs/tmp tmpfs tmpfs
    add_mount /rel/bind none "$BATS_TEST_TMPDIR/src" bind
    add_mount /a/b/up/x tmpfs tmpfs
    run run_container sh -c "stat -f -c %T $out/tmp; test -d $out/bind && echo bind; stat -f -c %T /x"
    assert_success
    assert_output $'tmpfs\nbind\ntmpfs'
    run ls -A "$out"
    assert_output ""
    [[ ! -e $BUNDLE/x ]] || fail "a mount point was made in the bundle, outside the rootfs"
}

@test "a symlink loop on a mount destination is one clear error" {
    require_phase 3
    ln -s loop2 "$ROOTFS/loop1"
    ln -s loop1 "$ROOTFS/loop2"
    add_mount /loop1/x tmpfs tmpfs
    set_args true
    run_to_file rung create --bundle "$BUNDLE" loop
    assert_failure
    one_line
    assert_output --partial 'Too many levels of symbolic links'
    assert_clean loop
}

@test "/dev mounted ro: its nodes and links are made, then it is read-only" {
    require_phase 3
    update_config '(.mounts[] | select(.destination == "/dev") | .options) += ["ro"]'
    run run_container sh -c 'test -c /dev/null && test -L /dev/fd && echo made; touch /dev/x 2>/dev/null || echo ro; echo ok >/dev/null && echo null-works'
    assert_success
    assert_output $'made\nro\nnull-works'
}

@test "/proc may be a bind of the host's /proc when the host's pid namespace is shared" {
    require_phase 3
    update_config '.linux.namespaces |= map(select(.type != "pid"))
        | .mounts |= map(if .destination == "/proc" then {destination: "/proc", type: "none", source: "/proc", options: ["rbind"]} else . end)'
    # The host's pid 1 is visible.
    run run_container sh -c 'test -d /proc/1 && cat /proc/self/oom_score_adj >/dev/null && echo host-proc'
    assert_success
    assert_output host-proc
}

@test "a container needs no /proc: without a proc mount it runs, and start still finds the exec FIFO" {
    require_phase 3
    update_config '.mounts |= map(select(.destination != "/proc"))'
    run run_container sh -c 'test -e /proc/self || echo no-proc'
    assert_success
    assert_output no-proc
}
