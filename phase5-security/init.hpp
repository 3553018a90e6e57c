// What runs inside the new namespaces, between clone3(2) and execve(2).
#pragma once

#include "namespaces.hpp"
#include "spec.hpp"

#include <string>

namespace rung {

namespace seccomp {
class Filter;
}

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
    bool no_new_keyring = false;        // keep the runtime's session keyring (keyring.hpp)
    seccomp::Filter* seccomp = nullptr; // linux.seccomp, compiled by the runtime; null: none
};

// Never returns. Waits for the runtime's "go", sets the container up, lets the runtime run its
// create hooks, reports "ready", waits for "committed", then on the exec FIFO for `rung start`,
// then execs process.args. A failure goes out as one error frame, on `sync_fd` before start and
// on the FIFO after it; then init _exit()s.
[[noreturn]] void container_init(const InitContext& ctx);

} // namespace rung
