#include "rung/log.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"

#include <chrono>
#include <cstdio>
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

// The calendar in UTC by std::chrono, not gmtime_r() and strftime(): glibc's first call of
// either reads /etc/localtime (tzset) for a time zone that UTC does not need.
std::string now_rfc3339() {
    using namespace std::chrono;
    auto now = time_point_cast<nanoseconds>(system_clock::now());
    auto day = floor<days>(now);
    year_month_day date{day};
    hh_mm_ss time{now - day};
    char buf[128];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02lld:%02lld:%02lld.%09lldZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<long long>(time.hours().count()),
                  static_cast<long long>(time.minutes().count()),
                  static_cast<long long>(time.seconds().count()),
                  static_cast<long long>(time.subseconds().count()));
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
