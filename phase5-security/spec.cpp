// spec.cpp: config.json -> Spec, checked against the runtime-spec's JSON schema as it is read.
//
// The generic reader is rung/schema.hpp: one read(node, value) per JSON type, with the JSON path
// of every error. This file is the model's half: each struct has a fields(Obj&, T&) function that
// is only a list of its properties, with the checks of the spec's schema and prose:
//
//     o.need("path", hook.path, absolute);   // required, then checked
//     o.get("timeout", hook.timeout, at_least(1));
//
// What this phase does not apply yet is one table of its own, in unapplied.cpp.
#include "spec.hpp"

#include "rung/error.hpp"
#include "rung/schema.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <regex>
#include <set>
#include <span>
#include <string_view>
#include <utility>

namespace rung {

using namespace schema;

namespace {

// ---- the enums of the schema (defs-linux.json and the platform defs-*.json) ----

constexpr std::string_view kNamespaceTypes[] = {"mount", "pid",  "network", "uts",
                                                "ipc",   "user", "cgroup",  "time"};
constexpr std::string_view kRootfsPropagations[] = {"private", "shared", "slave", "unbindable"};
constexpr std::string_view kDeviceTypes[] = {"c", "b", "u", "p"};
constexpr std::string_view kDeviceRuleTypes[] = {"a", "c", "b"};
constexpr std::string_view kSeccompActions[] = {
    "SCMP_ACT_KILL",  "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",  "SCMP_ACT_ERRNO",        "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW", "SCMP_ACT_LOG",          "SCMP_ACT_NOTIFY"};
constexpr std::string_view kSeccompArches[] = {
    "SCMP_ARCH_X86",         "SCMP_ARCH_X86_64",      "SCMP_ARCH_X32",    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",     "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K",   "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",   "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",         "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",       "SCMP_ARCH_SH",     "SCMP_ARCH_SHEB",
    "SCMP_ARCH_PARISC",      "SCMP_ARCH_PARISC64",    "SCMP_ARCH_RISCV64"};
constexpr std::string_view kSeccompFlags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"};
constexpr std::string_view kSeccompOps[] = {"SCMP_CMP_NE",       "SCMP_CMP_LT", "SCMP_CMP_LE",
                                            "SCMP_CMP_EQ",       "SCMP_CMP_GE", "SCMP_CMP_GT",
                                            "SCMP_CMP_MASKED_EQ"};
constexpr std::string_view kIoClasses[] = {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
                                           "IOPRIO_CLASS_IDLE"};
constexpr std::string_view kSchedPolicies[] = {"SCHED_OTHER",   "SCHED_FIFO", "SCHED_RR",
                                               "SCHED_BATCH",   "SCHED_ISO",  "SCHED_IDLE",
                                               "SCHED_DEADLINE"};
constexpr std::string_view kSchedFlags[] = {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM",
                                            "SCHED_FLAG_DL_OVERRUN",    "SCHED_FLAG_KEEP_POLICY",
                                            "SCHED_FLAG_KEEP_PARAMS",   "SCHED_FLAG_UTIL_CLAMP_MIN",
                                            "SCHED_FLAG_UTIL_CLAMP_MAX"};
constexpr std::string_view kPersonalityDomains[] = {"LINUX", "LINUX32"};
constexpr std::string_view kMemoryPolicyModes[] = {
    "MPOL_DEFAULT",   "MPOL_BIND",           "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE",
    "MPOL_PREFERRED", "MPOL_PREFERRED_MANY", "MPOL_LOCAL"};
constexpr std::string_view kMemoryPolicyFlags[] = {"MPOL_F_NUMA_BALANCING", "MPOL_F_RELATIVE_NODES",
                                                   "MPOL_F_STATIC_NODES"};
constexpr std::string_view kZosNamespaceTypes[] = {"mount", "pid", "uts", "ipc"};
constexpr std::string_view kSharingModes[] = {"disable", "new", "inherit"};
constexpr std::string_view kSharingModesNoDisable[] = {"new", "inherit"};
constexpr std::string_view kRootImageFormats[] = {"raw", "qcow2", "vdi", "vmdk", "vhd"};
constexpr std::string_view kWindowsDeviceIdTypes[] = {"class"};

// ---- checks of config.json's own (schema.hpp has the generic ones) ----

void env_entry(const Node& n, const std::string& v) {
    if (v.find('=') == std::string::npos) n.fail(quote(v) + " is not of the form NAME=VALUE");
}

// config-linux.md, seccomp: only some actions return an errno; for the others an errno "MUST"
// be an error.
bool takes_errno(const std::string& action) {
    return action == "SCMP_ACT_ERRNO" || action == "SCMP_ACT_TRACE";
}

// config.md: ociVersion is SemVer, and the spec stays compatible within a major version. rung
// is written against 1.x, so it refuses other majors rather than misread them.
void supported_version(const Node& n, const std::string& v) {
    static const std::regex semver(
        R"(^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)([-+].*)?$)");
    std::smatch m;
    if (!std::regex_match(v, m, semver)) n.fail(quote(v) + " is not a SemVer version like 1.0.2");
    if (m[1] != "1") n.fail("unsupported version " + quote(v) + ", rung supports 1.x");
}

} // namespace

// ---- process (config.md) ----
//
// Each fields() is in namespace rung, the namespace of the type it reads, where schema::read()
// finds it by argument-dependent lookup; `static` keeps it in this file.

static void fields(Obj& o, ConsoleSize& c) {
    o.need("height", c.height);
    o.need("width", c.width);
}

static void fields(Obj& o, User& u) {
    o.need("uid", u.uid);
    o.need("gid", u.gid);
    o.get("umask", u.umask);
    o.get("additionalGids", u.additional_gids);
    o.get("username", u.username);
}

static void fields(Obj& o, Capabilities& c) {
    o.get("bounding", c.bounding);
    o.get("effective", c.effective);
    o.get("inheritable", c.inheritable);
    o.get("permitted", c.permitted);
    o.get("ambient", c.ambient);
}

static void fields(Obj& o, Rlimit& r) {
    o.need("type", r.type,
           matches("^RLIMIT_[A-Z]+$", "rlimit type", "expected a name like RLIMIT_NOFILE"));
    o.need("hard", r.hard);
    o.need("soft", r.soft);
}

static void fields(Obj& o, IoPriority& p) {
    o.need("class", p.io_class, one_of(kIoClasses, "I/O priority class"));
    o.get("priority", p.priority);
}

static void fields(Obj& o, Scheduler& s) {
    o.need("policy", s.policy, one_of(kSchedPolicies, "scheduler policy"));
    o.get("nice", s.nice);
    o.get("priority", s.priority);
    o.get("flags", s.flags, each(one_of(kSchedFlags, "scheduler flag")));
    o.get("runtime", s.runtime);
    o.get("deadline", s.deadline);
    o.get("period", s.period);
}

static void fields(Obj& o, ExecCpuAffinity& a) {
    auto cpu_list = matches("^[0-9, -]*$", "CPU list", "expected numbers and ranges like 0-3,7");
    o.get("initial", a.initial, cpu_list);
    o.get("final", a.final, cpu_list);
}

static void fields(Obj& o, Process& p) {
    o.get("terminal", p.terminal);
    o.get("consoleSize", p.console_size);
    o.get("user", p.user);
    o.get("args", p.args, non_empty); // config.md: at least one entry (non-Windows)
    o.get("commandLine", p.command_line);
    o.get("env", p.env, each(env_entry));
    o.need("cwd", p.cwd, absolute);
    o.get("capabilities", p.capabilities);
    o.get("rlimits", p.rlimits, unique_types("rlimit type"));
    o.get("noNewPrivileges", p.no_new_privileges);
    o.get("apparmorProfile", p.apparmor_profile);
    o.get("oomScoreAdj", p.oom_score_adj);
    o.get("selinuxLabel", p.selinux_label);
    o.get("ioPriority", p.io_priority);
    o.get("scheduler", p.scheduler);
    o.get("execCPUAffinity", p.exec_cpu_affinity);
}

// ---- root, mounts, hooks (config.md) ----

static void fields(Obj& o, Root& r) {
    o.need("path", r.path, non_empty);
    o.get("readonly", r.readonly);
}

static void fields(Obj& o, IdMapping& m) {
    o.need("containerID", m.container_id);
    o.need("hostID", m.host_id);
    o.need("size", m.size);
}

static void fields(Obj& o, Mount& m) {
    o.need("destination", m.destination, non_empty);
    o.get("type", m.type);
    o.get("source", m.source);
    o.get("options", m.options);
    // config.md: uidMappings and gidMappings of a mount MUST be given together.
    bool uids = o.get("uidMappings", m.uid_mappings);
    bool gids = o.get("gidMappings", m.gid_mappings);
    if (uids && !gids) o.fail("uidMappings", "needs gidMappings too");
    if (gids && !uids) o.fail("gidMappings", "needs uidMappings too");
    // config.md: on Linux a relative destination is deprecated but allowed, and it "MUST be
    // interpreted as relative to /". Store it that way so later phases see only absolute paths.
    if (!m.destination.starts_with('/')) m.destination.insert(0, "/");
}

static void fields(Obj& o, Hook& h) {
    o.need("path", h.path, absolute);
    o.get("args", h.args);
    o.get("env", h.env, each(env_entry));
    o.get("timeout", h.timeout, at_least(1));
}

// config.md, "POSIX-platform Hooks": each stage's name and where its list goes.
constexpr std::pair<const char*, std::vector<Hook> Hooks::*> kHookStages[] = {
    {"prestart", &Hooks::prestart},
    {"createRuntime", &Hooks::create_runtime},
    {"createContainer", &Hooks::create_container},
    {"startContainer", &Hooks::start_container},
    {"poststart", &Hooks::poststart},
    {"poststop", &Hooks::poststop},
};

static void fields(Obj& o, Hooks& h) {
    for (const auto& [name, list] : kHookStages)
        o.get(name, h.*list);
}

// ---- linux (config-linux.md) ----

static void fields(Obj& o, Namespace& ns) {
    o.need("type", ns.type, one_of(kNamespaceTypes, "namespace type"));
    o.get("path", ns.path, absolute);
}

static void fields(Obj& o, TimeOffset& t) {
    o.get("secs", t.secs);
    o.get("nanosecs", t.nanosecs);
}

static void fields(Obj& o, TimeOffsets& t) {
    o.get("boottime", t.boottime);
    o.get("monotonic", t.monotonic);
}

static void fields(Obj& o, Device& d) {
    o.need("type", d.type, one_of(kDeviceTypes, "device type"));
    o.need("path", d.path, absolute);
    // Major and minor are REQUIRED unless the type is p: a FIFO has no device number.
    if (d.type == "p") {
        o.get("major", d.major);
        o.get("minor", d.minor);
    } else {
        o.need("major", d.major);
        o.need("minor", d.minor);
    }
    o.get("fileMode", d.file_mode, at_most(0777));
    o.get("uid", d.uid);
    o.get("gid", d.gid);
}

static void fields(Obj& o, NetDevice& d) {
    o.get("name", d.name);
}

static void fields(Obj& o, DeviceRule& r) {
    o.need("allow", r.allow);
    o.get("type", r.type, one_of(kDeviceRuleTypes, "device type"));
    o.get("major", r.major);
    o.get("minor", r.minor);
    o.get("access", r.access, [](const Node& n, const std::string& v) {
        if (v.find_first_not_of("rwm") != std::string::npos) {
            n.fail("invalid device access " + quote(v) + " (expected letters from rwm)");
        }
    });
}

static void fields(Obj& o, Memory& m) {
    o.get("limit", m.limit);
    o.get("reservation", m.reservation);
    o.get("swap", m.swap);
    o.get("kernel", m.kernel);
    o.get("kernelTCP", m.kernel_tcp);
    o.get("swappiness", m.swappiness);
    o.get("disableOOMKiller", m.disable_oom_killer);
    o.get("useHierarchy", m.use_hierarchy);
    o.get("checkBeforeUpdate", m.check_before_update);
}

static void fields(Obj& o, Cpu& c) {
    o.get("shares", c.shares);
    o.get("quota", c.quota);
    o.get("burst", c.burst);
    o.get("period", c.period);
    o.get("realtimeRuntime", c.realtime_runtime);
    o.get("realtimePeriod", c.realtime_period);
    o.get("cpus", c.cpus);
    o.get("mems", c.mems);
    o.get("idle", c.idle);
}

static void fields(Obj& o, Pids& p) {
    o.need("limit", p.limit);
}

static void fields(Obj& o, WeightDevice& d) {
    o.need("major", d.major);
    o.need("minor", d.minor);
    bool weight = o.get("weight", d.weight);
    bool leaf = o.get("leafWeight", d.leaf_weight);
    if (!weight && !leaf) o.fail("needs weight or leafWeight"); // config-linux.md: MUST
}

static void fields(Obj& o, ThrottleDevice& d) {
    o.need("major", d.major);
    o.need("minor", d.minor);
    o.need("rate", d.rate);
}

static void fields(Obj& o, BlockIo& b) {
    o.get("weight", b.weight);
    o.get("leafWeight", b.leaf_weight);
    o.get("weightDevice", b.weight_device);
    o.get("throttleReadBpsDevice", b.throttle_read_bps_device);
    o.get("throttleWriteBpsDevice", b.throttle_write_bps_device);
    o.get("throttleReadIOPSDevice", b.throttle_read_iops_device);
    o.get("throttleWriteIOPSDevice", b.throttle_write_iops_device);
}

static void fields(Obj& o, HugepageLimit& h) {
    o.need("pageSize", h.page_size,
           matches("^[1-9][0-9]*[KMG]B$", "hugepage size", "expected a size like 2MB or 1GB"));
    o.need("limit", h.limit);
}

static void fields(Obj& o, InterfacePriority& p) {
    o.need("name", p.name);
    o.need("priority", p.priority);
}

static void fields(Obj& o, Network& n) {
    o.get("classID", n.class_id);
    o.get("priorities", n.priorities);
}

static void fields(Obj& o, Rdma& r) {
    bool handles = o.get("hcaHandles", r.hca_handles);
    bool objects = o.get("hcaObjects", r.hca_objects);
    if (!handles && !objects) o.fail("needs hcaHandles or hcaObjects"); // config-linux.md: MUST
}

static void fields(Obj& o, Resources& r) {
    o.get("devices", r.devices);
    o.get("memory", r.memory);
    o.get("cpu", r.cpu);
    o.get("pids", r.pids);
    o.get("blockIO", r.block_io);
    o.get("hugepageLimits", r.hugepage_limits);
    o.get("network", r.network);
    o.get("rdma", r.rdma);
    o.get("unified", r.unified);
}

static void fields(Obj& o, SeccompArg& a) {
    o.need("index", a.index);
    o.need("value", a.value);
    o.get("valueTwo", a.value_two);
    o.need("op", a.op, one_of(kSeccompOps, "seccomp operator"));
}

static void fields(Obj& o, SeccompSyscall& s) {
    o.need("names", s.names, non_empty);
    o.need("action", s.action, one_of(kSeccompActions, "seccomp action"));
    if (o.get("errnoRet", s.errno_ret) && !takes_errno(s.action)) {
        o.fail("errnoRet", s.action + " does not return an errno");
    }
    o.get("args", s.args);
}

static void fields(Obj& o, Seccomp& s) {
    o.need("defaultAction", s.default_action, one_of(kSeccompActions, "seccomp action"));
    if (o.get("defaultErrnoRet", s.default_errno_ret) && !takes_errno(s.default_action)) {
        o.fail("defaultErrnoRet", s.default_action + " does not return an errno");
    }
    o.get("architectures", s.architectures, each(one_of(kSeccompArches, "seccomp architecture")));
    o.get("flags", s.flags, each(one_of(kSeccompFlags, "seccomp flag")));
    o.get("listenerPath", s.listener_path);
    if (o.get("listenerMetadata", s.listener_metadata) && s.listener_path.empty()) {
        o.fail("listenerMetadata", "needs listenerPath"); // config-linux.md: MUST NOT be set alone
    }
    o.get("syscalls", s.syscalls);
}

static void fields(Obj& o, IntelRdt& r) {
    o.get("closID", r.clos_id);
    o.get("schemata", r.schemata);
    o.get("l3CacheSchema", r.l3_cache_schema);
    o.get("memBwSchema", r.mem_bw_schema,
          matches("^MB:[^\\n]*$", "memory bandwidth schema", "expected one line starting MB:"));
    o.get("enableMonitoring", r.enable_monitoring);
}

static void fields(Obj& o, MemoryPolicy& m) {
    o.need("mode", m.mode, one_of(kMemoryPolicyModes, "memory policy mode"));
    o.get("nodes", m.nodes);
    o.get("flags", m.flags, each(one_of(kMemoryPolicyFlags, "memory policy flag")));
}

static void fields(Obj& o, Personality& p) {
    o.need("domain", p.domain, one_of(kPersonalityDomains, "personality domain"));
    o.get("flags", p.flags);
}

static void fields(Obj& o, Linux& l) {
    o.get("namespaces", l.namespaces, unique_types("namespace type"));
    o.get("uidMappings", l.uid_mappings);
    o.get("gidMappings", l.gid_mappings);
    o.get("timeOffsets", l.time_offsets);
    o.get("devices", l.devices);
    o.get("netDevices", l.net_devices);
    o.get("cgroupsPath", l.cgroups_path);
    o.get("resources", l.resources);
    o.get("intelRdt", l.intel_rdt);
    o.get("memoryPolicy", l.memory_policy);
    o.get("personality", l.personality);
    o.get("rootfsPropagation", l.rootfs_propagation,
          one_of(kRootfsPropagations, "rootfs propagation"));
    o.get("maskedPaths", l.masked_paths, each(absolute));
    o.get("readonlyPaths", l.readonly_paths, each(absolute));
    o.get("mountLabel", l.mount_label);
    o.get("sysctl", l.sysctl);
    o.get("seccomp", l.seccomp);
}

namespace {

// ---- other platforms: checked against config-<os>.json, kept as JSON ----

using Strings = std::vector<std::string>;
using Objects = std::vector<json>;

void validate_freebsd_jail(Obj& j) {
    j.validate<std::string>({"parent", "interface"});
    j.validate<std::string>({"host", "vnet"}, one_of(kSharingModesNoDisable, "sharing mode",
                                                     "host and vnet take new or inherit"));
    j.validate<std::string>({"ip4", "ip6", "sysvmsg", "sysvsem", "sysvshm"},
                            one_of(kSharingModes, "sharing mode"));
    j.validate<Strings>({"ip4Addr", "ip6Addr", "vnetInterfaces"});
    j.validate<uint8_t>({"enforceStatfs"});
    j.validate<json>({"allow"}, shape([](Obj& a) {
                         a.validate<bool>({"setHostname", "rawSockets", "chflags", "quotas",
                                           "socketAf", "mlock", "reservedPorts", "suser"});
                         a.validate<Strings>({"mount"});
                     }));
}

void validate_freebsd(Obj& o) {
    o.validate<Objects>({"devices"}, each(shape([](Obj& d) {
                            d.validate<std::string>({"path"});
                            d.validate<uint32_t>({"mode"}, at_most(0777));
                        })));
    o.validate<json>({"jail"}, shape(validate_freebsd_jail));
}

void validate_solaris(Obj& o) {
    o.validate<std::string>({"milestone", "limitpriv", "maxShmMemory"});
    o.validate<json>({"cappedCPU"}, shape([](Obj& c) { c.validate<std::string>({"ncpus"}); }));
    o.validate<json>({"cappedMemory"}, shape([](Obj& m) {
                         m.validate<std::string>({"physical", "swap"});
                     }));
    o.validate<Objects>({"anet"}, each(shape([](Obj& a) {
                            a.validate<std::string>({"linkname", "lowerLink", "allowedAddress",
                                                     "configureAllowedAddress", "defrouter",
                                                     "macAddress", "linkProtection"});
                        })));
}

void validate_vm_hardware(Obj& h) {
    h.validate<std::string>({"deviceTree"});
    h.validate<uint32_t>({"vcpus"});
    h.validate<uint64_t>({"memory"});
    h.validate<Strings>({"dtdevs"});
    h.validate<std::vector<uint32_t>>({"irqs"});
    h.validate<Objects>({"iomems"}, each(shape([](Obj& m) {
                            m.validate<uint64_t>({"firstGFN"});
                            m.validate_required<uint64_t>({"firstMFN", "nrMFNs"});
                        })));
}

void validate_vm(Obj& o) {
    o.validate<json>({"hypervisor"}, shape([](Obj& h) {
                         h.validate_required<std::string>({"path"});
                         h.validate<Strings>({"parameters"});
                     }));
    o.validate_required<json>({"kernel"}, shape([](Obj& k) {
                                  k.validate_required<std::string>({"path"});
                                  k.validate<Strings>({"parameters"});
                                  k.validate<std::string>({"initrd"});
                              }));
    o.validate<json>({"image"}, shape([](Obj& i) {
                         i.validate_required<std::string>({"path"});
                         i.validate_required<std::string>(
                             {"format"}, one_of(kRootImageFormats, "root image format"));
                     }));
    o.validate<json>({"hwConfig"}, shape(validate_vm_hardware));
}

void validate_windows_cpu(Obj& c) {
    c.validate<uint64_t>({"count"});
    c.validate<uint16_t>({"shares", "maximum"});
    c.validate<json>({"affinity"}, shape([](Obj& a) {
                         a.validate<uint64_t>({"mask"});
                         a.validate<uint32_t>({"group"});
                     }));
}

void validate_windows_resources(Obj& r) {
    r.validate<json>({"memory"}, shape([](Obj& m) { m.validate<uint64_t>({"limit"}); }));
    r.validate<json>({"cpu"}, shape(validate_windows_cpu));
    r.validate<json>({"storage"}, shape([](Obj& s) {
                         s.validate<uint64_t>({"iops", "bps", "sandboxSize"});
                     }));
}

void validate_windows_network(Obj& n) {
    n.validate<Strings>({"endpointList", "DNSSearchList"});
    n.validate<bool>({"allowUnqualifiedDNSQuery"});
    n.validate<std::string>({"networkSharedContainerName", "networkNamespace"});
}

void validate_windows(Obj& o) {
    o.validate_required<Strings>({"layerFolders"}, non_empty);
    o.validate<Objects>({"devices"}, each(shape([](Obj& d) {
                            d.validate_required<std::string>({"id"});
                            d.validate_required<std::string>(
                                {"idType"}, one_of(kWindowsDeviceIdTypes, "device id type"));
                        })));
    o.validate<json>({"resources"}, shape(validate_windows_resources));
    o.validate<json>({"network"}, shape(validate_windows_network));
    o.validate<json>({"credentialSpec"}, any_object);
    o.validate<bool>({"servicing", "ignoreFlushesDuringBoot"});
    o.validate<json>({"hyperv"}, shape([](Obj& h) { h.validate<std::string>({"utilityVMPath"}); }));
}

void validate_zos(Obj& o) {
    o.validate<Objects>({"namespaces"}, each(shape([](Obj& ns) {
                            ns.validate_required<std::string>(
                                {"type"}, one_of(kZosNamespaceTypes, "namespace type"));
                            ns.validate<std::string>({"path"}, absolute);
                        })));
}

} // namespace

// ---- the document ----

static void fields(Obj& o, Spec& s) {
    o.need("ociVersion", s.oci_version, supported_version); // first: the rest depends on it
    o.get("process", s.process);
    o.get("root", s.root);
    o.get("hostname", s.hostname);
    o.get("domainname", s.domainname);
    o.get("mounts", s.mounts);
    o.get("hooks", s.hooks);
    o.get("annotations", s.annotations);
    o.get("linux", s.linux);
    o.get("freebsd", s.freebsd, shape(validate_freebsd));
    o.get("solaris", s.solaris, shape(validate_solaris));
    o.get("vm", s.vm, shape(validate_vm));
    o.get("windows", s.windows, shape(validate_windows));
    o.get("zos", s.zos, shape(validate_zos));
}

namespace {

// config.md, process.args: OPTIONAL in the schema (Windows may use commandLine), but on Linux at
// least one entry is REQUIRED, and rung runs every process it is given.
void require_args(const Process& p, const std::string& display_name, const std::string& path) {
    if (p.args.empty()) throw Error(display_name + ": " + path + ".args: missing");
    if (p.args[0].empty())
        throw Error(display_name + ": " + path + ".args[0]: the command must not be empty");
}

} // namespace

Spec parse_spec(const json& j, const std::string& display_name) {
    Doc doc{display_name, {}};
    Spec spec;
    read(Node{doc, j, ""}, spec);
    spec.unknown_properties = std::move(doc.unknown);
    return spec;
}

Spec load_spec(const std::string& bundle_dir) {
    namespace fs = std::filesystem;
    const std::string name = "config.json";
    json j = read_json_file((fs::path(bundle_dir) / name).string(), name);
    Spec spec = parse_spec(j, name);
    // The schema leaves both optional, but config.md makes root REQUIRED on Linux and process
    // REQUIRED for start, and rung always creates and starts.
    for (const char* key : {"process", "root"}) {
        if (!has_value(j, key)) throw Error(name + ": ." + key + ": missing");
    }
    require_args(spec.process, name, ".process");
    // config.md: a relative root.path is relative to the bundle. Resolve it now, so nothing
    // later depends on the runtime's working directory.
    std::error_code ec;
    fs::path bundle = fs::absolute(bundle_dir, ec);
    if (ec) throw Error("bundle " + quote(bundle_dir), ec.value());
    std::string root = (bundle / spec.root.path).lexically_normal().string();
    if (root.size() > 1 && root.ends_with('/')) root.pop_back();
    spec.root.path = root;
    // config.md, mounts: "Path values for bind mounts are either absolute or relative to the
    // bundle." The same resolution, for the same reason.
    for (auto& m : spec.mounts) {
        bool bind = std::any_of(m.options.begin(), m.options.end(),
                                [](const std::string& o) { return o == "bind" || o == "rbind"; });
        if (bind && !m.source.empty() && !m.source.starts_with('/'))
            m.source = (bundle / m.source).lexically_normal().string();
    }
    return spec;
}

Process load_process(const std::string& path) {
    std::string name = path.substr(path.rfind('/') + 1);
    json doc = {{"ociVersion", "1.2.0"}, {"process", read_json_file(path, name)}};
    Process process = parse_spec(doc, name).process;
    require_args(process, name, ".process");
    return process;
}

Resources parse_resources(const json& j, const std::string& display_name,
                          std::vector<std::string>* unknown) {
    Doc doc{display_name, {}};
    Resources r;
    read(Node{doc, j, ""}, r);
    if (unknown) *unknown = std::move(doc.unknown);
    return r;
}

namespace {

// resources_to_json's helpers: an unset field is left out, as config.json leaves it out.
template <class T>
void put(json& j, const char* key, const std::optional<T>& v) {
    if (v) j[key] = *v;
}

void put(json& j, const char* key, const std::string& v) {
    if (!v.empty()) j[key] = v;
}

template <class T, class F>
void put_list(json& j, const char* key, const std::vector<T>& list, F one) {
    if (list.empty()) return;
    json out = json::array();
    for (const auto& item : list)
        out.push_back(one(item));
    j[key] = out;
}

json memory_json(const Memory& m) {
    json j = json::object();
    put(j, "limit", m.limit);
    put(j, "reservation", m.reservation);
    put(j, "swap", m.swap);
    put(j, "kernel", m.kernel);
    put(j, "kernelTCP", m.kernel_tcp);
    put(j, "swappiness", m.swappiness);
    put(j, "disableOOMKiller", m.disable_oom_killer);
    put(j, "useHierarchy", m.use_hierarchy);
    put(j, "checkBeforeUpdate", m.check_before_update);
    return j;
}

json cpu_json(const Cpu& c) {
    json j = json::object();
    put(j, "shares", c.shares);
    put(j, "quota", c.quota);
    put(j, "burst", c.burst);
    put(j, "period", c.period);
    put(j, "realtimeRuntime", c.realtime_runtime);
    put(j, "realtimePeriod", c.realtime_period);
    put(j, "cpus", c.cpus);
    put(j, "mems", c.mems);
    put(j, "idle", c.idle);
    return j;
}

json block_io_json(const BlockIo& b) {
    json j = json::object();
    put(j, "weight", b.weight);
    put(j, "leafWeight", b.leaf_weight);
    put_list(j, "weightDevice", b.weight_device, [](const WeightDevice& d) {
        json e = {{"major", d.major}, {"minor", d.minor}};
        put(e, "weight", d.weight);
        put(e, "leafWeight", d.leaf_weight);
        return e;
    });
    auto throttle = [](const ThrottleDevice& d) {
        return json{{"major", d.major}, {"minor", d.minor}, {"rate", d.rate}};
    };
    put_list(j, "throttleReadBpsDevice", b.throttle_read_bps_device, throttle);
    put_list(j, "throttleWriteBpsDevice", b.throttle_write_bps_device, throttle);
    put_list(j, "throttleReadIOPSDevice", b.throttle_read_iops_device, throttle);
    put_list(j, "throttleWriteIOPSDevice", b.throttle_write_iops_device, throttle);
    return j;
}

} // namespace

json resources_to_json(const Resources& r) {
    json j = json::object();
    put_list(j, "devices", r.devices, [](const DeviceRule& d) {
        json e = {{"allow", d.allow}};
        put(e, "type", d.type);
        put(e, "major", d.major);
        put(e, "minor", d.minor);
        put(e, "access", d.access);
        return e;
    });
    if (r.memory) j["memory"] = memory_json(*r.memory);
    if (r.cpu) j["cpu"] = cpu_json(*r.cpu);
    if (r.pids) j["pids"] = {{"limit", r.pids->limit}};
    if (r.block_io) j["blockIO"] = block_io_json(*r.block_io);
    put_list(j, "hugepageLimits", r.hugepage_limits, [](const HugepageLimit& h) {
        return json{{"pageSize", h.page_size}, {"limit", h.limit}};
    });
    if (r.network) {
        json n = json::object();
        put(n, "classID", r.network->class_id);
        put_list(n, "priorities", r.network->priorities, [](const InterfacePriority& p) {
            return json{{"name", p.name}, {"priority", p.priority}};
        });
        j["network"] = n;
    }
    for (const auto& [name, rdma] : r.rdma) {
        json e = json::object();
        put(e, "hcaHandles", rdma.hca_handles);
        put(e, "hcaObjects", rdma.hca_objects);
        j["rdma"][name] = e;
    }
    if (!r.unified.empty()) j["unified"] = r.unified;
    return j;
}

json default_config() {
    auto mount = [](const char* dest, const char* type, const char* source,
                    std::vector<std::string> options) {
        return json{
            {"destination", dest}, {"type", type}, {"source", source}, {"options", options}};
    };
    json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    return {{"ociVersion", "1.2.0"},
            {"process",
             {{"terminal", true},
              {"user", {{"uid", 0}, {"gid", 0}}},
              {"args", {"sh"}},
              {"env",
               {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"}},
              {"cwd", "/"},
              {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
              {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
              {"noNewPrivileges", true}}},
            {"root", {{"path", "rootfs"}, {"readonly", true}}},
            {"hostname", "rung"},
            {"mounts",
             {mount("/proc", "proc", "proc", {}),
              mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
              mount("/dev/pts", "devpts", "devpts",
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
              mount("/dev/shm", "tmpfs", "shm",
                    {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
              mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
              mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
              mount("/sys/fs/cgroup", "cgroup", "cgroup",
                    {"nosuid", "noexec", "nodev", "relatime", "ro"})}},
            {"linux",
             {{"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
              {"namespaces",
               {{{"type", "pid"}},
                {{"type", "network"}},
                {{"type", "ipc"}},
                {{"type", "uts"}},
                {{"type", "mount"}},
                {{"type", "cgroup"}}}},
              {"maskedPaths",
               {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                "/proc/scsi"}},
              {"readonlyPaths",
               {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
              {"seccomp", default_seccomp()}}}};
}

RecognizedNames recognized_names() {
    auto names = [](const auto& table) {
        return std::vector<std::string>(begin(table), end(table));
    };
    RecognizedNames r;
    for (const auto& stage : kHookStages)
        r.hooks.emplace_back(stage.first);
    r.seccomp_actions = names(kSeccompActions);
    r.seccomp_operators = names(kSeccompOps);
    r.seccomp_archs = names(kSeccompArches);
    r.seccomp_flags = names(kSeccompFlags);
    return r;
}

} // namespace rung
