// mount_options: the table from config.md "Linux mount options" to what mount(2) and
// mount_setattr(2) take. Pure: it touches nothing, so the unit tests check every entry.
#pragma once

#include "spec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace rung {

// What a mount's "options" array means to the kernel, split by the call that applies it.
struct MountOptions {
    unsigned long flags = 0;       // mount(2) flags to set: MS_RDONLY, MS_NOSUID, MS_BIND...
    unsigned long propagation = 0; // MS_PRIVATE, MS_SHARED... (| MS_REC): a separate mount(2)
    uint64_t attr_set = 0;         // mount_setattr(2) AT_RECURSIVE: rro, rnosuid...
    uint64_t attr_clr = 0;
    bool idmap = false;            // idmap / ridmap: needs a user namespace (phase 5)
    std::vector<std::string> data; // filesystem-specific: "mode=755", "size=64k", "newinstance"

    bool is_bind() const;
    std::string data_string() const; // data joined with commas, as mount(2) takes it
};

// Translate OCI mount options (config.md, "Linux mount options"). Unknown words are
// filesystem-specific data, as the spec says. A bind mount has no filesystem to pass them to:
// engines add mode=755 or size=... to every mount, so mount_one ignores them with a warning, as
// runc does.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// A mount entry's options, and what else about it can be refused before anything is mounted:
// idmapped mounts (phase 5) and "type": "bind" without a bind option. The runtime checks every
// entry with it before create makes anything; init calls it again as it mounts.
MountOptions mount_options_of(const Mount& m);

// Every option name the tables above know (not idmap, ridmap or tmpcopyup, which are refused):
// what `features` reports as mountOptions.
std::vector<std::string> mount_option_names();

} // namespace rung
