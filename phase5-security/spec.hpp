// spec.hpp: the typed model of config.json (runtime-spec config.md and config-linux.md).
//
// Phase 2 read four fields by hand. From phase 3 on, config.json drives everything, so this file
// models the whole document: every Linux property as a plain struct with snake_case members,
// std::optional where the spec gives absence a meaning ("if not set, the runtime MUST NOT
// change ..."), and empty strings/vectors/maps where absent and empty mean the same.
//
// parse_spec() checks each value against the spec's JSON schema (types, integer ranges, enums,
// patterns, required fields) plus the MUST rules of the prose that a parser can check, and
// reports the first problem as one line that names the JSON path:
//
//     config.json: .linux.namespaces[1].type: unknown namespace type "foo"
//
// Unknown properties are not errors (config.md, "Extensibility"): their paths are collected in
// Spec::unknown_properties so the caller can log them once.
#pragma once

#include "rung/json.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

// GNU mode (-std=gnu++20) predefines the macro `linux` as 1, which would turn Spec::linux into
// `Spec::1`. rung builds with CMAKE_CXX_EXTENSIONS OFF; say so plainly if someone does not.
#ifdef linux
#error "build rung with -std=c++20, not gnu++20: GNU mode defines the macro 'linux'"
#endif

namespace rung {

// ---- process (config.md, "Process") ----

struct ConsoleSize {
    uint64_t height = 0;
    uint64_t width = 0;
};

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> umask; // absent: keep the runtime's umask
    std::vector<uint32_t> additional_gids;
    std::string username; // Windows only
};

