// fault.cpp: the live fault points (rung/fault.hpp), linked into the faults/ twins only.
#include "rung/fault.hpp"
#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <csignal>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace rung::fault {
namespace {

struct Injected {
    std::string point; // empty: none
    bool kill = false;
};

// RUNG_FAULT, read once per process (a cloned init inherits what its parent read).
const Injected& injected() {
    static const Injected inj = [] {
        Injected i;
        const char* env = std::getenv("RUNG_FAULT");
        if (!env) return i;
        i.point = env;
        if (auto colon = i.point.rfind(':'); colon != std::string::npos) {
            std::string mode = i.point.substr(colon + 1);
            if (mode == "kill" || mode == "exit") {
                i.kill = mode == "kill";
                i.point.resize(colon);
            }
        }
        return i;
    }();
    return inj;
}

} // namespace

void point(std::string_view name) {
    const Injected& inj = injected();
    if (inj.point.empty() || inj.point != name) return;
    log::step("rung: RUNG_FAULT", "injected fault at ", name, inj.kill ? " (SIGKILL)" : "");
    if (inj.kill) {
        sys::kill(::getpid(), SIGKILL, "rung: RUNG_FAULT");
        // Still here: this is init, pid 1 of its pid namespace, which the kernel shields from
        // its own signals. It goes as abruptly: no error frame, no unwinding, no destructors.
        ::_exit(128 + SIGKILL);
    }
    throw Error("injected fault at " + std::string(name));
}

} // namespace rung::fault
