// cgroups: where the cgroup2 hierarchy is, which cgroup the container gets, what linux.resources
// writes there, and the lifecycle of that cgroup (create, apply, freeze, kill, remove).
//
// The mapping follows config-linux.md, "Control groups", the kernel's
// Documentation/admin-guide/cgroup-v2.rst, and runc's libcontainer/cgroups/fs2 where the spec
// leaves a choice (how v1 values such as cpu shares or memory+swap become v2 files), because
// engines set resources expecting runc's result.
#include "cgroups.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <linux/magic.h>
#include <poll.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

namespace rung::cgroups {
namespace {

constexpr const char* kRule = "config-linux.md: Control groups";

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start <= s.size()) {
        size_t end = s.find(sep, start);
        if (end == std::string_view::npos) end = s.size();
        if (end > start) out.emplace_back(s.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

std::set<std::string> words(std::string_view s) {
    std::set<std::string> out;
    std::istringstream in{std::string(s)};
    for (std::string w; in >> w;)
        out.insert(w);
    return out;
}

std::string join(const std::set<std::string>& s) {
    std::string out;
    for (const auto& w : s)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return std::string(s);
}

std::optional<uint64_t> to_u64(std::string_view s) {
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

std::string magic_name(std::optional<long> magic) {
    if (!magic) return "missing";
    switch (*magic) {
    case CGROUP2_SUPER_MAGIC:
        return "cgroup2";
    case CGROUP_SUPER_MAGIC:
        return "cgroup (v1)";
    case TMPFS_MAGIC:
        return "a tmpfs";
    default:
        return "not a cgroup filesystem";
    }
}

// ---- plan_resources, one function per section ----

struct Planner {
    std::vector<Write> writes;

    void add(std::string controller, std::string file, std::string value, std::string property,
             bool if_exists = false, bool may_fail = false) {
        writes.push_back({std::move(controller), std::move(file), std::move(value),
                          "linux.resources." + property, if_exists, may_fail});
    }
};

[[noreturn]] void cannot(std::string_view property, std::string_view why) {
    throw Error("linux.resources." + std::string(property) + ": " + std::string(why));
}

// -1 is unlimited; 0 is "not set" (runc's reading: no kernel takes a zero memory limit).
std::optional<std::string> memory_value(std::optional<int64_t> v, std::string_view property) {
    if (!v || *v == 0) return std::nullopt;
    if (*v == -1) return "max";
    if (*v < 0) cannot(property, "a byte count or -1 (unlimited), not " + std::to_string(*v));
    return std::to_string(*v);
}

// config-linux.md, "Memory". OCI's swap is memory+swap (cgroup v1's memsw); v2's memory.swap.max
// is swap alone, so it gets swap - limit.
void plan_memory(Planner& p, const Memory& m) {
    if (m.kernel || m.kernel_tcp)
        cannot(m.kernel ? "memory.kernel" : "memory.kernelTCP",
               "cgroup v2 has no separate kernel memory limit (memory.max counts it)");
    if (m.swappiness) cannot("memory.swappiness", "cgroup v2 has no per-cgroup swappiness");
    if (m.disable_oom_killer.value_or(false))
        cannot("memory.disableOOMKiller",
               "cgroup v2 cannot disable the OOM killer (there is no memory.oom_control)");
    if (m.use_hierarchy && !*m.use_hierarchy)
        cannot("memory.useHierarchy", "cgroup v2 is always hierarchical");

    auto limit = memory_value(m.limit, "memory.limit");
    std::optional<std::string> swap;
    if (m.swap && *m.swap != 0) {
        if (*m.swap == -1) {
            swap = "max";
        } else if (*m.swap < 0) {
            cannot("memory.swap", "a byte count or -1 (unlimited), not " + std::to_string(*m.swap));
        } else if (!limit || *limit == "max") {
            cannot("memory.swap", "memory+swap needs a memory.limit to subtract from");
        } else if (*m.swap < *m.limit) {
            cannot("memory.swap", "memory+swap (" + std::to_string(*m.swap) +
                                      ") is below memory.limit (" + std::to_string(*m.limit) + ")");
        } else {
            swap = std::to_string(*m.swap - *m.limit);
        }
    } else if (limit && *limit == "max") {
        swap = "max"; // an unlimited memory with swap unset: both unlimited, as on cgroup v1
    }
    // Swap first: memory.max may need the room. A kernel without swap accounting has no
    // memory.swap.max, which only matters for a real limit.
    if (swap)
        p.add("memory", "memory.swap.max", *swap, "memory.swap", *swap == "max" || *swap == "0");
    if (limit) p.add("memory", "memory.max", *limit, "memory.limit");
    if (auto low = memory_value(m.reservation, "memory.reservation"))
        p.add("memory", "memory.low", *low, "memory.reservation");
}

// config-linux.md, "CPU". quota and period share cpu.max ("$MAX $PERIOD"); a burst must not
// exceed the quota, and the kernel checks that against the values in place, so the burst is
// tried before cpu.max (for a lower burst) and written again after it (for a higher one).
void plan_cpu(Planner& p, const Cpu& c) {
    if (c.realtime_runtime.value_or(0) != 0 || c.realtime_period.value_or(0) != 0)
        cannot(c.realtime_runtime ? "cpu.realtimeRuntime" : "cpu.realtimePeriod",
               "cgroup v2 has no realtime cpu controller");
    if (c.shares.value_or(0) != 0)
        p.add("cpu", "cpu.weight", std::to_string(cpu_weight(*c.shares)), "cpu.shares");
    int64_t quota = c.quota.value_or(0);
    uint64_t period = c.period.value_or(0);
    if (c.burst && quota > 0 && *c.burst > static_cast<uint64_t>(quota))
        cannot("cpu.burst", "a burst (" + std::to_string(*c.burst) + ") larger than the quota (" +
                                std::to_string(quota) + ")");
    bool sets_max = quota != 0 || period != 0;
    if (c.burst)
        p.add("cpu", "cpu.max.burst", std::to_string(*c.burst), "cpu.burst", false, sets_max);
    if (sets_max) {
        std::string max = quota > 0 ? std::to_string(quota) : "max";
        if (period != 0) max += " " + std::to_string(period);
        p.add("cpu", "cpu.max", max, quota != 0 ? "cpu.quota" : "cpu.period");
        if (c.burst) p.add("cpu", "cpu.max.burst", std::to_string(*c.burst), "cpu.burst");
    }
    if (c.idle) p.add("cpu", "cpu.idle", std::to_string(*c.idle), "cpu.idle");
    if (!c.cpus.empty()) p.add("cpuset", "cpuset.cpus", c.cpus, "cpu.cpus");
    if (!c.mems.empty()) p.add("cpuset", "cpuset.mems", c.mems, "cpu.mems");
}

std::string device(int64_t major, int64_t minor) {
    return std::to_string(major) + ":" + std::to_string(minor);
}

// config-linux.md, "Block IO": weights become io.weight, throttles io.max. A rate of 0 removes
// the limit, as writing 0 did on cgroup v1. A per-device weight needs the iocost controller
// enabled for that device (io.cost.qos); without it the kernel answers EOPNOTSUPP, and create
// fails naming blockIO.weightDevice.
void plan_block_io(Planner& p, const BlockIo& b) {
    bool leaf = b.leaf_weight ||
                std::any_of(b.weight_device.begin(), b.weight_device.end(),
                            [](const WeightDevice& d) { return d.leaf_weight.has_value(); });
    if (leaf)
        cannot("blockIO.leafWeight", "cgroup v2 has no leaf weights (a cgroup v1 CFQ feature)");
    if (b.weight.value_or(0) != 0)
        p.add("io", "io.weight", "default " + std::to_string(io_weight(*b.weight)),
              "blockIO.weight");
    for (const auto& d : b.weight_device)
        if (d.weight)
            p.add("io", "io.weight",
                  device(d.major, d.minor) + " " + std::to_string(io_weight(*d.weight)),
                  "blockIO.weightDevice");
    auto throttle = [&](const std::vector<ThrottleDevice>& list, const char* key,
                        const char* name) {
        for (const auto& d : list)
            p.add("io", "io.max",
                  device(d.major, d.minor) + " " + key + "=" +
                      (d.rate == 0 ? std::string("max") : std::to_string(d.rate)),
                  std::string("blockIO.") + name);
    };
    throttle(b.throttle_read_bps_device, "rbps", "throttleReadBpsDevice");
    throttle(b.throttle_write_bps_device, "wbps", "throttleWriteBpsDevice");
    throttle(b.throttle_read_iops_device, "riops", "throttleReadIOPSDevice");
    throttle(b.throttle_write_iops_device, "wiops", "throttleWriteIOPSDevice");
}

// The files rung itself manages: a unified entry must not move processes, kill or freeze them,
// or change the cgroup's type or delegation behind rung's back.
bool managed_by_rung(const std::string& file) {
    static const std::set<std::string> files = {"cgroup.procs", "cgroup.threads",
                                                "cgroup.kill",  "cgroup.freeze",
                                                "cgroup.type",  "cgroup.subtree_control"};
    return files.count(file) != 0;
}

void plan_unified(Planner& p, const std::map<std::string, std::string>& unified) {
    for (const auto& [file, value] : unified) {
        std::string property = "unified." + file;
        if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
            cannot(property, "a key is the name of a file in the cgroup, without a slash");
        if (managed_by_rung(file)) cannot(property, file + " is managed by rung");
        size_t dot = file.find('.');
        if (dot == std::string::npos || dot == 0)
            cannot(property, "a key is a cgroup v2 file name, <controller>.<name>");
        std::string controller = file.substr(0, dot);
        p.add(controller == "cgroup" ? "" : controller, file, value, property);
    }
}

} // namespace

std::string Hierarchy::describe() const {
    return "the cgroup v2 hierarchy at " + mount + (hybrid ? " (a hybrid host)" : "");
}

Hierarchy classify_hierarchy(std::optional<long> root_magic, std::optional<long> unified_magic) {
    if (root_magic == CGROUP2_SUPER_MAGIC) return {"/sys/fs/cgroup", false};
    if (unified_magic == CGROUP2_SUPER_MAGIC) return {"/sys/fs/cgroup/unified", true};
    throw Error("no cgroup v2 hierarchy: /sys/fs/cgroup is " + magic_name(root_magic) +
                " and /sys/fs/cgroup/unified is " + magic_name(unified_magic) +
                "; phase 4 needs cgroup2 (boot with systemd.unified_cgroup_hierarchy=1, or mount "
                "it: mount -t cgroup2 none /sys/fs/cgroup)");
}

std::string own_cgroup(std::string_view proc_pid_cgroup) {
    for (const auto& line : split(proc_pid_cgroup, '\n'))
        if (line.starts_with("0::")) return line.substr(3);
    throw Error("/proc/self/cgroup has no cgroup v2 line (\"0::/path\")");
}

std::string resolve_path(const std::optional<std::string>& cgroups_path, std::string_view id,
                         std::string_view own) {
    std::string given =
        cgroups_path && !cgroups_path->empty() ? *cgroups_path : "/rung/" + std::string(id);
    std::string what = "linux.cgroupsPath " + quote(given);
    // runc --systemd-cgroup takes "slice:prefix:name"; a cgroupfs path has no colon.
    if (given.find(':') != std::string::npos)
        throw Error(what + ": looks like systemd's slice:prefix:name form; rung drives cgroupfs "
                           "only: give a path");
    std::vector<std::string> parts = split(given, '/');
    for (const auto& part : parts)
        if (part == "." || part == "..")
            throw Error(what + ": \".\" and \"..\" are not allowed in a cgroup path");
    if (parts.empty()) throw Error(what + ": names the root cgroup, which no container may take");
    std::string out;
    if (given.front() != '/') {
        // Under the parent of the runtime's own cgroup, as runc does (see the header).
        std::vector<std::string> base = split(own, '/');
        if (!base.empty()) base.pop_back();
        parts.insert(parts.begin(), base.begin(), base.end());
    }
    for (const auto& part : parts)
        out += "/" + part;
    return out;
}

uint64_t cpu_weight(uint64_t shares) {
    shares = std::clamp<uint64_t>(shares, 2, 262144); // what cgroup v1 accepts
    return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t io_weight(uint64_t blkio_weight) {
    blkio_weight = std::clamp<uint64_t>(blkio_weight, 10, 1000);
    return 1 + ((blkio_weight - 10) * 9999) / 990;
}

std::vector<Write> plan_resources(const Resources& r) {
    Planner p;
    if (r.memory) plan_memory(p, *r.memory);
    if (r.cpu) plan_cpu(p, *r.cpu);
    // config-linux.md, "PIDs": -1 (any negative) is no limit; 0 is a valid limit.
    if (r.pids)
        p.add("pids", "pids.max", r.pids->limit < 0 ? "max" : std::to_string(r.pids->limit),
              "pids.limit");
    if (r.block_io) plan_block_io(p, *r.block_io);
    // config-linux.md, "Huge page limits": the reservation limit too, where the kernel has it.
    for (const auto& h : r.hugepage_limits) {
        p.add("hugetlb", "hugetlb." + h.page_size + ".max", std::to_string(h.limit),
              "hugepageLimits");
        p.add("hugetlb", "hugetlb." + h.page_size + ".rsvd.max", std::to_string(h.limit),
              "hugepageLimits", true);
    }
    if (r.network && (r.network->class_id || !r.network->priorities.empty()))
        cannot("network", "net_cls and net_prio are cgroup v1 controllers; cgroup v2 has neither");
    for (const auto& [name, rdma] : r.rdma) {
        std::string v = name;
        if (rdma.hca_handles) v += " hca_handle=" + std::to_string(*rdma.hca_handles);
        if (rdma.hca_objects) v += " hca_object=" + std::to_string(*rdma.hca_objects);
        p.add("rdma", "rdma.max", v, "rdma." + name);
    }
    // Last: a unified entry overrides what the typed fields wrote to the same file.
    plan_unified(p, r.unified);
    return std::move(p.writes);
}

std::set<std::string> controllers_of(const std::vector<Write>& writes) {
    std::set<std::string> out;
    for (const auto& w : writes)
        if (!w.controller.empty()) out.insert(w.controller);
    return out;
}

int64_t parse_size(std::string_view text) {
    std::string s = trim(text);
    auto bad = [&](std::string_view why) -> Error {
        return Error("invalid size " + quote(text) + ": " + std::string(why));
    };
    if (s == "-1") return -1;
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
        ++i;
    std::string number = s.substr(0, i);
    if (number.empty() || number.front() == '.' || number.back() == '.' ||
        std::count(number.begin(), number.end(), '.') > 1)
        throw bad("a number of bytes, optionally with a unit (100M, 1.5g, 512k) or -1");
    std::string unit = trim(s.substr(i));
    std::transform(unit.begin(), unit.end(), unit.begin(), ::tolower);
    static const std::string prefixes = "kmgtp";
    long double scale = 1;
    if (!unit.empty() && prefixes.find(unit[0]) != std::string::npos) {
        for (size_t k = 0; k <= prefixes.find(unit[0]); ++k)
            scale *= 1024;
        unit.erase(0, 1);
        if (unit.starts_with("i")) unit.erase(0, 1);
    }
    if (unit == "b") unit.clear();
    if (!unit.empty()) throw bad("unknown unit (b, k, m, g, t, p; KiB, MB ... are binary too)");
    long double bytes = std::stold(number) * scale;
    if (bytes > static_cast<long double>(INT64_MAX)) throw bad("too large");
    return static_cast<int64_t>(bytes);
}

namespace {

template <class T>
T flag_number(const std::string& flag, const std::string& text) {
    T v{};
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || text.empty())
        throw Error(flag + ": not a number: " + quote(text));
    return v;
}

int64_t flag_size(const std::string& flag, const std::string& text) {
    return with_context(flag, [&] { return parse_size(text); });
}

// Set `to` from `from` where `from` is set.
template <class T>
void take(std::optional<T>& to, const std::optional<T>& from) {
    if (from) to = from;
}

template <class T>
void take(std::vector<T>& to, const std::vector<T>& from) {
    if (!from.empty()) to = from;
}

void take(std::string& to, const std::string& from) {
    if (!from.empty()) to = from;
}

} // namespace

Resources resources_from_flags(const UpdateFlags& f) {
    Resources r;
    auto memory = [&]() -> Memory& { return r.memory ? *r.memory : r.memory.emplace(); };
    auto cpu = [&]() -> Cpu& { return r.cpu ? *r.cpu : r.cpu.emplace(); };
    if (f.memory) memory().limit = flag_size("--memory", *f.memory);
    if (f.memory_reservation)
        memory().reservation = flag_size("--memory-reservation", *f.memory_reservation);
    if (f.memory_swap) memory().swap = flag_size("--memory-swap", *f.memory_swap);
    if (f.cpu_shares) cpu().shares = flag_number<uint64_t>("--cpu-shares", *f.cpu_shares);
    if (f.cpu_quota) cpu().quota = flag_number<int64_t>("--cpu-quota", *f.cpu_quota);
    if (f.cpu_period) cpu().period = flag_number<uint64_t>("--cpu-period", *f.cpu_period);
    if (f.cpu_burst) cpu().burst = flag_number<uint64_t>("--cpu-burst", *f.cpu_burst);
    if (f.cpu_idle) cpu().idle = flag_number<int64_t>("--cpu-idle", *f.cpu_idle);
    if (f.cpu_rt_period)
        cpu().realtime_period = flag_number<uint64_t>("--cpu-rt-period", *f.cpu_rt_period);
    if (f.cpu_rt_runtime)
        cpu().realtime_runtime = flag_number<int64_t>("--cpu-rt-runtime", *f.cpu_rt_runtime);
    if (f.cpuset_cpus) cpu().cpus = *f.cpuset_cpus;
    if (f.cpuset_mems) cpu().mems = *f.cpuset_mems;
    if (f.pids_limit) r.pids = Pids{flag_number<int64_t>("--pids-limit", *f.pids_limit)};
    if (f.blkio_weight) {
        r.block_io.emplace().weight = flag_number<uint16_t>("--blkio-weight", *f.blkio_weight);
        if (*r.block_io->weight < 10 || *r.block_io->weight > 1000)
            throw Error("--blkio-weight: from 10 to 1000, not " + *f.blkio_weight);
    }
    return r;
}

Resources merge_resources(Resources base, const Resources& change) {
    if (change.memory) {
        Memory& m = base.memory ? *base.memory : base.memory.emplace();
        const Memory& c = *change.memory;
        take(m.limit, c.limit);
        take(m.reservation, c.reservation);
        take(m.swap, c.swap);
        take(m.kernel, c.kernel);
        take(m.kernel_tcp, c.kernel_tcp);
        take(m.swappiness, c.swappiness);
        take(m.disable_oom_killer, c.disable_oom_killer);
        take(m.use_hierarchy, c.use_hierarchy);
        take(m.check_before_update, c.check_before_update);
    }
    if (change.cpu) {
        Cpu& u = base.cpu ? *base.cpu : base.cpu.emplace();
        const Cpu& c = *change.cpu;
        take(u.shares, c.shares);
        take(u.quota, c.quota);
        take(u.burst, c.burst);
        take(u.period, c.period);
        take(u.realtime_runtime, c.realtime_runtime);
        take(u.realtime_period, c.realtime_period);
        take(u.idle, c.idle);
        take(u.cpus, c.cpus);
        take(u.mems, c.mems);
    }
    take(base.pids, change.pids);
    if (change.block_io) {
        BlockIo& b = base.block_io ? *base.block_io : base.block_io.emplace();
        const BlockIo& c = *change.block_io;
        take(b.weight, c.weight);
        take(b.leaf_weight, c.leaf_weight);
        take(b.weight_device, c.weight_device);
        take(b.throttle_read_bps_device, c.throttle_read_bps_device);
        take(b.throttle_write_bps_device, c.throttle_write_bps_device);
        take(b.throttle_read_iops_device, c.throttle_read_iops_device);
        take(b.throttle_write_iops_device, c.throttle_write_iops_device);
    }
    take(base.devices, change.devices);
    take(base.hugepage_limits, change.hugepage_limits);
    take(base.network, change.network);
    for (const auto& [name, limits] : change.rdma)
        base.rdma[name] = limits;
    for (const auto& [file, value] : change.unified)
        base.unified[file] = value;
    return base;
}

std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text) {
    std::map<std::string, uint64_t> out;
    for (const auto& line : split(text, '\n')) {
        size_t sp = line.find(' ');
        if (sp == std::string::npos) continue;
        if (auto v = to_u64(trim(line.substr(sp + 1)))) out[line.substr(0, sp)] = *v;
    }
    return out;
}

std::optional<uint64_t> parse_limit(std::string_view text) {
    std::string s = trim(text);
    if (s == "max") return std::nullopt;
    if (auto v = to_u64(s)) return v;
    throw Error("not a number or \"max\": " + quote(s));
}

nlohmann::ordered_json stats_json(const Stats& s) {
    using oj = nlohmann::ordered_json;
    constexpr uint64_t kMax = UINT64_MAX; // runc's value for "max"
    auto stat = [](const std::map<std::string, uint64_t>& m, const char* key) -> uint64_t {
        auto it = m.find(key);
        return it == m.end() ? 0 : it->second;
    };
    // runc omits zero values of its omitempty fields: so does this.
    auto put = [](oj& j, const char* key, uint64_t v) {
        if (v != 0) j[key] = v;
    };

    oj usage = oj::object();
    put(usage, "total", stat(s.cpu_stat, "usage_usec") * 1000);
    usage["kernel"] = stat(s.cpu_stat, "system_usec") * 1000;
    usage["user"] = stat(s.cpu_stat, "user_usec") * 1000;
    oj throttling = oj::object();
    put(throttling, "periods", stat(s.cpu_stat, "nr_periods"));
    put(throttling, "throttledPeriods", stat(s.cpu_stat, "nr_throttled"));
    put(throttling, "throttledTime", stat(s.cpu_stat, "throttled_usec") * 1000);

    oj memory = oj::object();
    if (s.memory_current) {
        put(memory, "cache", stat(s.memory_stat, "file"));
        oj mem_usage = {{"limit", s.memory_max.value_or(kMax)}};
        put(mem_usage, "usage", *s.memory_current);
        put(mem_usage, "max", s.memory_peak.value_or(0));
        mem_usage["failcnt"] = stat(s.memory_events, "max");
        memory["usage"] = mem_usage;
        // cgroup v1 reported memory+swap: add memory to v2's swap-only numbers, as runc does.
        uint64_t swap_limit = kMax;
        if (s.memory_max && s.swap_max) swap_limit = *s.memory_max + *s.swap_max;
        oj swap = {{"limit", swap_limit}};
        put(swap, "usage", s.swap_current.value_or(0) + *s.memory_current);
        swap["failcnt"] = 0;
        memory["swap"] = swap;
        if (!s.memory_stat.empty()) memory["raw"] = s.memory_stat;
    }
    oj pids = oj::object();
    put(pids, "current", s.pids_current.value_or(0));
    if (s.pids_current) put(pids, "limit", s.pids_max.value_or(kMax));

    return oj{{"cpu", {{"usage", usage}, {"throttling", throttling}}},
              {"memory", memory},
              {"pids", pids},
              {"blkio", oj::object()},
              {"hugetlb", oj::object()}};
}

// ---- the half that does it ----

namespace {

// config-linux.md leaves finding the hierarchy to the runtime: the filesystem type tells.
std::optional<long> fs_magic(const std::string& path) {
    struct statfs st;
    try {
        sys::statfs(path, st, "cgroup v2: which hierarchy is cgroup2");
    } catch (const Error& e) {
        if (e.err() == ENOENT) return std::nullopt;
        throw;
    }
    return static_cast<long>(st.f_type);
}

// One value, one write(2): the kernel parses each write on its own, and a rejected value is
// that write's errno (EINVAL, EBUSY ...), reported with the file, the value and the cgroup.
void write_value(const std::string& dir, const std::string& file, std::string_view value) {
    std::string path = dir + "/" + file;
    unique_fd fd = sys::open(path, O_WRONLY | O_CLOEXEC, 0, kRule);
    log::trace("rung", kRule, "write(", quote(path), ", ", quote(value), ")");
    with_context("write " + quote(value) + " to " + quote(path),
                 [&] { write_full(fd.get(), value); });
}

std::string read_value(const std::string& dir, const std::string& file) {
    return read_file(dir + "/" + file);
}

// The cgroup's ancestors from the root down, without itself: "/", "/a", "/a/b" for "/a/b/c".
std::vector<std::string> ancestors(const std::string& path) {
    std::vector<std::string> out = {""};
    std::string cur;
    auto parts = split(path, '/');
    for (size_t i = 0; i + 1 < parts.size(); ++i)
        out.push_back(cur += "/" + parts[i]);
    return out;
}

// Read the flat-keyed `file` of `dir` until `done` holds for it, or `timeout` passes; returns its
// last content either way. kernfs wakes poll(2) with POLLPRI when a cgroup's events file
// changes; the read before each poll re-arms it, and the poll is capped at 100 ms all the same.
template <class Done>
std::map<std::string, uint64_t> watch_keyed(const std::string& dir, const char* file, Done done,
                                            std::chrono::milliseconds timeout) {
    std::string path = dir + "/" + file;
    unique_fd fd = open_file(path, O_RDONLY);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        char buf[4096];
        ssize_t n = ::pread(fd.get(), buf, sizeof buf - 1, 0);
        if (n == -1) throw_errno("read " + quote(path));
        auto keys = parse_flat_keyed(std::string_view(buf, static_cast<size_t>(n)));
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (done(keys) || left.count() <= 0) return keys;
        pollfd p{fd.get(), POLLPRI, 0};
        if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) == -1 &&
            errno != EINTR)
            throw_errno("poll " + quote(path));
    }
}