struct Capabilities {
    std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct Rlimit {
    std::string type; // RLIMIT_NOFILE, ...
    uint64_t hard = 0;
    uint64_t soft = 0;
};

struct IoPriority {
    std::string io_class; // "class" in JSON: IOPRIO_CLASS_RT, _BE or _IDLE
    int32_t priority = 0;
};

struct Scheduler {
    std::string policy; // SCHED_OTHER, SCHED_FIFO, ...
    int32_t nice = 0;
    int32_t priority = 0;
    std::vector<std::string> flags;
    uint64_t runtime = 0;
    uint64_t deadline = 0;
    uint64_t period = 0;
};

struct ExecCpuAffinity {
    std::string initial; // CPU lists such as "0-3,7"
    std::string final;
};

struct Process {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    User user; // absent: uid 0, gid 0
    std::vector<std::string> args;
    std::string command_line;     // Windows only
    std::vector<std::string> env; // "KEY=value"
    std::string cwd;              // absolute
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
    std::string apparmor_profile;
    std::optional<int32_t> oom_score_adj; // absent: leave oom_score_adj alone
    std::string selinux_label;
    std::optional<IoPriority> io_priority;
    std::optional<Scheduler> scheduler;
    std::optional<ExecCpuAffinity> exec_cpu_affinity;
};

// ---- root, mounts, hooks (config.md) ----

struct Root {
    std::string path; // load_spec() makes it absolute, resolved against the bundle
    bool readonly = false;
};

// A uid/gid range: containerID..+size maps to hostID..+size.
struct IdMapping {
    uint32_t container_id = 0;
    uint32_t host_id = 0;
    uint32_t size = 0;
};

struct Mount {
    std::string destination; // absolute (a deprecated relative one is taken from "/")
    std::string type;
    std::string source;
    std::vector<std::string> options;
    std::vector<IdMapping> uid_mappings, gid_mappings; // idmapped mount
};

struct Hook {
    std::string path; // absolute
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<int32_t> timeout; // seconds, >= 1
};

struct Hooks {
    std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
        poststop;
};

// ---- linux (config-linux.md) ----

struct Namespace {
    std::string type; // mount, pid, network, uts, ipc, user, cgroup, time
    std::string path; // empty: create a new one; else join this one
};

struct TimeOffset {
    int64_t secs = 0;
    uint32_t nanosecs = 0;
};

struct TimeOffsets {
    std::optional<TimeOffset> boottime, monotonic;
};

// A device node to create in the container (linux.devices).
struct Device {
    std::string type;  // c, b, u or p
    std::string path;  // absolute, inside the container
    int64_t major = 0; // required unless type is p
    int64_t minor = 0;
    std::optional<uint32_t> file_mode; // 0 to 0777
    std::optional<uint32_t> uid, gid;
};

struct NetDevice {
    std::string name; // empty: keep the host's name
};

// One entry of the device cgroup allow/deny list (linux.resources.devices).
struct DeviceRule {
    bool allow = false;
    std::string type;             // a, c or b; empty means a
    std::optional<int64_t> major; // absent: all
    std::optional<int64_t> minor; // absent: all
    std::string access;           // letters from "rwm"
};

struct Memory {
    std::optional<int64_t> limit, reservation, swap, kernel, kernel_tcp;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer, use_hierarchy, check_before_update;
};

struct Cpu {
    std::optional<uint64_t> shares;
    std::optional<int64_t> quota;
    std::optional<uint64_t> burst, period;
    std::optional<int64_t> realtime_runtime;
    std::optional<uint64_t> realtime_period;
    std::string cpus, mems;
    std::optional<int64_t> idle;
};

struct Pids {
    int64_t limit = 0;
};

struct WeightDevice {
    int64_t major = 0;
    int64_t minor = 0;
    std::optional<uint16_t> weight, leaf_weight; // at least one is set
};

struct ThrottleDevice {
    int64_t major = 0;
    int64_t minor = 0;
    uint64_t rate = 0;
};

struct BlockIo {
    std::optional<uint16_t> weight, leaf_weight;
    std::vector<WeightDevice> weight_device;
    std::vector<ThrottleDevice> throttle_read_bps_device, throttle_write_bps_device,
        throttle_read_iops_device, throttle_write_iops_device;
};

struct HugepageLimit {
    std::string page_size; // "2MB", "1GB"
    uint64_t limit = 0;
};

struct InterfacePriority {
    std::string name;
    uint32_t priority = 0;
};

struct Network {
    std::optional<uint32_t> class_id;
    std::vector<InterfacePriority> priorities;
};

struct Rdma {
    std::optional<uint32_t> hca_handles, hca_objects; // at least one is set
};

struct Resources {
    std::vector<DeviceRule> devices;
    std::optional<Memory> memory;
    std::optional<Cpu> cpu;
    std::optional<Pids> pids;
    std::optional<BlockIo> block_io;
    std::vector<HugepageLimit> hugepage_limits;
    std::optional<Network> network;
    std::map<std::string, Rdma> rdma;           // device name -> limits
    std::map<std::string, std::string> unified; // cgroup v2 file -> value
};

struct SeccompArg {
    uint32_t index = 0;
    uint64_t value = 0;
    uint64_t value_two = 0;
    std::string op; // SCMP_CMP_*
};

struct SeccompSyscall {
    std::vector<std::string> names; // at least one
    std::string action;             // SCMP_ACT_*
    std::optional<uint32_t> errno_ret;
    std::vector<SeccompArg> args;
};

struct Seccomp {
    std::string default_action; // SCMP_ACT_*
    std::optional<uint32_t> default_errno_ret;
    std::vector<std::string> architectures; // SCMP_ARCH_*
    std::vector<std::string> flags;         // SECCOMP_FILTER_FLAG_*
    std::string listener_path;
    std::string listener_metadata;
    std::vector<SeccompSyscall> syscalls;
};

struct IntelRdt {
    std::string clos_id;
    std::vector<std::string> schemata;
    std::string l3_cache_schema;
    std::string mem_bw_schema;
    bool enable_monitoring = false;
};

struct MemoryPolicy {
    std::string mode; // MPOL_*
    std::string nodes;
    std::vector<std::string> flags;
};

struct Personality {
    std::string domain; // LINUX or LINUX32
    std::vector<std::string> flags;
};

struct Linux {
    std::vector<Namespace> namespaces; // no type twice
    std::vector<IdMapping> uid_mappings, gid_mappings;
    std::optional<TimeOffsets> time_offsets;
    std::vector<Device> devices;
    std::map<std::string, NetDevice> net_devices; // host interface name -> settings
    std::optional<std::string> cgroups_path;      // absent: the runtime picks one
    std::optional<Resources> resources;
    std::optional<IntelRdt> intel_rdt;
    std::optional<MemoryPolicy> memory_policy;
    std::optional<Personality> personality;
    std::string rootfs_propagation; // private, shared, slave, unbindable; empty: unset
    std::vector<std::string> masked_paths, readonly_paths;
    std::string mount_label;
    std::map<std::string, std::string> sysctl;
    std::optional<Seccomp> seccomp;
};

// ---- the document ----

struct Spec {
    std::string oci_version; // 1.x.y
    // The schema makes process and root optional; load_spec() requires both, because rung
    // creates and starts Linux containers.
    Process process;
    Root root;
    std::string hostname;
    std::string domainname;
    std::vector<Mount> mounts; // in order
    Hooks hooks;
    std::map<std::string, std::string> annotations;
    Linux linux; // an absent section asks for nothing, like an empty one
    // Other platforms' sections: checked against their schema, kept as JSON, never applied.
    std::optional<json> freebsd, solaris, windows, vm, zos;

