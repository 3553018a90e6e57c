// dev: the container's /dev (runtime-linux.md "Default Devices", "Dev symbolic links",
// config-linux.md "devices"), made inside the rootfs after the mounts and before pivot_root.
#include "dev.hpp"

#include "mount_options.hpp"
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace rung {
namespace {

// config-linux.md "Default Devices". mknod as root; in a user namespace (phase 5) mknod is
// forbidden, so bind-mount the host's node instead, as runc does.
struct DefaultDevice {
    const char* name;
    unsigned major, minor;
};
constexpr DefaultDevice kDefaultDevices[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

// mknod's mode is filtered by the umask; the spec's fileMode is exact.
void set_mode_and_owner(const std::string& path, mode_t mode, uid_t uid, gid_t gid) {
    sys::chmod(path, mode, "config-linux.md: devices, fileMode");
    sys::chown(path, uid, gid, "config-linux.md: devices, uid and gid");
}

// Whether anything, even a dangling symlink, is at `path`.
bool something_at(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

// `path` is resolved in the rootfs; `host_node` is the host's node of the same device.
void make_device(const std::string& path, const std::string& host_node, mode_t type, unsigned major,
                 unsigned minor, mode_t mode, uid_t uid, gid_t gid) {
    if (something_at(path)) sys::unlink(path, "config-linux.md: devices, replace what is there");
    try {
        sys::mknod(path, type | mode, makedev(major, minor), "config-linux.md: devices");
    } catch (const Error& e) {
        if (e.err() != EPERM || type == S_IFIFO) throw;
        create_mount_point(path, true);
        sys::mount(host_node, path, "", MS_BIND, "",
                   "rung: no mknod in a user namespace, bind the host's node");
        return;
    }
    set_mode_and_owner(path, mode, uid, gid);
}

// config-linux.md, devices: "If a file already exists at path that does not match the requested
// device, the runtime MUST generate an error." One that matches is kept, with the mode and owner
// asked for; anything else at the path is never removed.
void make_config_device(const std::string& path, const Device& d) { // path: resolved
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    auto major = static_cast<unsigned>(d.major), minor = static_cast<unsigned>(d.minor);
    mode_t mode = d.file_mode.value_or(0666);
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) {
        if (errno != ENOENT) throw_errno("stat " + quote(path));
        mkdir_all(path.substr(0, path.rfind('/')), 0755);
        make_device(path, d.path, type, major, minor, mode, d.uid.value_or(0), d.gid.value_or(0));
        return;
    }
    bool same = (st.st_mode & S_IFMT) == type &&
                (type == S_IFIFO || (::major(st.st_rdev) == major && ::minor(st.st_rdev) == minor));
    if (!same) throw Error(quote(path) + " exists and is not the device asked for");
    set_mode_and_owner(path, mode, d.uid.value_or(0), d.gid.value_or(0));
}

void make_symlink(const std::string& target, const std::string& link) {
    if (something_at(link)) return;
    sys::symlink(target, link, "runtime-linux.md: dev symbolic links");
}

bool dev_is_bind_mounted(const Spec& spec) {
    for (const auto& m : spec.mounts)
        if (path_in_rootfs("", m.destination) == "/dev" && parse_mount_options(m.options).is_bind())
            return true;
    return false;
}

} // namespace

void setup_dev(const Spec& spec) {
    const std::string& rootfs = spec.root.path;
    // Every path below is resolved in the rootfs: an image's /dev may be a symlink, and so may
    // anything in it (resolve_in_rootfs).
    std::string dev = resolve_in_rootfs(rootfs, "/dev");
    // A /dev bound from the host is the host's own: a node made there, a chmod or the /dev/ptmx
    // link would change the host's /dev (its ptmx replaced by a link, and no new ptys). Leave
    // it as it is, with what it holds, as runc does.
    if (dev_is_bind_mounted(spec)) {
        log::trace("init", "config.md: mounts", quote(dev),
                   " is a bind mount: no devices or links are made in it");
        return;
    }
    mkdir_all(dev, 0755);
    auto configured = [&](const std::string& path) {
        return std::any_of(spec.linux.devices.begin(), spec.linux.devices.end(),
                           [&](const Device& d) { return path_in_rootfs("", d.path) == path; });
    };
    for (const auto& d : kDefaultDevices) // unless linux.devices says otherwise
        if (!configured(std::string("/dev/") + d.name)) {
            std::string path = resolve_in_rootfs(rootfs, std::string("/dev/") + d.name);
            mkdir_all(path.substr(0, path.rfind('/')), 0755);
            make_device(path, std::string("/dev/") + d.name, S_IFCHR, d.major, d.minor, 0666, 0, 0);
        }
    for (size_t i = 0; i < spec.linux.devices.size(); ++i) {
        const Device& d = spec.linux.devices[i];
        with_context("linux.devices[" + std::to_string(i) + "]",
                     [&] { make_config_device(resolve_in_rootfs(rootfs, d.path), d); });
    }
    // config-linux.md: /dev/ptmx is a symlink to the container's own devpts instance.
    if (is_directory(dev + "/pts")) {
        std::string ptmx = dev + "/ptmx";
        if (something_at(ptmx)) sys::unlink(ptmx, "config-linux.md: /dev/ptmx, a symlink");
        make_symlink("pts/ptmx", ptmx);
    }
    make_symlink("/proc/self/fd", dev + "/fd");
    make_symlink("/proc/self/fd/0", dev + "/stdin");
    make_symlink("/proc/self/fd/1", dev + "/stdout");
    make_symlink("/proc/self/fd/2", dev + "/stderr");
    // The mount point of /dev/console, made while /dev is surely writable (mount_console).
    if (spec.process.terminal) create_mount_point(resolve_in_rootfs(rootfs, "/dev/console"), true);
    // Without a mount there, /dev/shm is a directory anyone may use, as a tmpfs of mode 1777 is.
    std::string shm = resolve_in_rootfs(rootfs, "/dev/shm");
    if (!is_directory(shm)) {
        mkdir_all(shm);
        sys::chmod(shm, 01777, "rung: /dev/shm for everyone, as a tmpfs of mode 1777");
    }
}

// config.md, mounts: a /dev mounted "ro" was mounted writable so that setup_dev could make its
// nodes and links; now, after pivot_root, it becomes read-only, keeping its other flags (as runc
// does). Everything else under /dev was made before.
void finish_dev(const Spec& spec) {
    for (const auto& m : spec.mounts) {
        if (path_in_rootfs("", m.destination) != "/dev") continue;
        MountOptions o = parse_mount_options(m.options);
        if (o.is_bind() || !(o.flags & MS_RDONLY)) continue; // a bind got its "ro" already
        unsigned long keep = o.flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                        MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME);
        sys::mount("", "/dev", "", MS_BIND | MS_REMOUNT | MS_RDONLY | keep, "",
                   "config.md: mounts, /dev \"ro\" once its nodes are made");
    }
}

void mount_console(const std::string& pty) {
    sys::mount(pty, "/dev/console", "", MS_BIND, "", "config-linux.md: /dev/console, the pty");
}

} // namespace rung