// Wait until cgroup.events has `key` = `want`, or throw an Error saying what it is instead.
void wait_for_event(const std::string& dir, const char* key, uint64_t want,
                    std::chrono::milliseconds timeout, std::string_view what) {
    auto events = watch_keyed(
        dir, "cgroup.events", [&](auto& keys) { return keys[key] == want; }, timeout);
    if (events[key] != want)
        throw Error("cgroup " + quote(dir) + " was not " + std::string(what) + " after " +
                    std::to_string(timeout.count()) + " ms (cgroup.events: " + key + " " +
                    std::to_string(events[key]) + ")");
}

void read_pids(const std::filesystem::path& dir, std::vector<pid_t>& out) {
    for (const auto& line : split(read_file(dir / "cgroup.procs"), '\n'))
        if (auto pid = to_u64(line)) out.push_back(static_cast<pid_t>(*pid));
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_directory(ec)) read_pids(entry.path(), out);
}

// rmdir a cgroup and its child cgroups, deepest first (the container may have made some through
// its cgroup namespace). A cgroup's files go with it: only directories are removed.
void remove_tree(const std::filesystem::path& dir) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.is_directory(ec)) remove_tree(entry.path());
    try {
        sys::rmdir(dir, "runtime.md: Delete, the cgroup");
    } catch (const Error& e) {
        if (e.err() != ENOENT) throw;
    }
}

} // namespace

