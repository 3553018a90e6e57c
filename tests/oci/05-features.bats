#!/usr/bin/env bats
# Phase 5: `rung features` (runtime-spec features.md): valid against the spec's schema, and true:
# what it lists as recognized, create accepts.

load helpers
load bundle

setup() {
    setup_bundle
    SCHEMA=$BATS_TEST_DIRNAME/data/schema/features-schema.json
}

teardown() {
    [[ -z ${LISTENER_PID:-} ]] || kill "$LISTENER_PID" 2>/dev/null || true
    teardown_bundle
}

# features JQ: a value of `rung features`.
features() {
    "$RUNG" features | jq -r "$1"
}

# runs_with: `rung run` of the bundle succeeds (its warnings go to the log).
runs_with() {
    set_args true
    rung --log "$BATS_TEST_TMPDIR/rung.log" run --bundle "$BUNDLE" "f-$BATS_TEST_NUMBER-$$"
}

@test "features: valid against the runtime-spec schema, with what phase 5 is" {
    require_phase 5
    python3 -c 'import jsonschema' 2>/dev/null ||
        skip "python3-jsonschema is not installed (scripts/deps.sh installs it)"
    run "$RUNG" features
    assert_success
    "$RUNG" features | "$BATS_TEST_DIRNAME/validate-json.py" "$SCHEMA"
    # The validator is not a rubber stamp.
    run -1 "$BATS_TEST_DIRNAME/validate-json.py" "$SCHEMA" <<<'{"ociVersionMin": "1.0.0", "linux": {"cgroup": {"v1": "no"}}}'
    assert_output --partial "'ociVersionMax' is a required property"
    assert_equal "$(features .ociVersionMax)" "$("$RUNG" --version | awk '/^spec:/ {print $2}')"
    assert_equal "$(features '.hooks | join(" ")')" "prestart createRuntime createContainer startContainer poststart poststop"
    assert_equal "$(features '.linux.cgroup | [.v1, .v2, .systemd] | join(" ")')" "false true false"
    # User namespaces, but no idmapped mounts yet (mounts[].uidMappings is not supported).
    assert_equal "$(features '.linux.namespaces | index("user") != null')" true
    assert_equal "$(features .linux.mountExtensions.idmap.enabled)" false
    assert_equal "$(features '[.linux.apparmor.enabled, .linux.selinux.enabled] | join(" ")')" "true true"
    assert_equal "$(features '.linux.capabilities | index("CAP_SYS_ADMIN") != null')" true
    assert_equal "$(features '.annotations["io.github.rung.phase"]')" 5-security
}

@test "features: every mount option it lists is accepted by create" {
    require_phase 5
    local option base
    base=$(jq -c . "$BUNDLE/config.json")
    mkdir -p "$BATS_TEST_TMPDIR/src"
    for option in $(features '.mountOptions[]'); do
        # A bind option needs a source to bind, and remount a mount that is there.
        case $option in
        bind | rbind | remount)
            jq --arg o "$option" --arg s "$BATS_TEST_TMPDIR/src" \
                '.mounts += [{destination: "/mnt", type: "bind", source: $s, options: (["bind", $o] | unique)}]' \
                <<<"$base" >"$BUNDLE/config.json"
            ;;
        *)
            jq --arg o "$option" '.mounts += [{destination: "/mnt", type: "tmpfs", source: "tmpfs", options: [$o]}]' \
                <<<"$base" >"$BUNDLE/config.json"
            ;;
        esac
        runs_with || fail "mount option $option is listed but refused"
    done
}

@test "features: every namespace it lists is made new for the container" {
    require_phase 5
    local ns proc base
    base=$(jq -c 'del(.hostname)' "$BUNDLE/config.json")
    for ns in $(features '.linux.namespaces[]'); do
        proc=$ns
        [[ $ns == network ]] && proc=net
        [[ $ns == mount ]] && proc=mnt
        jq --arg t "$ns" '.linux.namespaces = ([{type: "mount"}, {type: $t}] | unique)' <<<"$base" >"$BUNDLE/config.json"
        # A user namespace needs maps (0 to 0, so that the rootfs's owners stay who they are; not
        # the whole range, which rung, like runc's RunningInUserNS, takes for the host's own
        # namespace, so that sysfs would not fall back to a bind of /sys), and a
        # pid namespace of its own: the kernel mounts a /proc only for a pid namespace the
        # mounting user namespace owns.
        if [[ $ns == user ]]; then
            update_config '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}]
                | .linux.gidMappings = .linux.uidMappings
                | .linux.namespaces += [{type: "pid"}]'
        fi
        run run_container readlink "/proc/self/ns/$proc"
        assert_success
        [[ $output != "$(readlink "/proc/self/ns/$proc")" ]] || fail "$ns: not a new namespace"
    done
}

@test "features: every seccomp action it lists is accepted by create" {
    require_phase 5
    local action base default listener=$BATS_TEST_TMPDIR/notify.sock
    base=$(jq -c . "$BUNDLE/config.json")
    # SCMP_ACT_NOTIFY hands the listener fd to listenerPath: something must accept it.
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(8)
while True:
    c, _ = s.accept(); c.recvmsg(65536, 4096); c.close()' "$listener" &
    LISTENER_PID=$!
    wait_for test -S "$listener"
    for action in $(features '.linux.seccomp.actions[]'); do
        # A rule with the default action is pointless (libseccomp refuses one).
        default=SCMP_ACT_ALLOW
        [[ $action == SCMP_ACT_ALLOW ]] && default=SCMP_ACT_LOG
        jq --arg a "$action" --arg d "$default" --arg l "$listener" \
            '.linux.seccomp = {defaultAction: $d, syscalls: [{names: ["acct"], action: $a}]}
             | if $a == "SCMP_ACT_NOTIFY" then .linux.seccomp.listenerPath = $l else . end' \
            <<<"$base" >"$BUNDLE/config.json"
        runs_with || fail "seccomp action $action is listed but refused"
    done
}
