// rung/log.hpp: the runtime's voice.
//
// Text goes to stderr by default. With `--log FILE --log-format json` every message becomes one
// JSON object per line, {"level":"error","msg":"...","time":"..."}, which is what containerd and
// podman parse from runc. Errors are also printed to stderr, so a person at a terminal sees them.
//
// The debug level narrates the runtime: each step prints the syscall it makes, with its real
// arguments, and the rule it serves (sys.hpp's wrappers do this for every kernel call):
//
//     [init] chroot("rootfs")   # config.md: root.path
//
// `[init]` is the actor: which process speaks. It is "rung" (the runtime) until a process
// changes it, which each child does once, first thing after clone or fork: set_actor("init"),
// set_actor("exec"), set_actor("hook").
//
// How to cite a rule, the same way everywhere (in a step's comment and in its narration):
//   - a rule of the runtime-spec: its document, a colon, and the field or section as the spec
//     spells it: "config.md: process.user", "config-linux.md: devices",
//     "runtime.md: create", "runtime-linux.md: file descriptors". Add ", <detail>" to narrow
//     it: "config.md: mounts, bind".
//   - a rule of the kernel: the man page: "pivot_root(2): the new root must be a mount point".
//   - a reason of rung's own, or of the runc CLI it copies: "rung: ..." — "rung: delete --force",
//     "rung: one operation at a time per container".
//   - no rule (the step only follows from the previous one): leave it empty.
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

// Who narrates in this process: "rung" unless set. Called once per process, after clone/fork.
void set_actor(std::string_view who);
const std::string& actor() noexcept;

// One narrated step of this process: `[actor] <call>   # <rule>`. The parts make up the call.
template <class... A>
void step(std::string_view rule, const A&... call) {
    if (!debug_enabled()) return;
    std::string line = cat("[", actor(), "] ", call...);
    if (!rule.empty()) line += cat("   # ", rule);
    write(Level::debug, line);
}

// The same with the actor named by the caller. Being replaced by set_actor() + step(): use step
// in new code; this goes once the phases no longer call it.
template <class... A>
void trace(std::string_view who, std::string_view rule, const A&... call) {
    if (!debug_enabled()) return;
    std::string line = cat("[", who, "] ", call...);
    if (!rule.empty()) line += cat("   # ", rule);
    write(Level::debug, line);
}

} // namespace rung::log
