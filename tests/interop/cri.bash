# shellcheck shell=bash
# The CRI test's harness (tests/interop/cri.bats on the host, tests/vm/05-cri.bats in the cgroup
# v2 guest): a private containerd (containerd.bash) with its CRI plugin on and the runtime
# handler rung of docs/kubernetes.md, the busybox and sandbox images in its k8s.io namespace,
# and the CRI client tests/interop/cri/cri.js, with the calls the kubelet makes for one pod.
#
#   cri_skip_reason              why the CRI test cannot run here, or nothing
#   start_cri DIR                containerd with the CRI under DIR (exported as CRI_DIR), images in
#   stop_cri                     the kubelet's cleanup of every pod, then stop_containerd
#   cri VERB [JSON]              one CRI call: the reply's JSON on stdout, or the error on stderr
#                                and status 1; through `cri.js --batch` when cri_batch started it
#   cri_batch                    one node for every cri call of the calling shell (a coproc)
#
# Needs RUNG (phase 5's rung) and REPO_ROOT; ROOTFS_CACHE as containerd.bash.

# shellcheck source=tests/interop/containerd.bash
source "$REPO_ROOT/tests/interop/containerd.bash"

BUSYBOX=localhost/rung-busybox:1
PAUSE=localhost/rung-pause:1
CRI_JS=$REPO_ROOT/tests/interop/cri/cri.js

# cri_skip_reason: why the CRI test cannot run here, or nothing.
cri_skip_reason() {
    local r
    r=$(containerd_skip_reason)
    [[ -n $r ]] && { echo "$r"; return; }
    command -v node >/dev/null || { echo "node is not installed (scripts/deps.sh --interop)"; return; }
    [[ -d $REPO_ROOT/tests/interop/cri/node_modules/@grpc/grpc-js ]] ||
        echo "the CRI client's npm modules are missing (scripts/deps.sh --interop runs npm ci)"
}

# doc_stanza RUNG ROOT: the containerd stanza of docs/kubernetes.md, the fenced block after its
# marker line, with the doc's BinaryName and Root replaced. Fails if the doc lost either.
doc_stanza() {
    local doc=$REPO_ROOT/docs/kubernetes.md block
    block=$(awk '/^<!-- tests\/interop\/cri.bash loads the fenced block below/ {armed = 1; next}
                 armed && /^```toml$/ {inside = 1; next}
                 inside && /^```$/ {exit}
                 inside {print}' "$doc")
    [[ $block == *'BinaryName = "/usr/local/bin/rung"'* && $block == *'Root = "/run/rung"'* ]] || {
        echo "docs/kubernetes.md: the marked containerd stanza has no BinaryName" \
            "\"/usr/local/bin/rung\" and Root \"/run/rung\" to replace" >&2
        return 1
    }
    block=${block//'BinaryName = "/usr/local/bin/rung"'/"BinaryName = \"$1\""}
    printf '%s\n' "${block//'Root = "/run/rung"'/"Root = \"$2\""}"
}

# cri_config DIR: the CRI plugin's table for start_containerd.
cri_config() {
    local d=$1 cgroup2 disable=false
    cgroup2=$(containerd_cgroup2_mount)
    grep -qw cpu "$cgroup2/cgroup.controllers" 2>/dev/null || disable=true
    cat <<EOF
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE"
  restrict_oom_score_adj = true
  disable_cgroup = $disable
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$d/cni/bin"
    conf_dir = "$d/cni/conf"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
    runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
      Root = "$d/runc"
EOF
    doc_stanza "$RUNG" "$d/rung"
}

# start_cri DIR: containerd with the CRI under DIR (a new directory), the two images imported.
start_cri() {
    CRI_DIR=${1:?start_cri DIR}
    export CRI_DIR
    mkdir -p "$CRI_DIR/cni/bin" "$CRI_DIR/cni/conf" "$CRI_DIR/logs" "$CRI_DIR/ids"
    # Where the containers' cgroups are made: the CRI's /k8s.io/<id> when cgroups are on, rung's
    # own /rung/<id> when disable_cgroup leaves cgroupsPath empty. Each delete removes its own;
    # stop_containerd removes what a failed run leaves, once empty.
    printf '%s\n' k8s.io >>"$CRI_DIR/cgroups"
    start_containerd "$CRI_DIR" "$(cri_config "$CRI_DIR")"
    # One image where BUSYBOX is PAUSE (the VM's test: each image costs seconds there).
    [[ $BUSYBOX == "$PAUSE" ]] || import_image "$CRI_DIR" k8s.io "$BUSYBOX"
    import_pause_image "$CRI_DIR" k8s.io "$PAUSE"
}

# stop_cri: what the kubelet does to every pod when it goes, then stop_containerd.
stop_cri() {
    [[ -n ${CRI_DIR:-} && -d $CRI_DIR ]] || return 0
    local id
    # The kubelet's own cleanup first, so the shims delete through rung; then the harness's.
    for id in $(cri ListPodSandbox | jq -r '.items[].id' 2>/dev/null); do
        cri StopPodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>&1
        cri RemovePodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>&1
    done
    stop_containerd "$CRI_DIR"
}

# cri VERB [JSON]: one CRI call to the test's containerd; the reply's JSON on stdout, or the
# error on stderr and status 1. After cri_batch, through its node, else a node per call.
cri() {
    if [[ -z ${CRI_BATCH_IN:-} ]]; then
        node "$CRI_JS" --endpoint "unix://$CRI_DIR/containerd.sock" --timeout 60 "$@"
        return
    fi
    local line request=${2:-"{}"}
    printf '%s %s\n' "$1" "${request//$'\n'/ }" >&"$CRI_BATCH_IN"
    IFS= read -r line <&"$CRI_BATCH_OUT" || { echo "cri: cri.js --batch is gone" >&2; return 1; }
    case $line in
    "ok "*) printf '%s\n' "${line#ok }" ;;
    *) jq -r . <<<"${line#error }" >&2 && return 1 ;;
    esac
}

