// update: runc's `update`, the one command that changes linux.resources after create
// (config-linux.md, "Control groups": the runtime MAY let them be updated).
//
//     rung update --memory 100M --pids-limit 50 ID      the flags, runc's names
//     rung update -r resources.json ID                  an OCI LinuxResources object
//     echo '{"pids":{"limit":50}}' | rung update -r - ID
//
// Like runc, rung merges what is asked onto what the container runs with, because some values
// only make sense together (OCI's swap is memory+swap; cpu.max holds quota and period), applies
// the merged whole, and keeps it in state.json for the next update.
#include "update.hpp"

#include "devices.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "state.hpp"

#include <optional>
#include <set>
#include <sstream>
#include <unistd.h>

namespace rung {
namespace {

constexpr const char* kRule = "rung: update (runc's)";

bool any_flag(const cgroups::UpdateFlags& f) {
    for (const auto* v :
         {&f.memory, &f.memory_reservation, &f.memory_swap, &f.cpu_shares, &f.cpu_quota,
          &f.cpu_period, &f.cpu_burst, &f.cpu_idle, &f.cpu_rt_period, &f.cpu_rt_runtime,
          &f.pids_limit, &f.blkio_weight, &f.cpuset_cpus, &f.cpuset_mems})
        if (v->has_value()) return true;
    return false;
}

// -r FILE or -r -: the whole document, read with the limits of any untrusted JSON.
Resources read_resources_file(const std::string& file) {
    json j;
    std::string name;
    if (file == "-") {
        name = "standard input";
        j = parse_json(read_stream(STDIN_FILENO, name), name);
    } else {
        name = file.substr(file.rfind('/') + 1);
        j = read_json_file(file, name);
    }
    std::vector<std::string> unknown;
    Resources r = parse_resources(j, name, &unknown);
    if (!unknown.empty()) {
        std::string list;
        for (const auto& u : unknown)
            list += (list.empty() ? "" : ", ") + u;
        log::warn(name + ": ignoring unknown properties: " + list);
    }
    return r;
}

// The writes that put back what the files of `plan` hold now. apply() stops at the first write
// the kernel refuses, after the ones before it took effect; update must leave the container as
// it was. A file of several lines (io.weight, io.max) takes them back one line at a time.
std::vector<cgroups::Write> current_values(const cgroups::Cgroup& cg,
                                           const std::vector<cgroups::Write>& plan) {
    std::vector<cgroups::Write> undo;
    std::set<std::string> seen;
    for (const auto& w : plan) {
        std::string path = cg.dir() + "/" + w.file;
        if (!seen.insert(w.file).second || !path_exists(path)) continue;
        std::istringstream lines(read_file(path));
        // An empty value ("" in cpuset.cpus: the parent's) is written as "\n", as echo would: a
        // write of no bytes would change nothing. No controller: the file exists, so its
        // controller is enabled, and putting values back must not try to enable anything.
        for (std::string line; std::getline(lines, line);)
            undo.push_back({"", w.file, line.empty() ? "\n" : line, w.property, true, true});
    }
    return undo;
}

} // namespace

// The values go back twice, because some files are checked against others (cpu.max.burst
// against cpu.max, memory.max against memory.swap.max): one pass in either order may be refused.
void apply_or_restore(const cgroups::Cgroup& cg, const std::vector<cgroups::Write>& plan,
                      bool check_before_update) {
    std::vector<cgroups::Write> undo = current_values(cg, plan);
    try {
        cg.apply(plan, check_before_update);
    } catch (const Error&) {
        log::trace("rung", kRule, "refused: put back the ", undo.size(), " values read before");
        try {
            cg.apply(undo);
            cg.apply(undo);
        } catch (const Error& e) {
            log::warn(std::string("update: could not restore every value: ") + e.what());
        }
        throw;
    }
}

Resources requested_resources(const UpdateOptions& opts) {
    bool flags = any_flag(opts.flags);
    Resources r;
    if (!opts.resources_file.empty()) {
        // runc ignores the flags given with -r; rung says so instead of dropping them.
        if (flags) throw Error("-r gives the resources as a whole: put the flags' values in it");
        r = read_resources_file(opts.resources_file);
    } else if (flags) {
        r = cgroups::resources_from_flags(opts.flags);
    } else {
        throw Error("nothing to update: give -r FILE (or -r -) or a resource flag such as "
                    "--memory");
    }
    // As runc: an unlimited memory with swap left out means both unlimited (cgroup v1's
    // memory+swap cannot be below the memory limit).
    if (r.memory && r.memory->limit == -1 && !r.memory->swap) r.memory->swap = -1;
    return r;
}

void update_container(const UpdateOptions& opts) {
    Resources change = requested_resources(opts);
    ContainerDir dir = ContainerDir::open(opts.root, opts.id, ContainerDir::Lock::exclusive);
    State st = dir.read_state();
    Status status = dir.status(st);
    if (status == Status::stopped)
        throw Error("container " + quote(opts.id) + " is " + status_name(status) +
                    ": update needs a created, running or paused container");
    Resources before =
        st.resources ? *st.resources : dir.read_config().linux.resources.value_or(Resources{});
    Resources after = cgroups::merge_resources(before, change);
    std::vector<cgroups::Write> plan = cgroups::plan_resources(after);
    cgroups::Cgroup cg = container_cgroup(st);
    log::trace("rung", kRule, "apply ", plan.size(), " writes to ", quote(cg.dir()));
    cg.check_controllers(plan);
    bool check = after.memory && after.memory->check_before_update.value_or(false);
    // config-linux.md, "Allowed Device Listing": new rules replace the program, compiled before
    // anything changes so that a bad rule changes nothing.
    std::optional<devices::Filter> filter;
    if (!change.devices.empty())
        filter = with_context("linux.resources.devices",
                              [&] { return devices::compile_rules(after.devices); });
    apply_or_restore(cg, plan, check);
    if (filter)
        with_context("linux.resources.devices",
                     [&] { devices::replace_program(cg.dir(), *filter); });
    st.resources = after;
    dir.write_state(st);
}

} // namespace rung