Hierarchy find_hierarchy() {
    std::optional<long> root = fs_magic("/sys/fs/cgroup");
    if (root == CGROUP2_SUPER_MAGIC) return classify_hierarchy(root, std::nullopt);
    return classify_hierarchy(root, fs_magic("/sys/fs/cgroup/unified"));
}

bool clone_into_cgroup(const sys::CloneArgs& args, sys::Cloned& child) {
    try {
        child = sys::clone_process(args);
        return true;
    } catch (const Error& e) {
        if (e.err() != EINVAL && e.err() != E2BIG && e.err() != ENOSYS) throw;
        log::trace("rung", kRule, "clone3 without CLONE_INTO_CGROUP (", e.what(),
                   "): cgroup.procs instead");
    }
    sys::CloneArgs plain = args;
    plain.cgroup_fd = -1;
    child = sys::clone_process(plain);
    return false;
}

Cgroup::Cgroup(Hierarchy h, std::string path) : h_(std::move(h)), path_(std::move(path)) {}

void Cgroup::check_controllers(const std::vector<Write>& plan) const {
    std::set<std::string> available = words(read_value(h_.mount, "cgroup.controllers"));
    for (const auto& w : plan)
        if (!w.controller.empty() && !available.count(w.controller))
            throw Error(w.property + " needs the " + w.controller + " controller, which " +
                        h_.describe() + " does not have (cgroup.controllers: \"" + join(available) +
                        "\")");
}

