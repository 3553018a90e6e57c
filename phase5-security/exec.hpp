// exec and ps: a new process in a running container, and the processes it holds.
#pragma once

#include "spec.hpp"

#include <optional>
#include <string>
#include <vector>

namespace rung {

struct ExecOptions {
    std::string root;
    std::string id;
    Process process;                // what to run, as config.md's process object
    bool detach = false;            // --detach: return once the process runs
    std::string pid_file;           // --pid-file
    std::string console_socket;     // --console-socket, with process.terminal
    int preserve_fds = 0;           // --preserve-fds N: fds 3..3+N-1 stay open for the process
    std::string cgroup;             // --cgroup SUB: an existing sub-cgroup of the container's
    std::optional<Seccomp> seccomp; // the container's linux.seccomp: it holds for exec too
};

// Join every namespace of the container's init and its cgroup (or --cgroup's sub-cgroup of it),
// then run `process` in it. Returns the process's
// shell-style exit status, or 0 with --detach.
int exec_in_container(const ExecOptions& opts);

// runc's `exec --cgroup SUB` on cgroup v2: SUB as a path under the container's cgroup
// (`container`, "/rung/web"), "/rung/web/sub". A "controller:path" (cgroup v1's form) and a ".."
// that would leave the container's cgroup are errors naming the flag.
std::string exec_cgroup_path(const std::string& container, const std::string& sub);

// The container's processes: `format` json prints their host pids as a JSON array; table runs
// ps(1) on the host with `ps_args` (default -ef) and keeps the container's lines.
void ps_container(const std::string& root, const std::string& id, const std::string& format,
                  const std::vector<std::string>& ps_args);

} // namespace rung
