// rootfs: the container's filesystem view, built inside its mount namespace before exec.
//
//   prepare_rootfs -> mount_all -> setup_dev (dev.hpp) -> enter_rootfs (pivot_root)
//   -> finish_rootfs
#pragma once

#include "spec.hpp"

#include <string>

namespace rung {

// The host path a mount destination names inside the rootfs. ".." cannot climb out of it.
std::string path_in_rootfs(const std::string& rootfs, const std::string& destination);

// The host path `path` names inside `rootfs`, each symlink on the way resolved as if the rootfs
// were "/" (an absolute link starts again at the rootfs, ".." stops at it), so that nothing an
// image holds can lead a mkdir, mknod, chmod, chown or mount out of it: config.md "mounts",
// destination, and config-linux.md "devices", path. What does not exist yet is taken as
// written, for the caller to make. A plain component-by-component lookup with lstat and
// readlink: phase 5 closes the race between it and the use of the path with openat2(2)
// RESOLVE_IN_ROOT.
std::string resolve_in_rootfs(const std::string& rootfs, const std::string& path);

// What a mount lands on: a directory, or with `file` an empty file (a bind mount target must be
// of the same kind as its source). Missing parents are made; an existing path is left alone.
void create_mount_point(const std::string& target, bool file);

// runtime-spec config-linux.md "rootfsPropagation"; bind the rootfs onto itself so it is a mount
// point that pivot_root(2) can move. Nothing without a mount namespace of the container's own.
void prepare_rootfs(const Spec& spec, bool own_namespace);
// runtime-spec config.md "mounts": every entry, in order, under the rootfs.
void mount_all(const Spec& spec);
// Make the rootfs "/": pivot_root(2), or with no_pivot MS_MOVE + chroot for initramfs; in a
// mount namespace not the container's own, chroot(2) alone.
void enter_rootfs(const std::string& rootfs, bool no_pivot, bool own_namespace);
// root.readonly, after everything else is mounted.
void finish_rootfs(const Spec& spec);

} // namespace rung
