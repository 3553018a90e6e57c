// rlimits: process.rlimits, the resource limits of setrlimit(2).
#include "rlimits.hpp"

#include "rung/error.hpp"
#include "rung/sys.hpp"

#include <memory>
#include <sys/capability.h>
#include <sys/resource.h>
#include <utility>

namespace rung {
namespace {

// getrlimit(2)'s resources on Linux, by the names config.md uses.
constexpr std::pair<std::string_view, int> kRlimits[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

uint64_t own_hard_limit(int resource) {
    struct rlimit r;
    if (::getrlimit(resource, &r) == -1) throw_errno("getrlimit " + std::to_string(resource));
    return r.rlim_max;
}

// Whether the runtime may raise a hard limit: CAP_SYS_RESOURCE in its effective set.
bool has_sys_resource() {
    std::unique_ptr<struct _cap_struct, int (*)(void*)> self(::cap_get_proc(), ::cap_free);
    cap_flag_value_t value = CAP_CLEAR;
    return self && ::cap_get_flag(self.get(), CAP_SYS_RESOURCE, CAP_EFFECTIVE, &value) == 0 &&
           value == CAP_SET;
}

} // namespace

std::optional<int> rlimit_resource(std::string_view name) {
    for (const auto& [n, resource] : kRlimits)
        if (n == name) return resource;
    return std::nullopt;
}

void check_rlimits(const std::vector<Rlimit>& rlimits, const std::string& where,
                   uint64_t (*current_hard)(int resource), bool may_raise) {
    for (size_t i = 0; i < rlimits.size(); ++i) {
        const Rlimit& r = rlimits[i];
        std::string at = where + ".rlimits[" + std::to_string(i) + "]: ";
        auto resource = rlimit_resource(r.type);
        if (!resource) throw Error(at + "unknown rlimit type " + quote(r.type));
        if (r.soft > r.hard)
            throw Error(at + r.type + " soft " + std::to_string(r.soft) + " is above hard " +
                        std::to_string(r.hard));
        uint64_t host = current_hard(*resource);
        if (!may_raise && r.hard > host)
            throw Error(at + r.type + " hard " + std::to_string(r.hard) +
                        " is above this host's hard limit " + std::to_string(host) +
                        " and rung lacks CAP_SYS_RESOURCE");
    }
}

void check_rlimits(const std::vector<Rlimit>& rlimits, const std::string& where) {
    if (!rlimits.empty()) check_rlimits(rlimits, where, own_hard_limit, has_sys_resource());
}

void apply_rlimits(const std::vector<Rlimit>& rlimits) {
    for (const Rlimit& r : rlimits) {
        struct rlimit limit {
            r.soft, r.hard
        };
        sys::setrlimit(*rlimit_resource(r.type), r.type, limit, "config.md: process.rlimits");
    }
}

} // namespace rung