    // JSON paths of properties this model does not know, e.g. ".linux.resources.oomScoreAdj".
    std::vector<std::string> unknown_properties;
};

// Check and convert a parsed config.json. Throws Error naming `display_name` and the JSON path
// of the first problem. Pure: touches no file.
Spec parse_spec(const json& j, const std::string& display_name = "config.json");

// Read and parse <bundle_dir>/config.json, require process and root, and make root.path
// absolute (a relative one is relative to the bundle). Whether root.path exists is checked
// later, when the runtime uses it.
Spec load_spec(const std::string& bundle_dir);

// The property groups present in `spec` that this phase does not apply (the table in
// unapplied.cpp), each with the phase that does or "not supported": {"linux.intelRdt (not
// supported)", "linux.personality (not supported)", ...}.
std::vector<std::string> unapplied_properties(const Spec& spec);

// One warning line for unapplied_properties(), grouped by phase, or "" when there are none:
// `config.json: not applied by phase 5: linux.intelRdt (not supported)`.
std::string describe_unapplied(const Spec& spec, const std::string& display_name = "config.json");

// One warning line for Spec::unknown_properties, or "" when there are none:
// `config.json: ignoring unknown properties: .foo, .linux.bar`.
std::string describe_unknown(const Spec& spec, const std::string& display_name = "config.json");

// `rung exec --process FILE`: a process object on its own, checked exactly as config.json's
// .process is. Errors name FILE and the path, e.g. `process.json: .process.cwd: missing`.
Process load_process(const std::string& path);

// `rung update -r FILE`: an OCI LinuxResources object on its own, checked exactly as config.json's
// .linux.resources is. Errors name `display_name` and the path from the object, e.g.
// `resources.json: .memory.limit: expected an integer`; properties it does not know are added to
// `unknown`, if given.
Resources parse_resources(const json& j, const std::string& display_name,
                          std::vector<std::string>* unknown = nullptr);
// The other way: the JSON that parse_resources() reads back to `r` (state.json keeps what
// `update` applied).
json resources_to_json(const Resources& r);

// What `rung spec` writes: a config that runs busybox sh with a terminal in ./rootfs, in the
// same shape as `runc spec`, so that `rung spec && rung run ID` gives an interactive shell.
json default_config();
// Its linux.seccomp (seccomp_default.cpp): an allow list modelled on the container default.
json default_seccomp();

// The names config.json's enums take, from the tables the parser checks them against: what
// `features` reports as recognized.
struct RecognizedNames {
    std::vector<std::string> hooks;
    std::vector<std::string> seccomp_actions, seccomp_operators, seccomp_archs, seccomp_flags;
};
RecognizedNames recognized_names();

} // namespace rung
