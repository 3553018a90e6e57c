// paths: linux.maskedPaths and linux.readonlyPaths, the parts of /proc and /sys a container
// may see but must not read or change. After pivot_root, inside init.
//
//   ... enter_rootfs -> finish_rootfs -> finish_dev -> apply_sysctl -> readonly_paths
//   -> mask_paths ...
#pragma once

#include "spec.hpp"

namespace rung {

// config-linux.md "readonlyPaths": each path that exists becomes a read-only bind of itself.
void readonly_paths(const Spec& spec);
// config-linux.md "maskedPaths": each path that exists is covered, a file by /dev/null, a
// directory by an empty read-only tmpfs.
void mask_paths(const Spec& spec);

} // namespace rung
