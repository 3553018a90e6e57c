// What runs inside the new namespaces, between clone3(2) and execve(2).
#pragma once

#include "namespaces.hpp"
#include "spec.hpp"

#include <string>
#include <string_view>

namespace rung {

// Everything init needs, prepared by the runtime before clone3.
struct InitContext {
    const Spec& spec;
    const NamespacePlan& plan;
    std::string id;
    std::string bundle;
    std::string fifo_path;
    int sync_fd = -1;
    int console_fd = -1; // where the pty master goes if process.terminal; -1: no terminal
    bool no_pivot = false;
};

// Never returns. Waits for the runtime's "go", sets the container up, lets the runtime run its
// create hooks, reports "ready", waits for "committed", then on the exec FIFO for `rung start`,
// then execs process.args. A failure goes out as one error frame, on `sync_fd` before start and
// on the FIFO after it; then init _exit()s.
[[noreturn]] void container_init(const InitContext& ctx);

// The last steps every container process takes, shared by init and `rung exec`: become
// process.user, take its umask, find args[0] in the container's PATH, and execve. Throws on
// failure (127 if the program is not there, 126 if it cannot be run).
[[noreturn]] void exec_process(const Process& process);

// Close every fd above stderr that was inherited without FD_CLOEXEC (init and exec, first
// thing), but the first `preserve_fds` of them (3 to 3+N-1). `who` labels the trace.
void close_inherited_fds(std::string_view who, int preserve_fds = 0);

// The path execve will run for process.args[0]: looked up in the PATH of process.env.
std::string find_executable(const std::string& cmd, const std::vector<std::string>& env);

} // namespace rung
