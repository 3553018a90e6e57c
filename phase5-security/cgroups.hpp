// cgroups: the container's cgroup v2 (config-linux.md, "Control groups").
//
// Phase 4 puts every container in a cgroup of its own on the cgroup2 hierarchy and applies
// linux.resources there. The pure half of this file decides: where the hierarchy is, which
// cgroup cgroupsPath names, and which (file, value) writes a Resources object becomes. The other
// half does it: create the cgroup, enable controllers, write, freeze, kill, read stats, remove.
//
// Where it plugs into create and the destroy path:
//
//     preflight                  plan_resources() + Cgroup::check_controllers(): a resource this
//                                host cannot apply fails here, before anything exists
//     parent, before clone3      Cgroup::create(), then open() for clone3's CLONE_INTO_CGROUP,
//                                so not one instruction of the container runs outside it
//     parent, before "go"        add_process() where the kernel lacks CLONE_INTO_CGROUP
//                                (older than 5.7), then apply()
//     destroy path               kill() (thaws first), then remove()
#pragma once

#include "rung/fd.hpp"
#include "rung/json.hpp"
#include "rung/sys.hpp"
#include "spec.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace rung::cgroups {

// ---- the pure half ----

// Where cgroup2 is mounted. A unified host has it on /sys/fs/cgroup; a hybrid one has v1
// hierarchies there (on a tmpfs) and cgroup2 on /sys/fs/cgroup/unified, usually with few
// controllers, since each controller lives in one hierarchy only.
struct Hierarchy {
    std::string mount; // "/sys/fs/cgroup" or "/sys/fs/cgroup/unified"
    bool hybrid = false;
    // For messages: `the cgroup v2 hierarchy at /sys/fs/cgroup/unified (a hybrid host)`.
    std::string describe() const;
};

// From the filesystem magic numbers statfs(2) found at /sys/fs/cgroup and at
// /sys/fs/cgroup/unified (nullopt: nothing there). Throws an Error when neither is cgroup2.
Hierarchy classify_hierarchy(std::optional<long> root_magic, std::optional<long> unified_magic);

// The cgroup v2 path of a process from its /proc/PID/cgroup: the "0::/path" line.
std::string own_cgroup(std::string_view proc_pid_cgroup);

// linux.cgroupsPath as a path from the hierarchy's root ("/rung/abc"):
//  - absent: /rung/<id>;
//  - absolute: itself (runtime-spec: relative to the cgroups mount point);
//  - relative: under the parent of `own` (the runtime's own cgroup), as runc does: rung's own
//    cgroup holds processes, so the no-internal-processes rule would forbid enabling
//    controllers for a child of it.
// Components "." and ".." and systemd's "slice:prefix:name" form are errors (rung is a cgroupfs
// driver only).
std::string resolve_path(const std::optional<std::string>& cgroups_path, std::string_view id,
                         std::string_view own);

// One write into the container's cgroup.
struct Write {
    std::string controller; // the controller owning `file`; empty for core cgroup.* files
    std::string file;       // "memory.max"
    std::string value;      // "104857600"
    std::string property;   // where it comes from: "linux.resources.memory.limit"
    // Skip silently when the file does not exist: what runc does for a no-op such as an unlimited
    // swap on a kernel without swap accounting.
    bool if_exists = false;
    // Ignore a failure: a first try whose order may be wrong, repeated after the write it
    // depends on (cpu.max.burst around cpu.max).
    bool may_fail = false;
};

// linux.resources as the writes that apply it, in order (config-linux.md and the kernel's
// cgroup-v2.rst). Throws an Error naming the property for what cgroup v2 cannot do
// (disableOOMKiller, swappiness, kernel memory, realtime cpu, leaf weights, net_cls/net_prio)
// and for values that contradict each other (a swap below the limit, a burst above the quota).
// linux.resources.devices is not here: cgroup v2 filters devices with an eBPF program.
std::vector<Write> plan_resources(const Resources& r);

// The controllers a plan writes to, without the core (empty) one.
std::set<std::string> controllers_of(const std::vector<Write>& writes);

// cpu.shares (2..262144, cgroup v1) as cpu.weight (1..10000): 1 + ((shares - 2) * 9999) / 262142.
uint64_t cpu_weight(uint64_t shares);
// blkio.weight (10..1000, cgroup v1) as io.weight (1..10000), as runc converts it.
uint64_t io_weight(uint64_t blkio_weight);

// A byte count as `update --memory` takes it: "1048576", "100M", "100m", "1.5g", "512k", "2GiB",
// "10 MB" (binary units, as runc and docker read them), or "-1" for unlimited. Throws an Error
// naming the text for anything else or an overflow.
int64_t parse_size(std::string_view text);

// `update`'s flags as given on the command line, with runc's names; absent ones change nothing.
struct UpdateFlags {
    std::optional<std::string> memory, memory_reservation, memory_swap; // sizes (parse_size)
    std::optional<std::string> cpu_shares, cpu_quota, cpu_period, cpu_burst, cpu_idle;
    std::optional<std::string> cpu_rt_period, cpu_rt_runtime, pids_limit, blkio_weight;
    std::optional<std::string> cpuset_cpus, cpuset_mems;
};
// The flags as a Resources holding only what they set. Throws an Error naming the flag, such as
// `--memory: invalid size "12Q": ...`.
Resources resources_from_flags(const UpdateFlags& f);
// `base` (what the container runs with) with every field `change` sets replaced: what update
// applies, and keeps for the next update. Lists (devices, throttles, hugepage limits) are
// replaced whole when `change` has any; unified keys one by one.
Resources merge_resources(Resources base, const Resources& change);