std::vector<std::string> Cgroup::missing() const {
    std::vector<std::string> out;
    std::string cur;
    for (const auto& part : split(path_, '/'))
        if (cur += "/" + part; !path_exists(h_.mount + cur)) out.push_back(cur);
    return out;
}

std::vector<std::string> Cgroup::create(const std::set<std::string>& controllers) {
    std::vector<std::string> made;
    // Undo only what this call made: a cgroup that was there already is not ours to remove (and
    // if it was, none of its ancestors were made either).
    ScopeGuard undo([&] {
        if (!made.empty()) remove(made);
    });
    // An ancestor found (EEXIST) may be removed before the next mkdir by the delete of the
    // container that made it (its last child, it thinks): that mkdir fails with ENOENT, and the
    // walk starts again from the top. Two tries are enough for one such race; four for luck.
    for (int attempt = 1;; ++attempt) {
        try {
            std::string cur;
            for (const auto& part : split(path_, '/')) {
                cur += "/" + part;
                try {
                    sys::mkdir(h_.mount + cur, 0755, kRule);
                    made.push_back(cur);
                } catch (const Error& e) {
                    if (e.err() != EEXIST) throw;
                }
            }
            break;
        } catch (const Error& e) {
            if (e.err() != ENOENT || attempt == 4) throw;
        }
    }
    if (made.empty() || made.back() != path_) {
        // It was there: runtime-spec lets a runtime refuse a cgroup unfit for a new container.
        if (!read_value(dir(), "cgroup.procs").empty())
            throw Error("cgroup " + quote(dir()) + " already holds processes");
        if (frozen()) throw Error("cgroup " + quote(dir()) + " is frozen");
    }
    enable(controllers);
    undo.dismiss();
    return made;
}

