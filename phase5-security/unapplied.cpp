// unapplied: what config.json may ask for that phase 5 does not apply yet.
//
// config.md wants an error for a property the runtime cannot apply; a tutorial phase cannot
// apply most of them yet, so create names them in one warning, with the phase that adds each.
// Each later phase drops the rows it applies: the diff of this table between two phases is what
// the later one applies.
#include "spec.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace rung {
namespace {

// The phase this copy of unapplied.cpp belongs to; later phases apply more and drop rows below.
constexpr const char* kThisPhase = "phase 5";

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

constexpr Unapplied kUnapplied[] = {
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

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : sep) + p;
    return out;
}

} // namespace

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

} // namespace rung
