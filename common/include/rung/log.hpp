// rung/log.hpp: the runtime's voice.
//
// Text goes to stderr by default. With `--log FILE --log-format json` every message becomes one
// JSON object per line, {"level":"error","msg":"...","time":"..."}, which is what containerd and
// podman parse from runc. Errors are also printed to stderr, so a person at a terminal sees them.
//
// The debug level narrates the runtime: each step prints the syscall it is about to make, with
// its real arguments, and the rule of the runtime-spec it serves:
//
//     [init] chroot("rootfs")   # rung: new root (phase 1; pivot_root comes in phase 3)
//
// It costs one branch when off.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace rung::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };

struct Options {
    Level level = Level::info;
    Format format = Format::text;
    std::string file; // empty: stderr
};

// Set up the sink once, after the command line is parsed. Throws Error if FILE cannot be opened.
void configure(const Options& opts);
bool debug_enabled() noexcept;
void write(Level level, std::string_view msg);

inline void info(std::string_view msg) {
    write(Level::info, msg);
}
inline void warn(std::string_view msg) {
    write(Level::warn, msg);
}
inline void error(std::string_view msg) {
    write(Level::error, msg);
}

// The current time as RFC 3339 in UTC with nanoseconds, "2024-05-01T12:00:00.123456789Z": the
// time of a JSON log line, and wherever else rung records a moment (state.json's "created").
std::string now_rfc3339();

// Concatenate anything streamable.
template <class... A>
std::string cat(const A&... parts) {
    std::ostringstream os;
    (os << ... << parts);
    return os.str();
}

// One narrated step: `[who] <call>   # <rule>`. The parts make up the call.
template <class... A>
void trace(std::string_view who, std::string_view rule, const A&... call) {
    if (!debug_enabled()) return;
    std::string line = cat("[", who, "] ", call...);
    if (!rule.empty()) line += cat("   # ", rule);
    write(Level::debug, line);
}

} // namespace rung::log