void Cgroup::enable(const std::set<std::string>& controllers) const {
    if (controllers.empty()) return;
    for (const auto& a : ancestors(path_)) {
        std::string dir = h_.mount + a;
        std::set<std::string> enabled = words(read_value(dir, "cgroup.subtree_control"));
        std::set<std::string> available = words(read_value(dir, "cgroup.controllers"));
        for (const auto& c : controllers) {
            if (enabled.count(c)) continue;
            if (!available.count(c))
                throw Error("the " + c + " controller is not available in " + quote(dir) +
                            " (cgroup.controllers: \"" + join(available) + "\")");
            try {
                write_value(dir, "cgroup.subtree_control", "+" + c);
            } catch (Error& e) {
                // Rootless: an ancestor above the delegated cgroup is not the caller's to change.
                if (e.err() == EACCES || e.err() == EPERM)
                    throw Error("the " + c + " controller is not delegated: " + quote(dir) +
                                " does not enable it for its children (cgroup.subtree_control: \"" +
                                join(enabled) + "\"), and only its owner may");
                if (e.err() == EBUSY && !a.empty())
                    e.add_context("cannot delegate " + c + ": " + quote(dir) +
                                  " holds processes, and cgroup v2 lets only a cgroup without "
                                  "processes enable controllers for its children (the "
                                  "no-internal-processes rule): choose another cgroupsPath");
                throw;
            }
        }
    }
}

