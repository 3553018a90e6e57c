#!/usr/bin/env bats
# Interop: the CRI, as the kubelet drives it (issue 11, item 3). containerd's CRI plugin runs pods
# whose RuntimeClass handler is rung (phase 5), through containerd-shim-runc-v2.
#
# The harness is tests/interop/cri.bash (shared with tests/vm/05-cri.bats): a private
# containerd (containerd.bash: root, state, sockets under one temp dir) with the CRI plugin on. Its runtime handler `rung` is the stanza of docs/kubernetes.md, read
# from there with BinaryName and Root replaced by this test's ($RUNG, DIR/rung): the doc's
# configuration is the one tested. Next to it, the default handler runc, as a stock config.toml
# has it, with a Root of its own, so the test can show that runc never ran. The sandbox ("pause")
# and busybox images are OCI layouts of scripts/mkrootfs.sh's rootfs imported into the k8s.io
# namespace: no registry. tests/interop/cri/cri.js is the CRI client (Debian has no crictl).
#
# The tests are the steps of one pod's life, in order, sharing the pod and its containers (their
# ids in DIR/ids); each says what the kubelet does at that point. Each test's CRI calls go
# through one `cri.js --batch` (cri_batch), so Node starts once a test, not once a call.
#
# This host, and what the test's CRI configuration does about it:
#   - no CNI plugins: pods use the host network (network NODE, as hostNetwork: true), which needs
#     none; containerd reports NetworkReady=false and RunPodSandbox still works;
#   - no CAP_SYS_RESOURCE: restrict_oom_score_adj = true (the sandbox's -998 cannot be set);
#   - a hybrid cgroup host (cgroup2 without controllers): the CRI gives every sandbox cpu.shares 2,
#     which rung refuses there, so where cgroup2 lacks the cpu controller the test sets
#     disable_cgroup = true (no cgroupsPath, no resources at create; update still calls rung).
#     Limits, updates and OOMKilled are tested where the controllers are: tests/vm/05-cri.bats.
# scripts/test.sh runs it once, against phase 5, after `scripts/deps.sh --interop`.

bats_require_minimum_version 1.5.0
export BATS_LIB_PATH=${BATS_LIB_PATH:-/usr/lib/bats}
bats_load_library bats-support
bats_load_library bats-assert

: "${RUNG:?set RUNG to the phase 5 rung binary, build/phase5-security/rung}"
REPO_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export REPO_ROOT
export ROOTFS_CACHE=${ROOTFS_CACHE:-$REPO_ROOT/build/rootfs}
load cri

setup_file() {
    [[ -z $(cri_skip_reason) ]] || return 0 # each test skips with the reason
    start_cri "$(mktemp -d /tmp/rung-cri.XXXXXX)"
}

teardown_file() {
    stop_cri
}

setup() {
    local r
    r=$(cri_skip_reason)
    [[ -z $r ]] || skip "$r"
    cri_batch
}

teardown() {
    cri_batch_end
}

# A container that says hello, then runs until SIGTERM, at which it exits 3.
LONG='["sh","-c","echo hello from rung; trap \"exit 3\" TERM; while :; do sleep 0.1; done"]'

@test "cri: Version and Status answer; RuntimeReady, and NetworkReady false without CNI" {
    run -0 cri Version '{"version":"v1"}'
    assert_equal "$(jq -r .runtime_api_version <<<"$output")" v1
    assert_equal "$(jq -r .runtime_name <<<"$output")" containerd
    run -0 cri Status
    assert_equal "$(jq -r '.status.conditions[] | select(.type == "RuntimeReady") | .status' <<<"$output")" true
    assert_equal "$(jq -r '.status.conditions[] | select(.type == "NetworkReady") | .status' <<<"$output")" false
    # The images the pod needs are there, imported without a registry.
    run -0 cri ImageStatus '{"image":{"image":"'"$BUSYBOX"'"}}'
    assert_equal "$(jq -r '.image.repo_tags[0]' <<<"$output")" "$BUSYBOX"
}

@test "cri: RunPodSandbox with an unknown runtime handler is refused" {
    run -1 cri RunPodSandbox '{"config":'"$(pod_config)"',"runtime_handler":"nosuch"}'
    assert_output --partial 'no runtime for "nosuch" is configured'
}

