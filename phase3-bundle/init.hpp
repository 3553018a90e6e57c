// What runs inside the new namespaces, between clone3(2) and execve(2).
#pragma once

#include "namespaces.hpp"
#include "spec.hpp"

#include <string>

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

// Never returns. Sets the container up, lets the runtime run its create hooks, reports `ready`,
// waits on the exec FIFO for `rung start`, then execs process.args. A failure before `ready`
// goes to `sync_fd` as one error frame, after start as text on the FIFO; then init _exit()s.
[[noreturn]] void container_init(const InitContext& ctx);

} // namespace rung
