// preflight: what create checks before it creates anything, so that a refusal leaves nothing
// behind (runtime.md, "Create": an error MUST leave no container).
#pragma once

#include "spec.hpp"

#include <string>

namespace rung {

// What the kernel would refuse only at execve, after start: args and env too big for execve(2).
// `where` names the process in the message ("config.json: process").
void check_process(const Process& p, const std::string& where);

// runtime-spec state: bundle is an absolute path. Resolve it now, while "." still means the
// caller's directory.
std::string absolute_bundle(const std::string& bundle);

// config.md, root.path: absolute, or relative to the bundle; a directory MUST exist there.
// Returns the rootfs as a path.
std::string check_rootfs(const std::string& bundle, const std::string& path);

} // namespace rung
