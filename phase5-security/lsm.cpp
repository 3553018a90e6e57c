// lsm: the Linux Security Module labels of config.json, AppArmor's and SELinux's.
#include "lsm.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"

#include <unistd.h>

namespace rung {
namespace {

// The kernel enforces AppArmor: its module parameter says Y (the file is missing without it).
bool apparmor_enabled() {
    try {
        return read_file("/sys/module/apparmor/parameters/enabled").starts_with('Y');
    } catch (const Error&) {
        return false;
    }
}

// SELinux is on: selinuxfs is there, as libselinux's is_selinux_enabled() checks.
bool selinux_enabled() {
    return ::access("/sys/fs/selinux/enforce", F_OK) == 0;
}

// Where the label for the next execve goes: AppArmor has a directory of its own under
// /proc/self/attr since Linux 5.1; the shared file is the older interface, SELinux's.
void write_exec_attr(const std::string& file, const std::string& value, const char* rule) {
    log::trace(log::actor(), rule, "write(", quote(file), ", ", quote(value), ")");
    with_context(rule, [&] { write_file(file, value); });
}

} // namespace

void check_process_labels(const Process& p, const std::string& where) {
    if (!p.apparmor_profile.empty() && !apparmor_enabled())
        throw Error(where + ".apparmorProfile " + quote(p.apparmor_profile) +
                    ": AppArmor is not enabled on this host "
                    "(/sys/module/apparmor/parameters/enabled is not Y)");
    if (!p.selinux_label.empty() && !selinux_enabled())
        throw Error(where + ".selinuxLabel " + quote(p.selinux_label) +
                    ": SELinux is not enabled on this host (no /sys/fs/selinux)");
}

void check_mount_label(const std::string& label) {
    if (!label.empty() && !selinux_enabled())
        throw Error("config.json: linux.mountLabel " + quote(label) +
                    ": SELinux is not enabled on this host (no /sys/fs/selinux)");
}

void set_exec_labels(const Process& p) {
    if (!p.apparmor_profile.empty()) {
        std::string file = ::access("/proc/self/attr/apparmor/exec", F_OK) == 0
                               ? "/proc/self/attr/apparmor/exec"
                               : "/proc/self/attr/exec";
        write_exec_attr(file, "exec " + p.apparmor_profile, "config.md: process.apparmorProfile");
    }
    if (!p.selinux_label.empty())
        write_exec_attr("/proc/self/attr/exec", p.selinux_label, "config.md: process.selinuxLabel");
}

} // namespace rung
