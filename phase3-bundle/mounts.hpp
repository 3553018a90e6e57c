// mounts: the container's filesystem view, built inside its mount namespace before exec.
//
//   prepare_rootfs -> mount_all -> setup_dev -> enter_rootfs (pivot_root) -> finish_rootfs
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
// filesystem-specific data, as the spec says; for a bind mount, where the kernel would silently
// ignore data, they are an error.
MountOptions parse_mount_options(const std::vector<std::string>& options);

// A mount entry's options, and what else about it can be refused before anything is mounted:
// idmapped mounts (phase 5) and "type": "bind" without a bind option. The runtime checks every
// entry with it before create makes anything; init calls it again as it mounts.
MountOptions mount_options_of(const Mount& m);

// The host path a mount destination names inside the rootfs. ".." cannot climb out of it.
std::string path_in_rootfs(const std::string& rootfs, const std::string& destination);

// runtime-spec config-linux.md "rootfsPropagation"; bind the rootfs onto itself so it is a mount
// point that pivot_root(2) can move.
void prepare_rootfs(const Spec& spec);
// runtime-spec config.md "mounts": every entry, in order, under the rootfs.
void mount_all(const Spec& spec);
// runtime-linux.md "Default Devices" and "Dev symbolic links", plus linux.devices.
void setup_dev(const Spec& spec);
// config-linux.md "Default Devices": with process.terminal, /dev/console is the container's
// pty, bind mounted over the mount point setup_dev made. After pivot_root; `pty` is /dev/pts/N.
void mount_console(const std::string& pty);
// Make the rootfs "/": pivot_root(2), or with no_pivot MS_MOVE + chroot for initramfs.
void enter_rootfs(const std::string& rootfs, bool no_pivot);
// root.readonly, after everything else is mounted.
void finish_rootfs(const Spec& spec);

} // namespace rung
