// Phase 1: one container, run in the foreground.
#pragma once

#include <string>
#include <vector>

namespace rung {

struct RunOptions {
    std::string rootfs = "rootfs";
    std::string hostname = "rung";
    std::vector<std::string> args; // the command and its arguments
};

// Clone init into new namespaces, wait for it, and return the shell-style exit code of the
// container's command (its status, or 128+N for death by signal N).
int run_container(const RunOptions& opts);

} // namespace rung
