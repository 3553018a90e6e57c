// dev: the container's /dev, made under the rootfs after the mounts and before pivot_root.
#pragma once

#include "spec.hpp"

#include <string>

namespace rung {

// runtime-linux.md "Default Devices" and "Dev symbolic links", plus linux.devices.
void setup_dev(const Spec& spec);
// After pivot_root: a /dev whose mount says "ro" becomes read-only now that its nodes exist.
void finish_dev(const Spec& spec);
// config-linux.md "Default Devices": with process.terminal, /dev/console is the container's
// pty, bind mounted over the mount point setup_dev made. After pivot_root; `pty` is /dev/pts/N.
void mount_console(const std::string& pty);

} // namespace rung
