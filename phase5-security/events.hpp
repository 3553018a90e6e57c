// events: a running container's cgroup statistics and OOM kills, as JSON lines (runc's
// `events`).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace rung {

struct EventsOptions {
    std::string root;
    std::string id;
    bool stats = false; // --stats: one stats event, then exit
    std::chrono::nanoseconds interval = std::chrono::seconds(5); // --interval
};

// A duration as Go's time.ParseDuration reads it, which is what runc's --interval takes: a
// sequence of numbers with units, "5s", "100ms", "1m30s", "1.5h", "250us"; "0" alone is 0.
// Throws an Error naming the text for anything else.
std::chrono::nanoseconds parse_duration(std::string_view text);

// Print {"type":"stats","id":ID,"data":{...}} every interval and {"type":"oom","id":ID} each
// time the kernel OOM-kills a process of the container, until the container's cgroup has no
// process left; with `stats`, print one stats event and return. A stopped container is an error.
void container_events(const EventsOptions& opts);

} // namespace rung
