// spec.cpp: config.json -> Spec, checked against the runtime-spec's JSON schema as it is read.
//
// How the parser is built: one overloaded read(node, value) per JSON type does the type and
// range checks, and every Node carries its JSON path, so any error can name the place. Each
// struct then has a fields(Obj&, T&) function that is only a list of its properties:
//
//     o.need("path", hook.path, absolute);   // required, then checked
//     o.get("timeout", hook.timeout, at_least(1));
//
// Obj remembers which keys were asked for; the rest are unknown properties, collected for one
// warning line (config.md, "Extensibility": runtimes MUST ignore them, MAY log them).
#include "spec.hpp"

#include "rung/error.hpp"

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
namespace {

// ---- the enums of the schema (defs-linux.json and the platform defs-*.json) ----

using Names = std::span<const std::string_view>;

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

// ---- where we are in the document ----

// The document being read: its name for messages and the unknown properties found so far.
struct Doc {
    std::string name;
    std::vector<std::string> unknown;
};

// jq syntax, so a path from a message can be pasted into jq: .a.b[2]["io.x-y"].
std::string child_path(const std::string& parent, const std::string& key) {
    auto word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
    bool plain = !key.empty() && !std::isdigit(static_cast<unsigned char>(key[0])) &&
                 std::all_of(key.begin(), key.end(), word);
    if (plain) return parent + "." + key;
    return (parent.empty() ? "." : parent) + "[" + quote(key) + "]";
}

[[noreturn]] void fail_at(const Doc& doc, const std::string& path, const std::string& msg) {
    throw Error(doc.name + ": " + (path.empty() ? "." : path) + ": " + msg);
}

// Absent and null are the same: Go's encoding/json writes nil slices and maps as null, and Go
// runtimes read them back as absent, so engines may send them.
bool has_value(const json& object, const std::string& key) {
    auto it = object.find(key);
    return it != object.end() && !it->is_null();
}

// One JSON value and its path.
struct Node {
    Doc& doc;
    const json& j;
    std::string path;

    [[noreturn]] void fail(const std::string& msg) const { fail_at(doc, path, msg); }
    Node at(size_t i) const { return {doc, j[i], path + "[" + std::to_string(i) + "]"}; }
    Node at(const std::string& key, const json& value) const {
        return {doc, value, child_path(path, key)};
    }
};

// ---- one read() per JSON type ----

void read(const Node& n, bool& out) {
    if (!n.j.is_boolean()) n.fail("expected a boolean");
    out = n.j.get<bool>();
}

void read(const Node& n, std::string& out) {
    if (!n.j.is_string()) n.fail("expected a string");
    out = n.j.get<std::string>();
}

// The platform sections rung does not model are kept as JSON; a check validates them.
void read(const Node& n, json& out) {
    out = n.j;
}

// defs.json's int32, uint32, uint64...: a fraction or a value out of range is an error, never
// silently wrapped (a uid of -1 must not become 4294967295).
template <std::integral T>
void read(const Node& n, T& out) {
    using limits = std::numeric_limits<T>;
    const std::string name =
        (limits::is_signed ? "int" : "uint") + std::to_string(limits::digits + limits::is_signed);
    if (!n.j.is_number_integer())
        n.fail((limits::is_signed ? "expected an " : "expected a ") + name);
    const bool is_unsigned = n.j.is_number_unsigned();
    const uint64_t u = is_unsigned ? n.j.get<uint64_t>() : 0;
    const int64_t s = is_unsigned ? 0 : n.j.get<int64_t>();
    if (is_unsigned ? !std::in_range<T>(u) : !std::in_range<T>(s)) {
        n.fail(n.j.dump() + " is out of range for " + name + " (" + std::to_string(limits::min()) +
               " to " + std::to_string(limits::max()) + ")");
    }
    out = is_unsigned ? static_cast<T>(u) : static_cast<T>(s);
}

template <class T>
void read(const Node& n, std::vector<T>& out) {
    if (!n.j.is_array()) n.fail("expected an array");
    out.resize(n.j.size());
    for (size_t i = 0; i < out.size(); ++i)
        read(n.at(i), out[i]);
}

template <class T>
void read(const Node& n, std::map<std::string, T>& out) {
    if (!n.j.is_object()) n.fail("expected an object");
    for (const auto& [key, value] : n.j.items()) {
        if (key.empty()) n.fail("empty key"); // config.md, annotations: keys MUST NOT be empty
        read(n.at(key, value), out[key]);
    }
}

template <class T>
void read(const Node& n, std::optional<T>& out) {
    read(n, out.emplace());
}

class Obj;

// A model struct: an object whose fields(Obj&, T&) lists its properties.
template <class T>
void read(const Node& n, T& out);

// Checks run on a value just read; the value of an optional is passed unwrapped.
template <class T>
const T& value_of(const T& v) {
    return v;
}
template <class T>
const T& value_of(const std::optional<T>& v) {
    return *v;
}

struct NoCheck {
    template <class T>
    void operator()(const Node&, const T&) const {}
};

// An object being read. It remembers which keys the parser asked for: finish() lists the rest
// as unknown properties.
class Obj {
public:
    explicit Obj(const Node& n) : n_(n) {
        if (!n.j.is_object()) n.fail("expected an object");
    }

