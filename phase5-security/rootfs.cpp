// rootfs: build the container's filesystem view.
//
// Everything here runs in init, inside the new mount namespace, before the user's process. The
// order matters and mirrors runtime.md "create" step 2: propagation first (so nothing leaks to
// the host), then the rootfs as a mount point, the configured mounts on top, /dev (dev.cpp), and
// finally pivot_root to make the rootfs "/". In a mount namespace that is not the container's
// own (shared with the runtime, or joined by path) only /dev and a chroot(2) remain.
#include "rootfs.hpp"

#include "mount_options.hpp"
#include "rung/error.hpp"
#include "rung/fault.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <climits>
#include <fcntl.h>
#include <linux/openat2.h>
#include <set>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace rung {

std::string path_in_rootfs(const std::string& rootfs, const std::string& destination) {
    std::vector<std::string> parts;
    std::istringstream in(destination);
    for (std::string part; std::getline(in, part, '/');) {
        if (part.empty() || part == ".") continue;
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
            continue;
        }
        parts.push_back(part);
    }
    std::string out = rootfs;
    while (out.size() > 1 && out.back() == '/')
        out.pop_back();
    for (const auto& p : parts)
        out += "/" + p;
    return out;
}

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

unique_fd open_rootfs(const std::string& rootfs) {
    return sys::open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                     "rung: the rootfs, the root of every lookup in it");
}

unique_fd open_in_rootfs(int root, const std::string& path, std::string_view rule) {
    // RESOLVE_IN_ROOT: the kernel walks `path` as if `root` were "/", an absolute symlink starting
    // again at it and ".." stopping at it, and checks it again on every step, so a component
    // swapped while we walk cannot lead out. RESOLVE_NO_MAGICLINKS: no /proc/self/fd/N or
    // /proc/self/root on the way, which would jump anywhere.
    return sys::openat2(root, path.empty() ? "." : path, O_PATH | O_CLOEXEC,
                        RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, rule);
}

unique_fd make_in_rootfs(int root, const std::string& path, Leaf leaf, std::string_view rule,
                         int links) {
    try {
        return open_in_rootfs(root, path, rule);
    } catch (const Error& e) {
        if (e.err() != ENOENT) throw;
    }
    std::string p = path; // "a/b/./" is "a/b"
    while (p.size() > 1 && (p.ends_with('/') || p.ends_with("/.")))
        p.pop_back();
    size_t slash = p.rfind('/');
    std::string parent_path = slash == std::string::npos ? "." : p.substr(0, slash + 1);
    std::string name = slash == std::string::npos ? p : p.substr(slash + 1);
    // The parent first, made the same way; then the last component in it, by name relative to
    // the parent's fd, never by a path string a swap could redirect.
    unique_fd parent = make_in_rootfs(root, parent_path, Leaf::directory, rule, links);
    if (name == "..") return open_in_rootfs(root, path, rule); // "x/..": x was what was missing
    try {
        if (leaf == Leaf::directory)
            sys::mkdirat(parent.get(), name, 0755, rule);
        else
            sys::openat(parent.get(), name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                        0644, rule);
    } catch (const Error& e) {
        if (e.err() != EEXIST) throw;
        // Something is there that the lookup did not find: a symlink to what does not exist.
        // Make its target instead, in the rootfs, as phase 3 did.
        char target[PATH_MAX];
        ssize_t n = ::readlinkat(parent.get(), name.c_str(), target, sizeof target - 1);
        if (n == -1 && errno == EINVAL) return open_in_rootfs(root, path, rule); // made meanwhile
        if (n == -1) throw_errno("readlink " + quote(path) + " in the rootfs");
        // path_resolution(7): at most 40 links in one lookup, then ELOOP.
        if (++links > 40) throw Error("resolve " + quote(path) + " in the rootfs", ELOOP);
        std::string link(target, static_cast<size_t>(n));
        make_in_rootfs(root, link.starts_with('/') ? link : parent_path + "/" + link, leaf, rule,
                       links);
    }
    return open_in_rootfs(root, path, rule);
}

bool in_user_namespace() {
    try {
        std::istringstream in(read_file("/proc/self/uid_map"));
        uint64_t first = 0, host = 0, size = 0;
        in >> first >> host >> size;
        return !(first == 0 && host == 0 && size == 4294967295u);
    } catch (const Error&) {
        return false;
    }
}

bool rootless_runtime() {
    return ::geteuid() != 0 || in_user_namespace();
}

