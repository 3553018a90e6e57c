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
#include <fcntl.h>
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

constexpr std::string_view kDevicesRule = "config-linux.md: devices, path inside the rootfs";

// A path in /dev, made of its parent's fd and its last component: "/proc/self/fd/7/null".
// mknod, unlink and symlink never follow the last component, and the parent is the directory
// the lookup found (rootfs.hpp), so nothing made here can land outside the rootfs.
struct InDir {
    unique_fd parent;
    std::string name;
    std::string at() const { return fd_path(parent.get()) + "/" + name; }
};

InDir in_rootfs(int root, const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/')
        p.pop_back();
    size_t slash = p.rfind('/');
    return {make_in_rootfs(root, p.substr(0, slash + 1), Leaf::directory, kDevicesRule),
            p.substr(slash + 1)};
}

// mknod's mode is filtered by the umask; the spec's fileMode is exact. Set through an O_PATH fd
// of the node itself, never by a name that a symlink swapped in could send elsewhere.
void set_mode_and_owner(const InDir& node, mode_t mode, uid_t uid, gid_t gid) {
    unique_fd fd = sys::openat(node.parent.get(), node.name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                               "config-linux.md: devices, the node just made");
    sys::chmod(fd_path(fd.get()), mode, "config-linux.md: devices, fileMode");
    sys::chown(fd_path(fd.get()), uid, gid, "config-linux.md: devices, uid and gid");
}

// Whether anything, even a dangling symlink, is at `path`.
bool something_at(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

// `node` is in the rootfs; `host_node` is the host's node of the same device.
void make_device(const InDir& node, const std::string& host_node, mode_t type, unsigned major,
                 unsigned minor, mode_t mode, uid_t uid, gid_t gid) {
    std::string path = node.at();
    if (something_at(path)) sys::unlink(path, "config-linux.md: devices, replace what is there");
    try {
        sys::mknod(path, type | mode, makedev(major, minor), "config-linux.md: devices");
    } catch (const Error& e) {
        if (e.err() != EPERM || type == S_IFIFO) throw;
        sys::openat(node.parent.get(), node.name,
                    O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644,
                    "config.md: mounts, a file mount point");
        unique_fd target =
            sys::openat(node.parent.get(), node.name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
                        "config-linux.md: devices");
        sys::mount(host_node, fd_path(target.get()), "", MS_BIND, "",
                   "rung: no mknod in a user namespace, bind the host's node");
        return;
    }
    set_mode_and_owner(node, mode, uid, gid);
}

// config-linux.md, devices: "If a file already exists at path that does not match the requested
// device, the runtime MUST generate an error." One that matches is kept, with the mode and owner
// asked for; anything else at the path is never removed.
void make_config_device(const InDir& node, const Device& d) {
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    auto major = static_cast<unsigned>(d.major), minor = static_cast<unsigned>(d.minor);
    mode_t mode = d.file_mode.value_or(0666);
    struct stat st;
    if (::lstat(node.at().c_str(), &st) == -1) {
        if (errno != ENOENT) throw_errno("stat " + quote(d.path));
        make_device(node, d.path, type, major, minor, mode, d.uid.value_or(0), d.gid.value_or(0));
        return;
    }
    bool same = (st.st_mode & S_IFMT) == type &&
                (type == S_IFIFO || (::major(st.st_rdev) == major && ::minor(st.st_rdev) == minor));
    if (!same) throw Error(quote(d.path) + " exists and is not the device asked for");
    set_mode_and_owner(node, mode, d.uid.value_or(0), d.gid.value_or(0));
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
    // A /dev bound from the host is the host's own: a node made there, a chmod or the /dev/ptmx
    // link would change the host's /dev (its ptmx replaced by a link, and no new ptys). Leave
    // it as it is, with what it holds, as runc does.
    if (dev_is_bind_mounted(spec)) {
        log::trace("init", "config.md: mounts", "\"/dev\" is a bind mount: no devices or links ",
                   "are made in it");
        return;
    }
    // Every path below is looked up in the rootfs by the kernel (rootfs.hpp): an image's /dev
    // may be a symlink, and so may anything in it.
    unique_fd root = open_rootfs(spec.root.path);
    unique_fd dev = make_in_rootfs(root.get(), "/dev", Leaf::directory, kDevicesRule);
    std::string at = fd_path(dev.get());
    auto configured = [&](const std::string& path) {
        return std::any_of(spec.linux.devices.begin(), spec.linux.devices.end(),
                           [&](const Device& d) { return path_in_rootfs("", d.path) == path; });
    };
    for (const auto& d : kDefaultDevices) // unless linux.devices says otherwise
        if (!configured(std::string("/dev/") + d.name))
            make_device(in_rootfs(root.get(), std::string("/dev/") + d.name),
                        std::string("/dev/") + d.name, S_IFCHR, d.major, d.minor, 0666, 0, 0);
    for (size_t i = 0; i < spec.linux.devices.size(); ++i) {
        const Device& d = spec.linux.devices[i];
        with_context("linux.devices[" + std::to_string(i) + "]",
                     [&] { make_config_device(in_rootfs(root.get(), d.path), d); });
    }
    // config-linux.md: /dev/ptmx is a symlink to the container's own devpts instance.
    if (is_directory(at + "/pts")) {
        std::string ptmx = at + "/ptmx";
        if (something_at(ptmx)) sys::unlink(ptmx, "config-linux.md: /dev/ptmx, a symlink");
        make_symlink("pts/ptmx", ptmx);
    }
    make_symlink("/proc/self/fd", at + "/fd");
    make_symlink("/proc/self/fd/0", at + "/stdin");
    make_symlink("/proc/self/fd/1", at + "/stdout");
    make_symlink("/proc/self/fd/2", at + "/stderr");
    // The mount point of /dev/console, made while /dev is surely writable (mount_console).
    if (spec.process.terminal)
        make_in_rootfs(root.get(), "/dev/console", Leaf::file, "config-linux.md: /dev/console");
    // Without a mount there, /dev/shm is a directory anyone may use, as a tmpfs of mode 1777 is.
    try {
        open_in_rootfs(root.get(), "/dev/shm", kDevicesRule);
    } catch (const Error& e) {
        if (e.err() != ENOENT) throw;
        unique_fd shm = make_in_rootfs(root.get(), "/dev/shm", Leaf::directory, kDevicesRule);
        sys::chmod(fd_path(shm.get()), 01777,
                   "rung: /dev/shm for everyone, as a tmpfs of mode 1777");
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

// After pivot_root "/" is the rootfs, and the container may have no /proc: bind the pty with
// the mount API, fd to fd, onto what the lookup in "/" found (rootfs.hpp).
void mount_console(const std::string& pty) {
    unique_fd root = open_rootfs("/");
    unique_fd console = open_in_rootfs(root.get(), "/dev/console", "config-linux.md: /dev/console");
    unique_fd tree = sys::open_tree(AT_FDCWD, pty, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC,
                                    "config-linux.md: /dev/console, the pty");
    sys::move_mount(tree.get(), "", console.get(), "",
                    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH,
                    "config-linux.md: /dev/console, the pty");
}

} // namespace rung