    // Read `key` into `out` if it is present, then run `check(node, value)`. Returns whether
    // the key was present; an absent key leaves `out` as it was.
    template <class T, class Check = NoCheck>
    bool get(const std::string& key, T& out, Check check = {}) {
        seen_.insert(key);
        if (!has_value(n_.j, key)) return false;
        Node child = n_.at(key, n_.j.at(key));
        read(child, out);
        check(child, value_of(out));
        return true;
    }

    template <class T, class Check = NoCheck>
    void need(const std::string& key, T& out, Check check = {}) {
        if (!get(key, out, check)) fail(key, "missing");
    }

    // For sections rung keeps only as JSON: check each key as a T and throw the value away.
    template <class T, class Check = NoCheck>
    void validate(std::initializer_list<const char*> keys, Check check = {}) {
        for (const char* key : keys) {
            T ignored{};
            get(key, ignored, check);
        }
    }
    template <class T, class Check = NoCheck>
    void validate_required(std::initializer_list<const char*> keys, Check check = {}) {
        for (const char* key : keys) {
            T ignored{};
            need(key, ignored, check);
        }
    }

    [[noreturn]] void fail(const std::string& key, const std::string& msg) const {
        fail_at(n_.doc, child_path(n_.path, key), msg);
    }
    [[noreturn]] void fail(const std::string& msg) const { n_.fail(msg); }