namespace {

// config-linux.md "rootfsPropagation", the part applied before pivot_root: slave for "slave" and
// when unset (as runc: the host's later mounts still reach the container, nothing flows back),
// private for the others. Applied recursively from "/", it leaves no mount of the namespace
// shared, which is what pivot_root(2) asks of the new root's parent and of the old root.
unsigned long propagation_before_pivot(const std::string& mode) {
    if (mode.empty() || mode == "slave") return MS_SLAVE | MS_REC;
    if (mode == "private" || mode == "shared" || mode == "unbindable") return MS_PRIVATE | MS_REC;
    throw Error("linux.rootfsPropagation: unknown mode " + quote(mode));
}

// config-linux.md, mountLabel: the SELinux context of the container's filesystems, as a
// context= option (preflight checked that SELinux is on). As runc does, not for a bind mount
// (its files keep their labels), nor for proc, sysfs, cgroup and mqueue, which label their own.
Mount with_mount_label(Mount m, const std::string& label) {
    static const std::set<std::string> own_labels = {"proc", "sysfs", "cgroup", "cgroup2",
                                                     "mqueue"};
    if (!label.empty() && !mount_options_of(m).is_bind() && !own_labels.count(m.type))
        m.options.push_back("context=\"" + label + "\"");
    return m;
}

// A sysfs belongs to the network namespace of whoever mounts it, a cgroup2 to the cgroup
// namespace: in a user namespace without one of its own the kernel refuses a new mount (EPERM),
// and runc binds the host's /sys (or /sys/fs/cgroup) instead, recursively, with the flags asked
// for; "ro" for every mount below it too. (Rootless podman runs the runtime in its own user
// namespace and asks for no cgroup namespace.) A bind remount in a user namespace may add flags
// but not clear the host's (they are locked): those are kept. The remount acts on the new mount,
// so the destination is looked up again.
void bind_host(int root, const Mount& m, int fd, unsigned long flags) {
    std::string source = m.type == "sysfs" ? "/sys" : "/sys/fs/cgroup";
    sys::mount(source, fd_path(fd), "", MS_BIND | MS_REC, "",
               "runc: " + m.type + " in a user namespace without its own " +
                   (m.type == "sysfs" ? "network" : "cgroup") + " namespace");
    unique_fd again = open_in_rootfs(root, m.destination);
    std::string target = fd_path(again.get());
    struct statvfs vfs;
    check(::statvfs(target.c_str(), &vfs), "statvfs " + quote(target));
    unsigned long keep = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    if (vfs.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (vfs.f_flag & ST_NODEV) keep |= MS_NODEV;
    if (vfs.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    if (vfs.f_flag & ST_NOATIME) keep |= MS_NOATIME;
    if (vfs.f_flag & ST_NODIRATIME) keep |= MS_NODIRATIME;
    if (vfs.f_flag & ST_RELATIME) keep |= MS_RELATIME;
    sys::mount("", target, "", MS_BIND | MS_REMOUNT | keep, "", "config.md: mounts, sysfs options");
    if (!(flags & MS_RDONLY)) return;
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    sys::mount_setattr(AT_FDCWD, target, AT_RECURSIVE, attr,
                       "rung: the host's mounts below it read-only too");
}

// One entry, mounted onto the fd of its destination: the kernel is given "/proc/self/fd/N", the
// object the lookup found, not a path to look up again (init still sees the host's /proc here).
// A mount covers the directory the old fd names, so what acts on the new mount (the remount of a
// bind, propagation, recursive options) looks the destination up again, in the rootfs too.
void mount_one(int root, const Mount& m) {
    MountOptions o = mount_options_of(m);
    // dev.cpp makes the nodes in /dev, then finish_dev() applies "ro" (config.md: mounts).
    if (!o.is_bind() && path_in_rootfs("", m.destination) == "/dev") o.flags &= ~MS_RDONLY;
    unique_fd target;
    if (o.is_bind()) {
        if (!o.data.empty())
            log::warn("mount " + quote(m.destination) + ": a bind mount takes no filesystem " +
                      "options, ignoring " + quote(o.data_string()));
        struct stat st;
        if (::stat(m.source.c_str(), &st) == -1) throw_errno("bind source " + quote(m.source));
        target =
            make_in_rootfs(root, m.destination, S_ISDIR(st.st_mode) ? Leaf::directory : Leaf::file);
        log::trace("init", "config.md: mounts, destination", quote(m.destination), " is ",
                   sys::fd_string(target.get()));
        sys::mount(m.source, fd_path(target.get()), "", o.flags & (MS_BIND | MS_REC), "",
                   "config.md: mounts, bind");
        target = open_in_rootfs(root, m.destination);
        // A bind mount ignores every flag but MS_BIND|MS_REC; the others need a remount.
        unsigned long rest = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (rest != 0)
            sys::mount("", fd_path(target.get()), "", MS_BIND | MS_REMOUNT | rest, "",
                       "config.md: bind mount options");
        fault::point("init:mount-bind");
    } else {
        target = make_in_rootfs(root, m.destination, Leaf::directory);
        log::trace("init", "config.md: mounts, destination", quote(m.destination), " is ",
                   sys::fd_string(target.get()));
        // OCI "cgroup" means "the container's view of cgroups": on a v2 or hybrid host that
        // is a cgroup2 mount (phase 4 explains the hierarchies).
        std::string type = m.type == "cgroup" ? "cgroup2" : m.type;
        try {
            sys::mount(m.source, fd_path(target.get()), type, o.flags, o.data_string(),
                       "config.md: mounts");
        } catch (const Error& e) {
            bool host_bound = type == "sysfs" || type == "cgroup2";
            // EBUSY, as runc takes it: the destination is the root of a mount of this very
            // cgroup2 already (the host's, under a /sys bound recursively, on a unified host),
            // and the kernel refuses the same filesystem twice on one mount point.
            bool busy = type == "cgroup2" && e.err() == EBUSY;
            if (!host_bound || (e.err() != EPERM && !busy) || !in_user_namespace()) throw;
            bind_host(root, m, target.get(), o.flags);
        }
        if (o.propagation != 0 || o.attr_set != 0 || o.attr_clr != 0)
            target = open_in_rootfs(root, m.destination);
        fault::point("init:mount-fs");
    }
    if (o.propagation != 0)
        sys::mount("", fd_path(target.get()), "", o.propagation, "",
                   "config.md: mount propagation option");
    if (o.attr_set != 0 || o.attr_clr != 0) {
        struct mount_attr attr {};
        attr.attr_set = o.attr_set;
        attr.attr_clr = o.attr_clr;
        sys::mount_setattr(AT_FDCWD, fd_path(target.get()), AT_RECURSIVE, attr,
                           "config.md: mounts, recursive options");
    }
}

} // namespace

void prepare_rootfs(const Spec& spec, bool own_namespace) {
    const std::string& rootfs = spec.root.path;
    // A mount namespace the container shares (the runtime's) or joined is not its to change:
    // its propagation stays as it is, and nothing is mounted in it (preflight refused mounts).
    if (!own_namespace) return;
    sys::mount("", "/", "", propagation_before_pivot(spec.linux.rootfs_propagation), "",
               "config-linux.md: rootfsPropagation");
    // A bind of a directory on a slave mount is a slave of the same master: with "slave" the
    // rootfs mount receives what the host mounts under the rootfs later.
    sys::mount(rootfs, rootfs, "", MS_BIND | MS_REC, "",
               "pivot_root(2): the new root must be a mount point");
}

void mount_all(const Spec& spec) {
    if (spec.mounts.empty()) return;
    unique_fd root = open_rootfs(spec.root.path);
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        const Mount& m = spec.mounts[i];
        with_context("mounts[" + std::to_string(i) + "] " + quote(m.destination),
                     [&] { mount_one(root.get(), with_mount_label(m, spec.linux.mount_label)); });
    }
}

void enter_rootfs(const std::string& rootfs, bool no_pivot, bool own_namespace) {
    if (!own_namespace) {
        // pivot_root(2) would move the root of every process of the namespace that was at the
        // old one: the host's, or the other container's. chroot(2) changes ours alone; a
        // privileged process can leave it, as docs/03-bundle.md explains.
        sys::chdir(rootfs, "config.md: root.path");
        sys::chroot(".", "config.md: root.path, in a mount namespace not the container's own");
        sys::chdir("/");
        return;
    }
    if (no_pivot) {
        // An initramfs root cannot be pivoted away; move the rootfs over "/" and chroot. The
        // old root stays reachable to a privileged process, as docs/03-bundle.md explains.
        sys::chdir(rootfs, "rung: --no-pivot");
        sys::mount(rootfs, "/", "", MS_MOVE, "", "rung: --no-pivot");
        sys::chroot(".", "rung: --no-pivot");
        sys::chdir("/");
        return;
    }
    // pivot_root(".", "."): the new root becomes "/", and the old root is stacked on top of it
    // at the same place. Unmounting "." once removes the old root; no directory to clean up.
    unique_fd old_root = open_file("/", O_DIRECTORY | O_RDONLY);
    unique_fd new_root = open_file(rootfs, O_DIRECTORY | O_RDONLY);
    sys::fchdir(new_root.get());
    sys::pivot_root(".", ".", "config.md: root.path");
    sys::fchdir(old_root.get());
    // The old root is a slave of the host's mounts: unmounting it must not propagate back.
    sys::mount("", ".", "", MS_SLAVE | MS_REC, "",
               "rung: detach the old root without touching the host");
    sys::umount2(".", MNT_DETACH);
    sys::chdir("/");
}

void finish_rootfs(const Spec& spec) {
    // config-linux.md, rootfsPropagation: "shared" puts the rootfs mount in a new peer group
    // (not the host's: it was made private before the pivot); "unbindable" makes it a private
    // mount that cannot be bind mounted. Both describe the new "/" itself, so they wait for it.
    const std::string& mode = spec.linux.rootfs_propagation;
    if (mode == "shared" || mode == "unbindable")
        sys::mount("", "/", "", mode == "shared" ? MS_SHARED : MS_UNBINDABLE, "",
                   "config-linux.md: rootfsPropagation");
    if (!spec.root.readonly) return;
    // A bind remount sets all per-mount flags at once: keep the ones "/" already has.
    struct statvfs vfs;
    check(::statvfs("/", &vfs), "statvfs \"/\"");
    unsigned long keep = 0;
    if (vfs.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (vfs.f_flag & ST_NODEV) keep |= MS_NODEV;
    if (vfs.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    sys::mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY | keep, "",
               "config.md: root.readonly");
}

} // namespace rung
