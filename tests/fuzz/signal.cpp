// fuzz_signal: `rung kill`'s signal argument (sys::parse_signal, in common). An accepted name is
// a real signal, 1..SIGRTMAX; its number parses back to it, and so does its name where it has one
// (glibc keeps 32 and 33, below SIGRTMIN, for itself: messages call them "signal 32").
#include "fuzz.hpp"
#include "rung/sys.hpp"

#include <csignal>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string name = rung::fuzz::text(data, size);
    int sig = 0;
    try {
        sig = rung::sys::parse_signal(name);
    } catch (const rung::Error&) {
        return 0;
    }
    FUZZ_CHECK(sig >= 1 && sig <= SIGRTMAX);
    if (std::string named = rung::sys::signal_name(sig); !named.starts_with("signal "))
        FUZZ_CHECK(rung::sys::parse_signal(named) == sig);
    FUZZ_CHECK(rung::sys::parse_signal(std::to_string(sig)) == sig);
    return 0;
}
