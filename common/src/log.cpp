#include "rung/log.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"

#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace rung::log {
namespace {

// The sink is process-wide by nature: it is part of the parsed command line. After clone() the
// init child inherits it (the fd is CLOEXEC, so the container never sees it).
struct Sink {
    Options opts;
    unique_fd file;
    std::string actor = "rung";
};

Sink& sink() {
    static Sink s;
    return s;
}

const char* level_name(Level l) {
    switch (l) {
    case Level::debug:
        return "debug";
    case Level::info:
        return "info";
    case Level::warn:
        return "warning";
    case Level::error:
        return "error";
    }
    return "info";
}

void emit(int fd, Format format, Level level, std::string_view msg) {
    std::string line;
    if (format == Format::json) {
        nlohmann::json j = {{"level", level_name(level)}, {"msg", msg}, {"time", now_rfc3339()}};
        line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else if (level == Level::debug) {
        line = std::string(msg);
    } else {
        // "rung: <msg>" for errors and info, "rung: warning: <msg>" for warnings.
        line = cat("rung: ", level == Level::warn ? "warning: " : "", msg);
    }
    line += '\n';
    try {
        write_full(fd, line);
    } catch (const Error&) {
        // Nowhere left to report a logging failure.
    }
}

} // namespace

std::string now_rfc3339() {
    using namespace std::chrono;
    auto now = system_clock::now();
    std::time_t t = system_clock::to_time_t(now);
    auto ns = duration_cast<nanoseconds>(now.time_since_epoch()).count() % 1000000000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%09lldZ", static_cast<long long>(ns));
    return buf;
}

void configure(const Options& opts) {
    Sink& s = sink();
    s.opts = opts;
    if (!opts.file.empty()) s.file = open_file(opts.file, O_WRONLY | O_CREAT | O_APPEND, 0644);
}

void set_actor(std::string_view who) {
    sink().actor = who;
}

const std::string& actor() noexcept {
    return sink().actor;
}

bool debug_enabled() noexcept {
    return sink().opts.level == Level::debug;
}

void write(Level level, std::string_view msg) {
    Sink& s = sink();
    if (level < s.opts.level) return;
    if (s.file) {
        emit(s.file.get(), s.opts.format, level, msg);
        // A person at a terminal still sees why the command failed.
        if (level == Level::error) emit(STDERR_FILENO, Format::text, level, msg);
    } else {
        emit(STDERR_FILENO, s.opts.format, level, msg);
    }
}

} // namespace rung::log
