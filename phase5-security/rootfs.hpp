// rootfs: the container's filesystem view, built inside its mount namespace before exec.
//
//   prepare_rootfs -> mount_all -> setup_dev (dev.hpp) -> enter_rootfs (pivot_root)
//   -> finish_rootfs; after sysctl, readonly_paths and mask_paths (paths.hpp)
#pragma once

#include "rung/fd.hpp"
#include "spec.hpp"

#include <string>
#include <string_view>

namespace rung {

// The host path a mount destination names inside the rootfs. ".." cannot climb out of it.
std::string path_in_rootfs(const std::string& rootfs, const std::string& destination);

// Phase 5 never gives the kernel a host path built from what the image holds: every destination
// is looked up by the kernel with openat2(2) RESOLVE_IN_ROOT from an fd of the rootfs (each
// symlink resolved as if the rootfs were "/", ".." stopping at it), and used through the fd it
// returns, so that no symlink, even one swapped in while create runs, can lead a mkdir, mknod,
// chmod, chown or mount out of it: config.md "mounts", destination, and config-linux.md
// "devices", path (CVE-2021-30465).

// An O_PATH fd of the rootfs (or of "/" after pivot_root): the root of the lookups below.
unique_fd open_rootfs(const std::string& rootfs);
// An O_PATH fd of `path` inside `root`. Throws an Error with ENOENT if it does not exist.
// `rule` is what the lookup serves, for the narration.
constexpr std::string_view kDestinationRule = "config.md: mounts, destination inside the rootfs";
unique_fd open_in_rootfs(int root, const std::string& path,
                         std::string_view rule = kDestinationRule);
// The same, making what is missing, one component at a time relative to its parent's fd:
// directories, and with Leaf::file an empty file last (a bind mount target must be of the same
// kind as its source). A symlink to nothing gets its target made, inside the rootfs.
enum class Leaf { directory, file };
unique_fd make_in_rootfs(int root, const std::string& path, Leaf leaf,
                         std::string_view rule = kDestinationRule, int links = 0);
// "/proc/self/fd/N": a path that names exactly the object the fd holds, for the calls that take
// a path (mount, mknod, chmod). Needs a /proc: the host's, before pivot_root.
std::string fd_path(int fd);

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

// In a user namespace other than the host's: /proc/self/uid_map is not the whole range (runc's
// userns.RunningInUserNS). False where it cannot be read.
bool in_user_namespace();

// The runtime runs without root's privileges over the host: as a user other than root, or as any
// user of a user namespace other than the host's (rootless podman runs it as uid 0 of its own).
// Such a runtime has a cgroup only inside one delegated to it.
bool rootless_runtime();

} // namespace rung
