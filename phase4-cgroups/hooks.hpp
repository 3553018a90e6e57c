// hooks: programs the config asks to run at points of the lifecycle (config.md "Hooks").
#pragma once

#include "spec.hpp"

#include <string>
#include <vector>

namespace rung {

// Run each hook in order with the container's state JSON on stdin, in the caller's namespaces.
// The first hook that fails, exits non-zero or outlives its timeout throws an Error naming the
// stage and the hook's path and, as runc's does, ending in what the hook wrote to stdout and
// stderr. A hook's output is kept, never shown, unless it fails.
void run_hooks(const std::vector<Hook>& hooks, const std::string& stage,
               const std::string& state_json);

// poststop (runtime.md, lifecycle step 13): a failure is a warning and the remaining hooks
// still run.
void run_hooks_warn_only(const std::vector<Hook>& hooks, const std::string& stage,
                         const std::string& state_json);

} // namespace rung
