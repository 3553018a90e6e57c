// update: change the resources of a container that runs (runc's `update`).
#pragma once

#include "cgroups.hpp"
#include "spec.hpp"

#include <string>
#include <vector>

namespace rung {

struct UpdateOptions {
    std::string root;
    std::string id;
    // -r FILE, or "-" for standard input: an OCI LinuxResources object. Empty: the flags say it.
    std::string resources_file;
    cgroups::UpdateFlags flags;
};

// What the update asks for: the -r document or the flags, as a Resources holding only what they
// set. Throws an Error naming the flag or the file and the reason, before anything is touched.
Resources requested_resources(const UpdateOptions& opts);

// Apply `plan` to `cg`; if the kernel refuses a write, put back what the plan's files held
// before (the writes before the refused one took effect), then rethrow the refusal.
void apply_or_restore(const cgroups::Cgroup& cg, const std::vector<cgroups::Write>& plan,
                      bool check_before_update);

// Merge the request onto what the container runs with (state.json, or config.json before the
// first update), apply it to the container's cgroup, and keep it in state.json. A created,
// running or paused container only; a write the kernel refuses puts the files back as they were.
void update_container(const UpdateOptions& opts);

} // namespace rung