@test "cri: RunPodSandbox with runtime_handler rung: the sandbox is rung's, not runc's" {
    run -0 run_pod
    pod=$output
    [[ $pod =~ ^[0-9a-f]{64}$ ]]
    run -0 cri PodSandboxStatus "{\"pod_sandbox_id\":\"$pod\"}"
    assert_equal "$(jq -r .status.state <<<"$output")" SANDBOX_READY
    assert_equal "$(jq -r .status.runtime_handler <<<"$output")" rung
    # rung's state directory for the sandbox's container, under the handler's Root; runc's Root
    # was never made.
    run -0 rung_state "$pod"
    assert_equal "$(jq -r .status <<<"$output")" running
    [[ ! -e $CRI_DIR/runc ]]
}

@test "cri: CreateContainer and StartContainer: two containers share the pod's IPC namespace" {
    pod=$(<"$CRI_DIR/ids/pod")
    run -0 cri_container app "$LONG"
    run -0 cri_container sidecar '["sleep","3600"]'
    for c in app sidecar; do
        # CreateContainer is containerd's bookkeeping only: rung has no such container yet.
        # StartContainer runs `rung create`, then `rung start`.
        assert_equal "$(status_of $c | jq -r .status.state)" CONTAINER_CREATED
        run -1 rung_state "$(id_of $c)"
        run -0 cri StartContainer "{\"container_id\":\"$(id_of $c)\"}"
        run -0 status_of $c
        assert_equal "$(jq -r .status.state <<<"$output")" CONTAINER_RUNNING
        # The pid the CRI reports is the one rung recorded.
        cri_pid=$(jq -r '.info.info | fromjson | .pid' <<<"$output")
        run -0 rung_state "$(id_of $c)"
        assert_equal "$(jq -r .status <<<"$output")" running
        assert_equal "$(jq -r .pid <<<"$output")" "$cri_pid"
    done
    # IPC: the pod's, shared by both, not the host's. PID: one namespace per container.
    # UTS: the host's, as for any host-network pod. Each is read inside the container.
    read -r app_ipc app_pid app_uts <<<"$(namespaces_of app)"
    read -r side_ipc side_pid side_uts <<<"$(namespaces_of sidecar)"
    [[ $app_ipc == ipc:* && $app_pid == pid:* && $app_uts == uts:* ]]
    assert_equal "$side_ipc" "$app_ipc"
    assert_equal "$app_ipc" "$(readlink "/proc/$(rung_state "$pod" | jq -r .pid)/ns/ipc")"
    [[ $app_ipc != "$(readlink /proc/self/ns/ipc)" ]]
    [[ $app_pid != "$side_pid" ]]
    assert_equal "$app_uts" "$(readlink /proc/self/ns/uts)"
    assert_equal "$side_uts" "$app_uts"
    # What the container wrote to its stdout is in its CRI log.
    run -0 cat "$CRI_DIR/logs/app.log"
    assert_output --regexp ' stdout F hello from rung$'
}

@test "cri: ExecSync gives the command's stdout, stderr and exit code" {
    run -0 cri ExecSync "{\"container_id\":\"$(id_of app)\",\"timeout\":30,
        \"cmd\":[\"sh\",\"-c\",\"echo out; echo err >&2; exit 4\"]}"
    assert_equal "$(jq -r .stdout <<<"$output")" out
    assert_equal "$(jq -r .stderr <<<"$output")" err
    assert_equal "$(jq -r .exit_code <<<"$output")" 4
}

@test "cri: UpdateContainerResources reaches rung update, whose refusal is the CRI's error" {
    cgroup2=$(containerd_cgroup2_mount)
    if grep -qw memory "$cgroup2/cgroup.controllers" 2>/dev/null; then
        skip "cgroup2 here has the memory controller: tests/vm/05-cri.bats tests updates applied"
    fi
    # This hybrid host: rung refuses what it cannot apply, and says why, through the CRI.
    run -1 cri UpdateContainerResources "{\"container_id\":\"$(id_of app)\",
        \"linux\":{\"memory_limit_in_bytes\":\"67108864\"}}"
    assert_output --partial "rung: update: linux.resources.memory"
    assert_output --partial "needs the memory controller"
    # The container runs on, unchanged.
    assert_equal "$(status_of app | jq -r .status.state)" CONTAINER_RUNNING
}