// A flat-keyed cgroup file ("key value" lines: memory.stat, cpu.stat, memory.events).
std::map<std::string, uint64_t> parse_flat_keyed(std::string_view text);
// A single-value file: a number, or "max" (nullopt).
std::optional<uint64_t> parse_limit(std::string_view text);

// What `events --stats` reports, as read from the cgroup.
struct Stats {
    std::optional<uint64_t> memory_current, memory_max, memory_peak, swap_current, swap_max;
    std::map<std::string, uint64_t> memory_stat, memory_events;
    std::optional<uint64_t> pids_current, pids_max;
    std::map<std::string, uint64_t> cpu_stat;
};
// The "data" of runc's stats event: {"cpu": {"usage": {"total": ns, ...}, "throttling": ...},
// "memory": {"usage": {...}, "swap": {...}, "raw": memory.stat}, "pids": {...}}. Like runc,
// swap is reported as memory+swap (cgroup v1's meaning) and "max" as 2^64-1.
nlohmann::ordered_json stats_json(const Stats& s);

// ---- the half that does it ----

// statfs /sys/fs/cgroup and /sys/fs/cgroup/unified.
Hierarchy find_hierarchy();

// clone3 straight into the cgroup of `args.cgroup_fd` (CLONE_INTO_CGROUP, Linux 5.7), so that
// the child's first instruction runs in it: init for create, the process for exec. A kernel
// without it refuses the flag (EINVAL) or the longer clone_args (E2BIG), and one without clone3
// says ENOSYS: then the child is cloned where the caller is, and must be moved in through
// cgroup.procs before it runs a step of the container. Returns whether it started in the cgroup.
bool clone_into_cgroup(const sys::CloneArgs& args, sys::Cloned& child);

class Cgroup {
public:
    // The cgroup at `path` (from resolve_path) on `h`; nothing is touched yet.
    Cgroup(Hierarchy h, std::string path);

    const std::string& path() const { return path_; }
    // Its directory: mount + path.
    std::string dir() const { return h_.mount + path_; }

    // Every controller the plan needs is in the root's cgroup.controllers, or an Error names the
    // first one missing, the property that needs it, and the hierarchy. For preflight: nothing
    // exists yet.
    void check_controllers(const std::vector<Write>& plan) const;

    // The directories create() would make now: the cgroup and its missing ancestors, top-most
    // first. Recorded before create() runs, so that a runtime killed halfway leaves a record.
    std::vector<std::string> missing() const;

    // mkdir the cgroup and whatever ancestors are missing, and enable `controllers` in each
    // ancestor's cgroup.subtree_control. Returns the directories it made, top-most first: the
    // caller keeps them (state.json) so that remove() takes away exactly those. Refuses a cgroup
    // that exists with processes in it (config-linux.md: a runtime MAY check the cgroup is fit,
    // and a non-empty one is not, for create).
    std::vector<std::string> create(const std::set<std::string>& controllers);

    // Enable `controllers` for the cgroup: in the subtree_control of each ancestor, top-down.
    // An ancestor other than the root that holds processes cannot delegate a controller (the
    // no-internal-processes rule): that is an Error which says so.
    void enable(const std::set<std::string>& controllers) const;

    // Apply a plan: enable what it needs, then write in order. For update as for create.
    // `check_before_update`: refuse a memory limit below the current usage
    // (linux.resources.memory.checkBeforeUpdate; v2 would OOM-kill instead).
    void apply(const std::vector<Write>& plan, bool check_before_update = false) const;

    // An fd of the cgroup directory, for clone3(CLONE_INTO_CGROUP) (O_PATH will not do).
    unique_fd open() const;
    // Move `pid` in through cgroup.procs: the fallback where clone3 cannot place it.
    void add_process(pid_t pid) const;

    // Every process in the cgroup and below it (cgroup.procs of each), for ps and kill --all.
    std::vector<pid_t> processes() const;
    // cgroup.events: some process is in the cgroup or below ("populated 1").
    bool populated() const;
    // cgroup.events "frozen 1": the state `paused`.
    bool frozen() const;

    // pause/resume: write cgroup.freeze and wait until cgroup.events says it is done.
    void freeze(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    void thaw(std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

    // Kill every process in the cgroup and below, then wait until it is empty: thaw (a frozen
    // cgroup would keep its processes stopped), lift its cpu quota (the dying need cpu time),
    // then cgroup.kill (5.14), or, on an older kernel, SIGKILL each process of cgroup.procs until
    // none is left.
    void kill(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

    // rmdir the cgroup (and any child cgroups the container made), then the ancestors in
    // `created` (from create()) that are empty, deepest first. A cgroup that is gone already is
    // fine: remove() is part of the one destroy path, which may run twice.
    void remove(const std::vector<std::string>& created) const;

    // For `events --stats`; files of a controller not enabled are left out.
    Stats stats() const;
    // memory.events, for `events` to report an OOM when oom_kill grows.
    std::map<std::string, uint64_t> memory_events() const;
    // Block until memory.events counts more OOM kills than `seen`, or `timeout` passes; returns
    // the count (`seen` or less on a timeout). `events` calls it in a loop, printing an "oom"
    // event per increase, and its stats between calls.
    uint64_t wait_for_oom(uint64_t seen, std::chrono::milliseconds timeout) const;

private:
    Hierarchy h_;
    std::string path_;
};

} // namespace rung::cgroups
