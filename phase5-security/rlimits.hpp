// rlimits: process.rlimits, the resource limits of setrlimit(2).
//
// Applied first among the process's own steps, while init is still root: only a process with
// CAP_SYS_RESOURCE may raise a hard limit, and the capability steps after this one take it away.
#pragma once

#include "spec.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rung {

// The RLIMIT_ constant of a name such as "RLIMIT_NOFILE", or nullopt for one getrlimit(2)
// does not have.
std::optional<int> rlimit_resource(std::string_view name);

// config.md, process.rlimits, checked before create makes anything: every type is a Linux
// RLIMIT_, soft is at most hard, and a hard limit above the runtime's own needs CAP_SYS_RESOURCE.
// Errors name `<where>.rlimits[i]`. `current_hard(resource)` and `may_raise` say what this host
// allows (pure, for the unit test); the other overload asks the running process.
void check_rlimits(const std::vector<Rlimit>& rlimits, const std::string& where,
                   uint64_t (*current_hard)(int resource), bool may_raise);
void check_rlimits(const std::vector<Rlimit>& rlimits, const std::string& where);

// config.md, process.rlimits: setrlimit(2) each one; rlim_cur and rlim_max then match soft and
// hard exactly.
void apply_rlimits(const std::vector<Rlimit>& rlimits);

} // namespace rung
