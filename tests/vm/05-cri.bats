#!/usr/bin/env bats
# Phase 5 under containerd's CRI in the guest, where cgroup v2 has every controller: what the
# host's tests/interop/cri.bats cannot show. There (a hybrid host) the CRI's resources cannot be
# applied, so it runs with disable_cgroup; here the CRI runs as on a cgroup v2 Kubernetes node:
# each container in the CRI's cgroup /k8s.io/<id>, with the kubelet's limits.
#
# The same harness (tests/interop/cri.bash): a private containerd, the runtime handler rung of
# docs/kubernetes.md, the CRI client cri.js, here as one `cri.js --batch` for the whole test
# (Node takes 27 s to start in the emulated guest), and one test for the same reason.

load helpers
load ../interop/cri

# The containers run the sandbox image with commands of their own: one image to build and
# import, not two.
# shellcheck disable=SC2034 # cri.bash reads it
BUSYBOX=$PAUSE

# step WHAT: WHAT and the seconds since the test began, as a TAP comment (fd 3): the guest's
# costs, for whoever tunes this test.
step() {
    echo "# cri: $((SECONDS - T0)) s: $*" >&3
}

setup() {
    require_guest
    require_phase 5
    local r
    r=$(cri_skip_reason)
    [[ -z $r ]] || skip "$r"
}

teardown() {
    stop_cri # with the batch's node: another would take half a minute to start
    cri_batch_end
    [[ -z ${CRI_TMPFS:-} ]] || { umount "$CRI_TMPFS" && rmdir "$CRI_TMPFS"; }
}

# cgroup_of NAME: the container's cgroup directory, from its pid as the CRI reports it.
cgroup_of() {
    local status pid
    status=$(status_of "$1") || return
    pid=${status#*\\\"pid\\\":}
    pid=${pid%%,*}
    echo "$CGROUP_ROOT$(sed -n 's/^0:://p' "/proc/$pid/cgroup")"
}

@test "cri: the kubelet's limits reach the container's cgroup, an update changes them, OOMKilled" {
    # The guest's / is an overlay: containerd's overlayfs snapshotter needs its upper dirs on
    # another filesystem.
    T0=$SECONDS
    CRI_TMPFS=$(mktemp -d /tmp/rung-cri.XXXXXX)
    mount -t tmpfs tmpfs "$CRI_TMPFS"
    # Node starts (half a minute here) while containerd does: its channel connects at the
    # first call, once start_cri is done.
    CRI_DIR=$CRI_TMPFS/cri
    cri_batch
    start_cri "$CRI_DIR"
    step "containerd started, image imported"
    run -0 run_pod
    step "RunPodSandbox"
    pod=$output

    # resources: {limits: {memory: 64Mi, cpu: 500m}, requests: {cpu: 500m}}, as the kubelet
    # sends them: memory.max, cpu.max (quota/period) and cpu.weight (from the 512 shares).
    run -0 cri_container limited '["sleep","3600"]' \
        '{"memory_limit_in_bytes":"67108864","cpu_period":"100000","cpu_quota":"50000","cpu_shares":"512"}'
    run -0 cri StartContainer "{\"container_id\":\"$(id_of limited)\"}"
    run -0 cgroup_of limited
    cg=$output
    assert_equal "$cg" "$CGROUP_ROOT/k8s.io/$(id_of limited)"
    assert_equal "$(cat "$cg/memory.max")" 67108864
    assert_equal "$(cat "$cg/cpu.max")" "50000 100000"
    assert_equal "$(cat "$cg/cpu.weight")" 20
    # The sandbox's cpu.shares 2, which a hybrid host cannot apply: cpu.weight 1.
    assert_equal "$(cat "$CGROUP_ROOT/k8s.io/$pod/cpu.weight")" 1

    step "limited container started"
    # UpdateContainerResources (a resize, or the kubelet's cpu manager): `rung update`.
    run -0 cri UpdateContainerResources "{\"container_id\":\"$(id_of limited)\",
        \"linux\":{\"memory_limit_in_bytes\":\"100663296\",\"cpu_period\":\"100000\",\"cpu_quota\":\"150000\",\"cpu_shares\":\"512\"}}"
    assert_equal "$(cat "$cg/memory.max")" 100663296
    assert_equal "$(cat "$cg/cpu.max")" "150000 100000"

    # A container that needs more than its 32 MiB: the kernel's OOM killer ends it in its
    # cgroup, and the CRI reports what the kubelet shows as OOMKilled.
    run -0 cri_container hog '["dd","if=/dev/zero","of=/dev/null","bs=100M","count=1"]' \
        '{"memory_limit_in_bytes":"33554432"}'
    run -0 cri StartContainer "{\"container_id\":\"$(id_of hog)\"}"
    wait_exited hog 120
    step "hog exited"
    run -0 status_of hog
    assert_output --partial '"reason":"OOMKilled"'
    assert_output --partial '"exit_code":137'

    run -0 cri StopPodSandbox "{\"pod_sandbox_id\":\"$pod\"}"
    run -0 cri RemovePodSandbox "{\"pod_sandbox_id\":\"$pod\"}"
    step "pod removed"
    # Each cgroup went with its container.
    for id in "$pod" "$(id_of limited)" "$(id_of hog)"; do
        [[ ! -e $CGROUP_ROOT/k8s.io/$id ]]
    done
}