# cri_batch: one `cri.js --batch` for the cri calls of this shell and its subshells, as a
# coproc: Node's start (half a second here, 27 s in the test VM) is paid once.
# Node gets no fd 3 (bats waits for whoever holds its output fd).
cri_batch() {
    coproc CRI_NODE {
        node "$CRI_JS" --endpoint "unix://$CRI_DIR/containerd.sock" --timeout 60 --batch 3>&-
    }
    CRI_BATCH_PID=$CRI_NODE_PID
    # Copies of the coproc's fds: bash keeps those out of pipelines' subshells (status_of | jq).
    exec {CRI_BATCH_IN}>&"${CRI_NODE[1]}" {CRI_BATCH_OUT}<&"${CRI_NODE[0]}"
    eval "exec ${CRI_NODE[1]}>&- ${CRI_NODE[0]}<&-"
}

# cri_batch_end: the end of that node, by its pid (a daemon started after cri_batch holds a
# copy of its stdin, so closing ours is no end of file).
cri_batch_end() {
    [[ -n ${CRI_BATCH_IN:-} ]] || return 0
    exec {CRI_BATCH_IN}>&- {CRI_BATCH_OUT}<&-
    kill "$CRI_BATCH_PID" 2>/dev/null || true
    wait "$CRI_BATCH_PID" 2>/dev/null || true
    unset CRI_BATCH_IN CRI_BATCH_OUT CRI_BATCH_PID
}

# The pod's config, as the kubelet sends it for a hostNetwork pod (PID per container, IPC shared).
NS='{"network":"NODE","pid":"CONTAINER","ipc":"POD"}'
pod_config() {
    echo '{"metadata":{"name":"web","uid":"6a1d2c3e-rung","namespace":"default","attempt":0},
           "log_directory":"'"$CRI_DIR/logs"'",
           "linux":{"security_context":{"namespace_options":'"$NS"'}}}'
}

# cri_container NAME COMMAND_JSON [RESOURCES_JSON]: CreateContainer in the pod, with
# RESOURCES_JSON as its LinuxContainerResources (the kubelet's requests and limits); prints the
# container's id and keeps it in DIR/ids/NAME.
cri_container() {
    local pod req reply
    pod=$(<"$CRI_DIR/ids/pod")
    req='{"pod_sandbox_id":"'"$pod"'","sandbox_config":'"$(pod_config)"',
          "config":{"metadata":{"name":"'"$1"'","attempt":0},"image":{"image":"'"$BUSYBOX"'"},
                    "command":'"$2"',"log_path":"'"$1"'.log",
                    "linux":{"resources":'"${3:-"{}"}"',
                             "security_context":{"namespace_options":'"$NS"'}}}}'
    reply=$(cri CreateContainer "$req") || return
    reply=${reply#*\"container_id\":\"}
    echo "${reply%%\"*}" | tee "$CRI_DIR/ids/$1"
}

# run_pod: RunPodSandbox with runtime_handler rung; prints the pod's id, kept in DIR/ids/pod.
run_pod() {
    local reply
    reply=$(cri RunPodSandbox '{"config":'"$(pod_config)"',"runtime_handler":"rung"}') || return
    reply=${reply#*\"pod_sandbox_id\":\"}
    echo "${reply%%\"*}" | tee "$CRI_DIR/ids/pod"
}

id_of() { cat "$CRI_DIR/ids/$1"; }
status_of() { cri ContainerStatus "{\"container_id\":\"$(id_of "$1")\",\"verbose\":true}"; }

# wait_exited NAME [SECONDS]: until ContainerStatus says CONTAINER_EXITED (10 s at most).
wait_exited() {
    local deadline=$((SECONDS + ${2:-10}))
    until [[ $(status_of "$1") == *'"state":"CONTAINER_EXITED"'* ]]; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# The container's ipc, pid and uts namespace links (ipc:[4026532...] ...), on one line, read by
# one ExecSync inside it.
namespaces_of() {
    local cmd='["sh","-c","echo $(readlink /proc/self/ns/ipc) $(readlink /proc/self/ns/pid) $(readlink /proc/self/ns/uts)"]'
    cri ExecSync "{\"container_id\":\"$(id_of "$1")\",\"timeout\":30,\"cmd\":$cmd}" | jq -r .stdout
}

# The state rung keeps for a container of the kubelet's: Root/<containerd namespace>/<id>.
rung_state() {
    "$RUNG" --root "$CRI_DIR/rung/k8s.io" state "$1"
}

