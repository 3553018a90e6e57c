// events: runc's `events`, read from the container's cgroup.
//
//     {"type":"stats","id":"web","data":{"cpu":{...},"memory":{...},"pids":{...},...}}
//     {"type":"oom","id":"web"}
//
// The stats are Cgroup::stats() in runc's shape (cgroups::stats_json). An OOM event is an
// increase of oom_kill in memory.events, which the kernel wakes poll(2) for; the stream ends
// when cgroup.events says "populated 0": the container's last process has exited, as runc's
// does when its OOM watch sees the cgroup empty.
#include "events.hpp"

#include "cgroups.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "state.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iostream>
#include <optional>
#include <thread>

namespace rung {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::steady_clock;

constexpr const char* kRule = "rung: events (runc's)";

// One event as one line, flushed: a reader of the pipe sees each as it happens.
void emit(const std::string& type, const std::string& id, const nlohmann::ordered_json* data) {
    nlohmann::ordered_json event = {{"type", type}, {"id", id}};
    if (data) event["data"] = *data;
    std::cout << event.dump() << std::endl;
}

void emit_stats(const cgroups::Cgroup& cg, const std::string& id) {
    nlohmann::ordered_json data = cgroups::stats_json(cg.stats());
    emit("stats", id, &data);
}

// The units of Go's time.ParseDuration, in nanoseconds; "µs" in both of its spellings.
std::optional<double> unit_ns(std::string_view unit) {
    if (unit == "ns") return 1;
    if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1e3;
    if (unit == "ms") return 1e6;
    if (unit == "s") return 1e9;
    if (unit == "m") return 60e9;
    if (unit == "h") return 3600e9;
    return std::nullopt;
}

} // namespace

nanoseconds parse_duration(std::string_view text) {
    auto bad = [&](const std::string& why) {
        return Error("invalid duration " + quote(text) + ": " + why +
                     " (a Go duration: 5s, 100ms, 1m30s)");
    };
    std::string_view s = text;
    bool negative = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        negative = s.front() == '-';
        s.remove_prefix(1);
    }
    if (s == "0") return nanoseconds(0);
    if (s.empty()) throw bad("empty");
    double total = 0;
    while (!s.empty()) {
        size_t i = 0;
        while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.'))
            ++i;
        std::string number(s.substr(0, i));
        if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1)
            throw bad("expected a number");
        s.remove_prefix(i);
        size_t u = 0;
        while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.')
            ++u;
        if (u == 0) throw bad("missing unit after " + number);
        auto scale = unit_ns(s.substr(0, u));
        if (!scale) throw bad("unknown unit " + quote(s.substr(0, u)));
        total += std::stod(number) * *scale;
        s.remove_prefix(u);
    }
    if (total > 9.2e18) throw bad("too large");
    return nanoseconds(static_cast<int64_t>(std::llround(negative ? -total : total)));
}

void container_events(const EventsOptions& opts) {
    if (opts.interval.count() <= 0) throw Error("--interval: must be greater than 0");
    State st;
    {
        // Not held while the stream runs: delete and update must not wait for a reader.
        ContainerDir dir = ContainerDir::open(opts.root, opts.id, ContainerDir::Lock::shared);
        st = dir.read_state();
        if (dir.status(st) == Status::stopped)
            throw Error("container " + quote(opts.id) + " is not running");
    }
    cgroups::Cgroup cg = container_cgroup(st);
    if (opts.stats) {
        emit_stats(cg, opts.id);
        return;
    }
    // Without the memory controller (a hybrid host) there is no memory.events, and no OOM kill
    // to count: the stream has its stats only.
    bool memory = path_exists(cg.dir() + "/memory.events");
    uint64_t ooms = memory ? cg.memory_events()["oom_kill"] : 0;
    log::trace("rung", kRule, "watch ", quote(cg.dir()), memory ? " memory.events" : "",
               " cgroup.events, stats every ", opts.interval.count() / 1000000, " ms");
    auto next = steady_clock::now() + opts.interval;
    try {
        for (;;) {
            auto slice = std::min<nanoseconds>(next - steady_clock::now(), milliseconds(200));
            auto wait = std::chrono::duration_cast<milliseconds>(slice);
            if (memory) {
                for (uint64_t now = cg.wait_for_oom(ooms, wait); ooms < now; ++ooms)
                    emit("oom", opts.id, nullptr);
            } else if (wait.count() > 0) {
                std::this_thread::sleep_for(wait);
            }
            if (!cg.populated()) return;
            if (steady_clock::now() >= next) {
                emit_stats(cg, opts.id);
                next += opts.interval;
            }
        }
    } catch (const Error&) {
        // A delete may remove the cgroup between two reads: that is the end of the stream too.
        if (!path_exists(cg.dir())) return;
        throw;
    }
}

} // namespace rung
