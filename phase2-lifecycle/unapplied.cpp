// unapplied: what config.json may ask for that phase 2 does not apply yet.
//
// config.md wants an error for a property the runtime cannot apply; a tutorial phase cannot
// apply most of them yet, so create names them in one warning, with the phase that adds each.
// Each later phase drops the rows it applies: the diff of this table between two phases is what
// the later one applies.
#include "spec.hpp"

#include <string>
#include <string_view>

namespace rung {
namespace {

// A property phase 2 leaves for later, as a JSON pointer, and the phase that applies it.
struct Deferred {
    const char* pointer;
    int phase;
};

constexpr Deferred kDeferred[] = {
    {"/mounts", 3},
    {"/linux/namespaces", 3},
    {"/root/readonly", 3},
    {"/process/terminal", 3},
    {"/process/consoleSize", 3},
    {"/process/user", 3},
    {"/process/oomScoreAdj", 3},
    {"/domainname", 3},
    {"/hooks", 3},
    {"/linux/devices", 3},
    {"/linux/rootfsPropagation", 3},
    {"/linux/sysctl", 3},
    {"/linux/cgroupsPath", 4},
    {"/linux/resources", 4},
    {"/process/capabilities", 5},
    {"/process/noNewPrivileges", 5},
    {"/process/rlimits", 5},
    {"/linux/seccomp", 5},
    {"/linux/maskedPaths", 5},
    {"/linux/readonlyPaths", 5},
    {"/linux/uidMappings", 5},
    {"/linux/gidMappings", 5},
};

// null, false, 0, "", [], {}, or an object made only of those: what an absent property means.
bool is_default(const json& j) {
    if (j.is_object()) {
        for (const auto& [key, value] : j.items())
            if (!is_default(value)) return false;
        return true;
    }
    if (j.is_array() || j.is_string()) return j.empty();
    if (j.is_boolean()) return !j.get<bool>();
    if (j.is_number()) return j == 0;
    return j.is_null();
}

// "/process/user" -> "process.user", the way the spec's prose names a property.
std::string dotted(std::string_view pointer) {
    std::string out(pointer.substr(1));
    for (char& c : out)
        if (c == '/') c = '.';
    return out;
}

} // namespace

std::string not_applied(const json& config) {
    // kDeferred is ordered by phase: close a group with "(phase N)" when the phase changes.
    std::string out, group;
    int phase = 0;
    auto close_group = [&] {
        if (group.empty()) return;
        if (!out.empty()) out += "; ";
        out += group + " (phase " + std::to_string(phase) + ")";
        group.clear();
    };
    for (const auto& d : kDeferred) {
        json::json_pointer ptr(d.pointer);
        if (!config.contains(ptr) || is_default(config.at(ptr))) continue;
        if (d.phase != phase) close_group();
        phase = d.phase;
        group += (group.empty() ? "" : ", ") + dotted(d.pointer);
    }
    close_group();
    return out;
}

} // namespace rung