void Cgroup::apply(const std::vector<Write>& plan, bool check_before_update) const {
    enable(controllers_of(plan));
    if (check_before_update) {
        for (const auto& w : plan) {
            if (w.file != "memory.max" || w.value == "max") continue;
            uint64_t current = parse_limit(read_value(dir(), "memory.current")).value_or(0);
            if (std::stoull(w.value) < current)
                throw Error(w.property + ": " + w.value + " is below the current usage " +
                            std::to_string(current) + " (checkBeforeUpdate)");
        }
    }
    for (const auto& w : plan) {
        if (w.if_exists && !path_exists(dir() + "/" + w.file)) continue;
        try {
            write_value(dir(), w.file, w.value);
        } catch (Error& e) {
            if (w.may_fail) continue;
            if (e.err() == ENOENT)
                throw Error(w.property + ": this kernel has no " + w.file + " in " + quote(dir()));
            e.add_context(w.property);
            throw;
        }
    }
}

unique_fd Cgroup::open() const {
    return sys::open(dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                     "config-linux.md: Control groups, for clone3's CLONE_INTO_CGROUP");
}

void Cgroup::add_process(pid_t pid) const {
    write_value(dir(), "cgroup.procs", std::to_string(pid));
}

std::vector<pid_t> Cgroup::processes() const {
    std::vector<pid_t> out;
    read_pids(dir(), out);
    return out;
}

