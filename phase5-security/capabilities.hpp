// capabilities: process.capabilities, through libcap.
//
// Root's power is about forty capabilities (capabilities(7)); a container keeps the few its
// config lists. Each process has five sets: bounding (the most it can ever gain), permitted,
// effective (what the kernel checks), inheritable and ambient (what survives an execve of a
// program without file capabilities). The steps, in the order exec_process runs them:
//
//   drop_bounding_set -> keep_capabilities_across_setuid -> (set_user) -> set_capabilities
//   -> raise_ambient_capabilities
//
// The bounding set is dropped while still root: PR_CAPBSET_DROP needs CAP_SETPCAP in the
// effective set, and a setuid(2) away from 0 empties that set.
#pragma once

#include "spec.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rung {

// process.capabilities as the kernel's numbers, set by set, in the order the config lists them.
struct CapSets {
    std::vector<int> bounding, effective, inheritable, permitted, ambient;
};

// The number of an OCI capability name such as "CAP_CHOWN" (exactly that spelling), or nullopt
// for a name capabilities(7) does not have.
std::optional<int> capability_number(std::string_view name);

// process.capabilities checked and made numbers. An absent object is empty sets: the process
// gets no capability at all, as with runc. A name capabilities(7) does not have throws an Error
// naming `<where>.capabilities.<set>[i]`, as does an effective capability that is not permitted
// (capset(2) refuses it). One this kernel lacks, or one the runtime has not got in its own
// bounding set, cannot be granted: config.md says to warn and not fail, so it is left out and
// described in `skipped` (when given).
CapSets resolve_capabilities(const std::optional<Capabilities>& caps, const std::string& where,
                             std::vector<std::string>* skipped = nullptr);

// config.md, process.capabilities.bounding: PR_CAPBSET_DROP every capability not listed.
void drop_bounding_set(const CapSets& caps);

// The capabilities survive the setuid(2) that set_user makes (PR_SET_KEEPCAPS); without it a
// uid other than 0 starts with none, and set_capabilities could not grant the listed ones.
void keep_capabilities_across_setuid();

// config.md, process.capabilities.effective, permitted, inheritable: exactly these (capset(2)).
void set_capabilities(const CapSets& caps);

// config.md, process.capabilities.ambient: cleared, then each one raised. Ambient capabilities
// are what a program without file capabilities keeps across execve as a non-root user.
void raise_ambient_capabilities(const CapSets& caps);

} // namespace rung