    void finish() {
        for (const auto& [key, value] : n_.j.items()) {
            if (!seen_.contains(key)) n_.doc.unknown.push_back(child_path(n_.path, key));
        }
    }

private:
    Node n_;
    std::set<std::string> seen_;
};

template <class T>
void read(const Node& n, T& out) {
    Obj o(n);
    fields(o, out);
    o.finish();
}

// ---- checks: the schema's enums and patterns, and the MUSTs of the prose ----

auto one_of(Names allowed, std::string what, std::string hint = {}) {
    return [=](const Node& n, const std::string& v) {
        if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return;
        n.fail("unknown " + what + " " + quote(v) + (hint.empty() ? "" : " (" + hint + ")"));
    };
}

// `pattern` is the schema's own, so the two can be compared by eye.
auto matches(const char* pattern, std::string what, std::string hint) {
    return [re = std::regex(pattern), what, hint](const Node& n, const std::string& v) {
        if (!std::regex_match(v, re))
            n.fail("invalid " + what + " " + quote(v) + " (" + hint + ")");
    };
}

// Apply `check` to each element of an array.
template <class Check>
auto each(Check check) {
    return [=](const Node& n, const auto& values) {
        for (size_t i = 0; i < values.size(); ++i)
            check(n.at(i), values[i]);
    };
}

auto at_least(int64_t min) {
    return [=](const Node& n, int64_t v) {
        if (v < min) n.fail("must be at least " + std::to_string(min));
    };
}

auto at_most(uint64_t max) {
    return [=](const Node& n, uint64_t v) {
        if (v > max) n.fail("must be at most " + std::to_string(max));
    };
}

constexpr auto non_empty = [](const Node& n, const auto& v) {
    if (v.empty()) n.fail("must not be empty");
};

void absolute(const Node& n, const std::string& v) {
    if (!v.starts_with('/')) n.fail(quote(v) + " is not an absolute path");
}

void env_entry(const Node& n, const std::string& v) {
    if (v.find('=') == std::string::npos) n.fail(quote(v) + " is not of the form NAME=VALUE");
}

// config.md (rlimits) and config-linux.md (namespaces): a type listed twice MUST be an error.
auto unique_types(std::string what) {
    return [=](const Node& n, const auto& items) {
        std::set<std::string> seen;
        for (size_t i = 0; i < items.size(); ++i) {
            if (!seen.insert(items[i].type).second) {
                n.at(i).fail("duplicate " + what + " " + quote(items[i].type));
            }
        }
    };
}

// Validate a section kept as JSON with `f(Obj&)`, which lists its properties.
template <class F>
auto shape(F f) {
    return [=](const Node& n, const json&) {
        Obj o(n);
        f(o);
        o.finish();
    };
}

// A free-form object (windows.credentialSpec): any properties, none unknown.
void any_object(const Node& n, const json& v) {
    if (!v.is_object()) n.fail("expected an object");
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

// ---- process (config.md) ----

void fields(Obj& o, ConsoleSize& c) {
    o.need("height", c.height);
    o.need("width", c.width);
}

void fields(Obj& o, User& u) {
    o.need("uid", u.uid);
    o.need("gid", u.gid);
    o.get("umask", u.umask);
    o.get("additionalGids", u.additional_gids);
    o.get("username", u.username);
}

void fields(Obj& o, Capabilities& c) {
    o.get("bounding", c.bounding);
    o.get("effective", c.effective);
    o.get("inheritable", c.inheritable);
    o.get("permitted", c.permitted);
    o.get("ambient", c.ambient);
}

void fields(Obj& o, Rlimit& r) {
    o.need("type", r.type,
           matches("^RLIMIT_[A-Z]+$", "rlimit type", "expected a name like RLIMIT_NOFILE"));
    o.need("hard", r.hard);
    o.need("soft", r.soft);
}

void fields(Obj& o, IoPriority& p) {
    o.need("class", p.io_class, one_of(kIoClasses, "I/O priority class"));
    o.get("priority", p.priority);
}

void fields(Obj& o, Scheduler& s) {
    o.need("policy", s.policy, one_of(kSchedPolicies, "scheduler policy"));
    o.get("nice", s.nice);
    o.get("priority", s.priority);
    o.get("flags", s.flags, each(one_of(kSchedFlags, "scheduler flag")));
    o.get("runtime", s.runtime);
    o.get("deadline", s.deadline);
    o.get("period", s.period);
}

void fields(Obj& o, ExecCpuAffinity& a) {
    auto cpu_list = matches("^[0-9, -]*$", "CPU list", "expected numbers and ranges like 0-3,7");
    o.get("initial", a.initial, cpu_list);
    o.get("final", a.final, cpu_list);
}

void fields(Obj& o, Process& p) {
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

void fields(Obj& o, Root& r) {
    o.need("path", r.path, non_empty);
    o.get("readonly", r.readonly);
}

void fields(Obj& o, IdMapping& m) {
    o.need("containerID", m.container_id);
    o.need("hostID", m.host_id);
    o.need("size", m.size);
}

void fields(Obj& o, Mount& m) {
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

void fields(Obj& o, Hook& h) {
    o.need("path", h.path, absolute);
    o.get("args", h.args);
    o.get("env", h.env, each(env_entry));
    o.get("timeout", h.timeout, at_least(1));
}

void fields(Obj& o, Hooks& h) {
    o.get("prestart", h.prestart);
    o.get("createRuntime", h.create_runtime);
    o.get("createContainer", h.create_container);
    o.get("startContainer", h.start_container);
    o.get("poststart", h.poststart);
    o.get("poststop", h.poststop);
}

// ---- linux (config-linux.md) ----

void fields(Obj& o, Namespace& ns) {
    o.need("type", ns.type, one_of(kNamespaceTypes, "namespace type"));
    o.get("path", ns.path, absolute);
}

void fields(Obj& o, TimeOffset& t) {
    o.get("secs", t.secs);
    o.get("nanosecs", t.nanosecs);
}

void fields(Obj& o, TimeOffsets& t) {
    o.get("boottime", t.boottime);
    o.get("monotonic", t.monotonic);
}

void fields(Obj& o, Device& d) {
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

void fields(Obj& o, NetDevice& d) {
    o.get("name", d.name);
}

void fields(Obj& o, DeviceRule& r) {
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

void fields(Obj& o, Memory& m) {
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

void fields(Obj& o, Cpu& c) {
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

void fields(Obj& o, Pids& p) {
    o.need("limit", p.limit);
}

void fields(Obj& o, WeightDevice& d) {
    o.need("major", d.major);
    o.need("minor", d.minor);
    bool weight = o.get("weight", d.weight);
    bool leaf = o.get("leafWeight", d.leaf_weight);
    if (!weight && !leaf) o.fail("needs weight or leafWeight"); // config-linux.md: MUST
}

void fields(Obj& o, ThrottleDevice& d) {
    o.need("major", d.major);
    o.need("minor", d.minor);
    o.need("rate", d.rate);
}

void fields(Obj& o, BlockIo& b) {
    o.get("weight", b.weight);
    o.get("leafWeight", b.leaf_weight);
    o.get("weightDevice", b.weight_device);
    o.get("throttleReadBpsDevice", b.throttle_read_bps_device);
    o.get("throttleWriteBpsDevice", b.throttle_write_bps_device);
    o.get("throttleReadIOPSDevice", b.throttle_read_iops_device);
    o.get("throttleWriteIOPSDevice", b.throttle_write_iops_device);
}

void fields(Obj& o, HugepageLimit& h) {
    o.need("pageSize", h.page_size,
           matches("^[1-9][0-9]*[KMG]B$", "hugepage size", "expected a size like 2MB or 1GB"));
    o.need("limit", h.limit);
}

void fields(Obj& o, InterfacePriority& p) {
    o.need("name", p.name);
    o.need("priority", p.priority);
}

void fields(Obj& o, Network& n) {
    o.get("classID", n.class_id);
    o.get("priorities", n.priorities);
}

void fields(Obj& o, Rdma& r) {
    bool handles = o.get("hcaHandles", r.hca_handles);
    bool objects = o.get("hcaObjects", r.hca_objects);
    if (!handles && !objects) o.fail("needs hcaHandles or hcaObjects"); // config-linux.md: MUST
}

void fields(Obj& o, Resources& r) {
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

void fields(Obj& o, SeccompArg& a) {
    o.need("index", a.index);
    o.need("value", a.value);
    o.get("valueTwo", a.value_two);
    o.need("op", a.op, one_of(kSeccompOps, "seccomp operator"));
}

void fields(Obj& o, SeccompSyscall& s) {
    o.need("names", s.names, non_empty);
    o.need("action", s.action, one_of(kSeccompActions, "seccomp action"));
    if (o.get("errnoRet", s.errno_ret) && !takes_errno(s.action)) {
        o.fail("errnoRet", s.action + " does not return an errno");
    }
    o.get("args", s.args);
}

void fields(Obj& o, Seccomp& s) {
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

void fields(Obj& o, IntelRdt& r) {
    o.get("closID", r.clos_id);
    o.get("schemata", r.schemata);
    o.get("l3CacheSchema", r.l3_cache_schema);
    o.get("memBwSchema", r.mem_bw_schema,
          matches("^MB:[^\\n]*$", "memory bandwidth schema", "expected one line starting MB:"));
    o.get("enableMonitoring", r.enable_monitoring);
}

void fields(Obj& o, MemoryPolicy& m) {
    o.need("mode", m.mode, one_of(kMemoryPolicyModes, "memory policy mode"));
    o.get("nodes", m.nodes);
    o.get("flags", m.flags, each(one_of(kMemoryPolicyFlags, "memory policy flag")));
}

void fields(Obj& o, Personality& p) {
    o.need("domain", p.domain, one_of(kPersonalityDomains, "personality domain"));
    o.get("flags", p.flags);
}

void fields(Obj& o, Linux& l) {
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

// ---- the document ----

void fields(Obj& o, Spec& s) {
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

// ---- what this phase leaves undone ----

// The phase this copy of spec.cpp belongs to; later phases apply more and drop rows below.
constexpr const char* kThisPhase = "phase 3";

// A property group this phase does not apply, the phase that does (or "not supported"), and
// whether a spec uses it. Rows with the same `by` stay together: describe_unapplied() groups
// neighbours.
struct Unapplied {
    const char* property;
    const char* by;
    bool (*present)(const Spec&);
};

const Resources& resources_of(const Spec& s) {
    static const Resources none;
    return s.linux.resources ? *s.linux.resources : none;
}

// The cgroup v2 controllers phase 4 writes (the device list needs eBPF: phase 5).
bool has_cgroup_limits(const Resources& r) {
    return r.memory || r.cpu || r.pids || r.block_io || !r.hugepage_limits.empty() ||
           !r.rdma.empty() || !r.unified.empty();
}

constexpr Unapplied kUnapplied[] = {
    {"linux.resources", "phase 4",
     [](const Spec& s) { return has_cgroup_limits(resources_of(s)); }},
    {"linux.cgroupsPath", "phase 4",
     [](const Spec& s) { return s.linux.cgroups_path.has_value(); }},
    {"process.capabilities", "phase 5",
     [](const Spec& s) { return s.process.capabilities.has_value(); }},
    {"process.rlimits", "phase 5", [](const Spec& s) { return !s.process.rlimits.empty(); }},
    {"process.noNewPrivileges", "phase 5",
     [](const Spec& s) { return s.process.no_new_privileges; }},
    {"linux.seccomp", "phase 5", [](const Spec& s) { return s.linux.seccomp.has_value(); }},
    {"linux.maskedPaths", "phase 5", [](const Spec& s) { return !s.linux.masked_paths.empty(); }},
    {"linux.readonlyPaths", "phase 5",
     [](const Spec& s) { return !s.linux.readonly_paths.empty(); }},
    {"linux.uidMappings", "phase 5", [](const Spec& s) { return !s.linux.uid_mappings.empty(); }},
    {"linux.gidMappings", "phase 5", [](const Spec& s) { return !s.linux.gid_mappings.empty(); }},
    {"linux.resources.devices", "phase 5",
     [](const Spec& s) { return !resources_of(s).devices.empty(); }},
    {"process.apparmorProfile", "not supported",
     [](const Spec& s) { return !s.process.apparmor_profile.empty(); }},
    {"process.selinuxLabel", "not supported",
     [](const Spec& s) { return !s.process.selinux_label.empty(); }},
    {"process.oomScoreAdj", "not supported",
     [](const Spec& s) { return s.process.oom_score_adj.has_value(); }},
    {"process.ioPriority", "not supported",
     [](const Spec& s) { return s.process.io_priority.has_value(); }},
    {"process.scheduler", "not supported",
     [](const Spec& s) { return s.process.scheduler.has_value(); }},
    {"process.execCPUAffinity", "not supported",
     [](const Spec& s) { return s.process.exec_cpu_affinity.has_value(); }},
    {"process.commandLine", "not supported",
     [](const Spec& s) { return !s.process.command_line.empty(); }},
    {"process.user.username", "not supported",
     [](const Spec& s) { return !s.process.user.username.empty(); }},
    {"mounts[].uidMappings", "not supported",
     [](const Spec& s) {
         return std::any_of(s.mounts.begin(), s.mounts.end(),
                            [](const Mount& m) { return !m.uid_mappings.empty(); });
     }},
    {"linux.mountLabel", "not supported",
     [](const Spec& s) { return !s.linux.mount_label.empty(); }},
    {"linux.intelRdt", "not supported",
     [](const Spec& s) { return s.linux.intel_rdt.has_value(); }},
    {"linux.personality", "not supported",
     [](const Spec& s) { return s.linux.personality.has_value(); }},
    {"linux.memoryPolicy", "not supported",
     [](const Spec& s) { return s.linux.memory_policy.has_value(); }},
    {"linux.netDevices", "not supported",
     [](const Spec& s) { return !s.linux.net_devices.empty(); }},
    {"linux.timeOffsets", "not supported",
     [](const Spec& s) { return s.linux.time_offsets.has_value(); }},
    {"linux.resources.network", "not supported", // net_cls/net_prio do not exist in cgroup v2
     [](const Spec& s) { return resources_of(s).network.has_value(); }},
    {"freebsd", "not supported", [](const Spec& s) { return s.freebsd.has_value(); }},
    {"solaris", "not supported", [](const Spec& s) { return s.solaris.has_value(); }},
    {"vm", "not supported", [](const Spec& s) { return s.vm.has_value(); }},
    {"windows", "not supported", [](const Spec& s) { return s.windows.has_value(); }},
    {"zos", "not supported", [](const Spec& s) { return s.zos.has_value(); }},
};

// config.md, process.args: OPTIONAL in the schema (Windows may use commandLine), but on Linux at
// least one entry is REQUIRED, and rung runs every process it is given.
void require_args(const Process& p, const std::string& display_name, const std::string& path) {
    if (p.args.empty()) throw Error(display_name + ": " + path + ".args: missing");
    if (p.args[0].empty())
        throw Error(display_name + ": " + path + ".args[0]: the command must not be empty");
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : sep) + p;
    return out;
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

std::vector<std::string> unapplied_properties(const Spec& spec) {
    std::vector<std::string> out;
    for (const auto& u : kUnapplied) {
        if (u.present(spec)) out.push_back(std::string(u.property) + " (" + u.by + ")");
    }
    return out;
}

std::string describe_unapplied(const Spec& spec, const std::string& display_name) {
    // Group by phase, in table order: "a, b (phase 4); c (phase 5)".
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;
    for (const auto& u : kUnapplied) {
        if (!u.present(spec)) continue;
        if (groups.empty() || groups.back().first != u.by) groups.push_back({u.by, {}});
        groups.back().second.push_back(u.property);
    }
    if (groups.empty()) return "";
    std::vector<std::string> parts;
    for (const auto& [by, properties] : groups)
        parts.push_back(join(properties, ", ") + " (" + by + ")");
    return display_name + ": not applied by " + kThisPhase + ": " + join(parts, "; ");
}

std::string describe_unknown(const Spec& spec, const std::string& display_name) {
    if (spec.unknown_properties.empty()) return "";
    return display_name + ": ignoring unknown properties: " + join(spec.unknown_properties, ", ");
}

Process load_process(const std::string& path) {
    std::string name = path.substr(path.rfind('/') + 1);
    json doc = {{"ociVersion", "1.2.0"}, {"process", read_json_file(path, name)}};
    Process process = parse_spec(doc, name).process;
    require_args(process, name, ".process");
    return process;
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
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}),
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
               {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}}};
}

} // namespace rung
