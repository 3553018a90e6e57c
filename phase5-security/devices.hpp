// devices: the device cgroup on cgroup v2 (config-linux.md, "Allowed Device Listing").
//
// cgroup v1 had a devices controller with devices.allow and devices.deny files. cgroup v2 has
// none: a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup decides each open(2) and
// mknod(2) of a device node by its container's processes, and the runtime writes that program.
// This file does what runc (libcontainer/cgroups/devices) and crun do:
//
//     linux.resources.devices       the spec's rules, then runc's default rules appended
//       -> compile_rules()          evaluated as cgroup v1 did (runc's "emulator"): a rule of
//                                   type a resets everything to allow-all or deny-all, the rules
//                                   after it add or take away exceptions
//       -> Filter                   a default and exceptions of the other polarity
//       -> emit()                   eBPF instructions: one block per exception, then the default
//       -> replace_program()        BPF_PROG_LOAD, BPF_PROG_ATTACH to the cgroup directory with
//                                   BPF_F_ALLOW_MULTI, then detach the programs that were there
//
// Where it plugs in: preflight compiles (a bad rule fails before anything exists), the parent
// attaches with the other linux.resources before "go", and `update` replaces the program.
#pragma once

#include "spec.hpp"

#include <cstdint>
#include <linux/bpf.h>
#include <optional>
#include <string>
#include <vector>

namespace rung::devices {

// Access bits and device types as the kernel hands them to the program (struct
// bpf_cgroup_dev_ctx: access_type = access << 16 | type).
constexpr uint32_t kMknod = BPF_DEVCG_ACC_MKNOD, kRead = BPF_DEVCG_ACC_READ,
                   kWrite = BPF_DEVCG_ACC_WRITE, kAll = kMknod | kRead | kWrite;
enum class Type : uint32_t { block = BPF_DEVCG_DEV_BLOCK, character = BPF_DEVCG_DEV_CHAR };

// One exception: a device type, numbers (nullopt: any) and the access it grants or refuses.
struct Exception {
    Type type = Type::character;
    std::optional<uint32_t> major, minor;
    uint32_t access = 0; // kRead, kWrite, kMknod
    bool operator==(const Exception&) const = default;
};

// What the rules come to: by default allow or deny, and the exceptions to that default.
struct Filter {
    bool default_allow = false;
    std::vector<Exception> exceptions; // sorted: the same rules give the same program
};

// runc's AllowedDevices, appended to every container's rules (libcontainer/specconv): mknod of
// any char or block device (creating a node opens nothing), and rwm on /dev/null, zero, full,
// random, urandom, tty, ptmx, every /dev/pts/N and /dev/net/tun: the /dev phase 3 makes works
// whatever the spec lists.
const std::vector<DeviceRule>& default_rules();

// The spec's rules (in order), then default_rules(), as the cgroup v1 devices controller
// evaluated them. Throws an Error naming the rule for one that v1 would have ignored silently:
// a deny that punches a hole in a wildcard allow (`c 1:3 w` after `c *:* rwm`), and numbers
// that are no device numbers. A rule without access means rwm.
Filter compile_rules(const std::vector<DeviceRule>& rules);

// What the filter decides for one request: the reference the emitted program must agree with.
// An allow exception matches when it grants every bit asked for; a deny exception when it refuses
// any of them (the v1 kernel's rules).
bool allows(const Filter& f, Type type, uint32_t major, uint32_t minor, uint32_t access);

// The program, as BPF_PROG_TYPE_CGROUP_DEVICE instructions (r1: the context; r0: 1 allow, 0 deny).
std::vector<bpf_insn> emit(const Filter& f);

// "deny all, 9 exceptions allowed" and "c 1:3 rwm, c 136:* rwm": for --debug.
std::string describe(const Filter& f);

// Whether the filter lets everything through: then no program is needed (runc attaches none).
bool allows_all(const Filter& f);

// Load the program for `f` and make it the one the cgroup at `cgroup_dir` runs: attach the new
// one first, then detach the ones attached before (none on create), so that no device request
// is ever decided by no program at all. A filter that allows everything detaches them only.
void replace_program(const std::string& cgroup_dir, const Filter& f);

} // namespace rung::devices
