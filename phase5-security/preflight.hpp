// preflight: what create checks before it creates anything, so that a refusal leaves nothing
// behind (runtime.md, "Create": an error MUST leave no container).
#pragma once

#include "cgroups.hpp"
#include "container.hpp"
#include "devices.hpp"
#include "namespaces.hpp"
#include "seccomp.hpp"
#include "spec.hpp"

#include <optional>
#include <string>

namespace rung {

// runtime-spec state: bundle is an absolute path. Resolve it now, while "." still means the
// caller's directory.
std::string absolute_bundle(const std::string& bundle);

// What the kernel would refuse only at execve, after start: ids that are not ids, and args and
// env too big for execve(2). `where` names the process in the message ("config.json: process").
void check_process(const Process& p, const std::string& where);

// What config.json asks for that needs more than a valid shape.
void check_spec(const Spec& spec, const NamespacePlan& plan, const CreateOptions& opts);

// linux.seccomp compiled, or found in the cache under the state root `root`, for init to load
// (none without linux.seccomp).
std::optional<seccomp::Filter> compile_seccomp(const Spec& spec, const std::string& root);

// config-linux.md, cgroupsPath: the container's cgroup, from the hierarchy's root.
std::string cgroup_path_of(const Spec& spec, const std::string& id);

// The container's cgroup, the writes that apply linux.resources there, and the device filter
// (phase 5: linux.resources.devices with runc's defaults, for every container).
struct CgroupPlan {
    cgroups::Cgroup cgroup;
    std::vector<cgroups::Write> writes;
    devices::Filter devices;
    bool none = false; // rootless, nothing to write and no cgroup delegated: the container has none
};
// config-linux.md, "Control groups": where the cgroup goes (linux.cgroupsPath) and what
// linux.resources writes, checked against the controllers the hierarchy has. A property the
// host cannot apply fails here, before anything exists.
CgroupPlan plan_cgroup(const Spec& spec, const std::string& id);

} // namespace rung
