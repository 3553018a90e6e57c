// capabilities: process.capabilities, through libcap.
//
// libcap knows the names (cap_from_name, cap_to_name) and writes the three sets of capset(2) in
// one call (cap_set_proc); the bounding and ambient sets are prctl(2)s of their own.
#include "capabilities.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <memory>
#include <sys/capability.h>
#include <sys/prctl.h>

namespace rung {
namespace {

// libcap's name of a capability number, as config.json spells them: "CAP_CHOWN".
std::string capability_name(int cap) {
    std::unique_ptr<char, int (*)(void*)> name(::cap_to_name(static_cast<cap_value_t>(cap)),
                                               ::cap_free);
    std::string out = name ? name.get() : "capability " + std::to_string(cap);
    std::transform(out.begin(), out.end(), out.begin(), ::toupper);
    return out;
}

bool contains(const std::vector<int>& set, int cap) {
    return std::find(set.begin(), set.end(), cap) != set.end();
}

// One set of names -> numbers. Unknown names throw; what cannot be granted here is skipped.
std::vector<int> resolve_set(const std::vector<std::string>& names, const std::string& path,
                             std::vector<std::string>* skipped) {
    std::vector<int> out;
    for (size_t i = 0; i < names.size(); ++i) {
        std::string at = path + "[" + std::to_string(i) + "]";
        auto cap = capability_number(names[i]);
        if (!cap) throw Error(at + ": unknown capability " + quote(names[i]));
        std::string why;
        if (*cap >= static_cast<int>(::cap_max_bits()))
            why = "this kernel has no such capability";
        else if (::cap_get_bound(static_cast<cap_value_t>(*cap)) != 1)
            why = "the runtime's own bounding set lacks it";
        if (!why.empty()) {
            if (skipped)
                skipped->push_back(at + ": " + names[i] + " cannot be granted (" + why + ")");
            continue;
        }
        if (!contains(out, *cap)) out.push_back(*cap);
    }
    return out;
}

std::string names_of(const std::vector<int>& set) {
    std::string out;
    for (int cap : set)
        out += (out.empty() ? "" : ",") + capability_name(cap);
    return out;
}

} // namespace

std::optional<int> capability_number(std::string_view name) {
    // cap_from_name also takes "cap_chown", "chown" and numbers; config.md names are CAP_ names.
    if (!name.starts_with("CAP_") || !std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        }))
        return std::nullopt;
    cap_value_t cap;
    if (::cap_from_name(std::string(name).c_str(), &cap) != 0) return std::nullopt;
    return static_cast<int>(cap);
}

CapSets resolve_capabilities(const std::optional<Capabilities>& caps, const std::string& where,
                             std::vector<std::string>* skipped) {
    CapSets out;
    if (!caps) return out;
    std::string path = where + ".capabilities.";
    out.bounding = resolve_set(caps->bounding, path + "bounding", skipped);
    out.effective = resolve_set(caps->effective, path + "effective", skipped);
    out.inheritable = resolve_set(caps->inheritable, path + "inheritable", skipped);
    out.permitted = resolve_set(caps->permitted, path + "permitted", skipped);
    // capset(2): the effective set is a subset of the permitted one (EPERM otherwise).
    for (size_t i = 0; i < caps->effective.size(); ++i) {
        auto cap = capability_number(caps->effective[i]);
        if (contains(out.effective, *cap) && !contains(out.permitted, *cap))
            throw Error(path + "effective[" + std::to_string(i) + "]: " + caps->effective[i] +
                        " is not in permitted: only a permitted capability can be effective");
    }
    // capabilities(7): an ambient capability must be both permitted and inheritable, else
    // PR_CAP_AMBIENT_RAISE fails. runc warns and goes on; so does rung.
    for (int cap : resolve_set(caps->ambient, path + "ambient", skipped)) {
        if (contains(out.permitted, cap) && contains(out.inheritable, cap))
            out.ambient.push_back(cap);
        else if (skipped)
            skipped->push_back(path + "ambient: " + capability_name(cap) +
                               " cannot be raised (it must be permitted and inheritable too)");
    }
    return out;
}

void drop_bounding_set(const CapSets& caps) {
    log::trace(log::actor(), "config.md: process.capabilities.bounding", "keep [",
               names_of(caps.bounding), "]");
    for (int cap = 0; cap < static_cast<int>(::cap_max_bits()); ++cap) {
        if (contains(caps.bounding, cap) || ::cap_get_bound(static_cast<cap_value_t>(cap)) != 1)
            continue;
        std::string name = capability_name(cap);
        with_context("drop " + name + " from the bounding set", [&] {
            sys::prctl(PR_CAPBSET_DROP, static_cast<unsigned long>(cap), 0,
                       "config.md: process.capabilities.bounding, drop " + name);
        });
    }
}

void keep_capabilities_across_setuid() {
    sys::prctl(PR_SET_KEEPCAPS, 1, 0,
               "config.md: process.capabilities, kept across the change of process.user");
}

void set_capabilities(const CapSets& caps) {
    log::trace(log::actor(), "config.md: process.capabilities",
               "capset(effective=", names_of(caps.effective),
               " permitted=", names_of(caps.permitted), " inheritable=", names_of(caps.inheritable),
               ")");
    std::unique_ptr<struct _cap_struct, int (*)(void*)> state(::cap_init(), ::cap_free);
    if (!state) throw_errno("capabilities: cap_init");
    auto set = [&](cap_flag_t flag, const std::vector<int>& list) {
        std::vector<cap_value_t> values(list.begin(), list.end());
        if (!values.empty() && ::cap_set_flag(state.get(), flag, static_cast<int>(values.size()),
                                              values.data(), CAP_SET) != 0)
            throw_errno("capabilities: cap_set_flag");
    };
    set(CAP_EFFECTIVE, caps.effective);
    set(CAP_PERMITTED, caps.permitted);
    set(CAP_INHERITABLE, caps.inheritable);
    if (::cap_set_proc(state.get()) != 0) throw_errno("capset (process.capabilities)");
}

void raise_ambient_capabilities(const CapSets& caps) {
    constexpr const char* rule = "config.md: process.capabilities.ambient";
    sys::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, rule);
    for (int cap : caps.ambient)
        with_context("raise ambient " + capability_name(cap), [&] {
            sys::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, static_cast<unsigned long>(cap),
                       std::string(rule) + ", raise " + capability_name(cap));
        });
}

} // namespace rung