bool Cgroup::populated() const {
    return parse_flat_keyed(read_value(dir(), "cgroup.events"))["populated"] != 0;
}

bool Cgroup::frozen() const {
    return parse_flat_keyed(read_value(dir(), "cgroup.events"))["frozen"] != 0;
}

void Cgroup::freeze(std::chrono::milliseconds timeout) const {
    write_value(dir(), "cgroup.freeze", "1");
    wait_for_event(dir(), "frozen", 1, timeout, "frozen");
}

void Cgroup::thaw(std::chrono::milliseconds timeout) const {
    write_value(dir(), "cgroup.freeze", "0");
    wait_for_event(dir(), "frozen", 0, timeout, "thawed");
}

void Cgroup::kill(std::chrono::milliseconds timeout) const {
    if (!path_exists(dir())) return;
    if (frozen()) thaw(timeout);
    // A killed process needs cpu time to exit: a quota of a few ms a period on a loaded host
    // (or an emulated one) can keep a dying container populated for many seconds.
    if (path_exists(dir() + "/cpu.max") && !read_value(dir(), "cpu.max").starts_with("max"))
        write_value(dir(), "cpu.max", "max");
    if (path_exists(dir() + "/cgroup.kill")) {
        write_value(dir(), "cgroup.kill", "1");
    } else {
        // Before 5.14: what was listed may fork before its SIGKILL lands, so list again until the
        // cgroup is empty.
        auto deadline = std::chrono::steady_clock::now() + timeout;
        while (populated() && std::chrono::steady_clock::now() < deadline) {
            for (pid_t pid : processes()) {
                try {
                    sys::kill(pid, SIGKILL, "runtime.md: Delete, every process of the cgroup");
                } catch (const Error& e) {
                    if (e.err() != ESRCH) throw;
                }
            }
            ::usleep(10000);
        }
    }
    wait_for_event(dir(), "populated", 0, timeout, "empty");
}