@test "cri: a container that exits by itself: EXITED with its exit code" {
    run -0 cri_container quitter '["sh","-c","exit 7"]'
    run -0 cri StartContainer "{\"container_id\":\"$(id_of quitter)\"}"
    wait_exited quitter
    run -0 status_of quitter
    assert_equal "$(jq -r .status.exit_code <<<"$output")" 7
    assert_equal "$(jq -r .status.reason <<<"$output")" Error
    run -0 cri RemoveContainer "{\"container_id\":\"$(id_of quitter)\"}"
    [[ ! -e $CRI_DIR/rung/k8s.io/$(id_of quitter) ]]
}

@test "cri: StopContainer sends SIGTERM, the exit code is reported; RemoveContainer" {
    run -0 cri StopContainer "{\"container_id\":\"$(id_of app)\",\"timeout\":10}"
    run -0 status_of app
    assert_equal "$(jq -r .status.state <<<"$output")" CONTAINER_EXITED
    assert_equal "$(jq -r .status.exit_code <<<"$output")" 3
    run -0 cri RemoveContainer "{\"container_id\":\"$(id_of app)\"}"
    run -1 cri ContainerStatus "{\"container_id\":\"$(id_of app)\"}"
    # rung deleted it: its state directory is gone.
    [[ ! -e $CRI_DIR/rung/k8s.io/$(id_of app) ]]
}

@test "cri: a container whose start fails: rung's error is the CRI's" {
    run -0 cri_container broken '["/no/such/program"]'
    run -1 cri StartContainer "{\"container_id\":\"$(id_of broken)\"}"
    assert_output --partial 'OCI runtime create failed: create: init: exec "/no/such/program": No such file or directory'
    run -0 status_of broken
    assert_equal "$(jq -r .status.state <<<"$output")" CONTAINER_EXITED
    assert_equal "$(jq -r .status.reason <<<"$output")" StartError
    assert_equal "$(jq -r .status.exit_code <<<"$output")" 128
    [[ $(jq -r .status.message <<<"$output") == *'exec "/no/such/program": No such file or directory'* ]]
    run -0 cri RemoveContainer "{\"container_id\":\"$(id_of broken)\"}"
    [[ ! -e $CRI_DIR/rung/k8s.io/$(id_of broken) ]]
}

@test "cri: StopPodSandbox and RemovePodSandbox: nothing of the pod is left" {
    pod=$(<"$CRI_DIR/ids/pod")
    sidecar=$(id_of sidecar)
    # The kubelet stops a pod with its containers still running: the CRI kills them.
    run -0 cri StopPodSandbox "{\"pod_sandbox_id\":\"$pod\"}"
    run -0 cri PodSandboxStatus "{\"pod_sandbox_id\":\"$pod\"}"
    assert_equal "$(jq -r .status.state <<<"$output")" SANDBOX_NOTREADY
    assert_equal "$(status_of sidecar | jq -r .status.state)" CONTAINER_EXITED
    run -0 cri RemovePodSandbox "{\"pod_sandbox_id\":\"$pod\"}"
    run -0 cri ListPodSandbox
    assert_equal "$(jq '.items | length' <<<"$output")" 0
    run -0 cri ListContainers
    assert_equal "$(jq '.containers | length' <<<"$output")" 0
    # No state of rung's, no mount of the pod's (its /dev/shm, the rootfs), no cgroup.
    run -0 find "$CRI_DIR/rung/k8s.io" -mindepth 1
    assert_output ''
    run -0 awk -v p="$pod" -v s="$sidecar" 'index($5, p) || index($5, s) {print $5}' /proc/self/mountinfo
    assert_output ''
    cgroup2=$(containerd_cgroup2_mount)
    for id in "$pod" "$sidecar"; do
        [[ ! -e $cgroup2/rung/$id && ! -e $cgroup2/k8s.io/$id ]]
    done
}
