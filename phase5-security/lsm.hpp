// lsm: the Linux Security Module labels of config.json, AppArmor's and SELinux's.
//
// An LSM confines a process by a label the kernel checks on every access, whatever its uid and
// capabilities. The runtime asks for the label to be taken at the next execve(2) (the
// program's) by writing /proc/self/attr/.../exec, while still root and before no_new_privs, as
// runc does. A host without the LSM cannot apply the label: that is an error, not a silent skip.
#pragma once

#include "spec.hpp"

#include <string>

namespace rung {

// config.md, process.apparmorProfile and process.selinuxLabel: each needs its LSM enabled on
// this host. Errors name `<where>.apparmorProfile` or `<where>.selinuxLabel`.
void check_process_labels(const Process& p, const std::string& where);

// config-linux.md, mountLabel: needs SELinux enabled on this host.
void check_mount_label(const std::string& label);

// config.md, process.apparmorProfile and process.selinuxLabel: the labels the program runs
// with, taken at its execve(2).
void set_exec_labels(const Process& p);

} // namespace rung