void Cgroup::remove(const std::vector<std::string>& created) const {
    if (path_exists(dir())) remove_tree(dir());
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
        if (*it == path_) continue;
        // Another container may be using it by now (EBUSY, ENOTEMPTY), or it is gone: leave it be.
        try {
            sys::rmdir(h_.mount + *it, "runtime.md: Delete, the cgroups create made");
        } catch (const Error& e) {
            if (e.err() != EBUSY && e.err() != ENOTEMPTY && e.err() != ENOENT) throw;
        }
    }
}

Stats Cgroup::stats() const {
    Stats s;
    std::string d = dir();
    auto limit = [&](const char* file) -> std::optional<uint64_t> {
        return path_exists(d + "/" + file) ? parse_limit(read_value(d, file)) : std::nullopt;
    };
    auto keyed = [&](const char* file) -> std::map<std::string, uint64_t> {
        return path_exists(d + "/" + file) ? parse_flat_keyed(read_value(d, file))
                                           : std::map<std::string, uint64_t>{};
    };
    s.memory_current = limit("memory.current");
    s.memory_max = limit("memory.max");
    s.memory_peak = limit("memory.peak");
    s.swap_current = limit("memory.swap.current");
    s.swap_max = limit("memory.swap.max");
    s.memory_stat = keyed("memory.stat");
    s.memory_events = keyed("memory.events");
    s.pids_current = limit("pids.current");
    s.pids_max = limit("pids.max");
    s.cpu_stat = keyed("cpu.stat");
    return s;
}

std::map<std::string, uint64_t> Cgroup::memory_events() const {
    return parse_flat_keyed(read_value(dir(), "memory.events"));
}

uint64_t Cgroup::wait_for_oom(uint64_t seen, std::chrono::milliseconds timeout) const {
    return watch_keyed(
        dir(), "memory.events", [&](auto& keys) { return keys["oom_kill"] > seen; },
        timeout)["oom_kill"];
}

} // namespace rung::cgroups
