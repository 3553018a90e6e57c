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
#include <deque>
#include <fcntl.h>
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

std::string resolve_in_rootfs(const std::string& rootfs, const std::string& path) {
    std::string root = rootfs;
    while (root.size() > 1 && root.back() == '/')
        root.pop_back();
    auto split = [](const std::string& p) {
        std::deque<std::string> parts;
        std::istringstream in(p);
        for (std::string part; std::getline(in, part, '/');)
            if (!part.empty() && part != ".") parts.push_back(part);
        return parts;
    };
    auto host_path = [&](const std::vector<std::string>& parts) {
        std::string out = root;
        for (const auto& p : parts)
            out += "/" + p;
        return out;
    };
    std::vector<std::string> done; // resolved: no symlink among them, no ".."
    std::deque<std::string> todo = split(path);
    int links = 0;
    while (!todo.empty()) {
        std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == "..") {
            if (!done.empty()) done.pop_back(); // ".." of the rootfs is the rootfs, as of "/"
            continue;
        }
        done.push_back(part);
        std::string here = host_path(done);
        struct stat st;
        if (::lstat(here.c_str(), &st) == -1 || !S_ISLNK(st.st_mode)) continue; // not there: made
        // path_resolution(7): at most 40 links in one lookup, then ELOOP.
        if (++links > 40) throw Error("resolve " + quote(path) + " in the rootfs", ELOOP);
        char target[PATH_MAX];
        ssize_t n = ::readlink(here.c_str(), target, sizeof target - 1);
        if (n == -1) throw_errno("readlink " + quote(here));
        std::string link(target, static_cast<size_t>(n));
        done.pop_back();
        if (link.starts_with('/')) done.clear(); // absolute: from the rootfs, the container's "/"
        std::deque<std::string> more = split(link);
        todo.insert(todo.begin(), more.begin(), more.end());
    }
    return host_path(done);
}

void create_mount_point(const std::string& target, bool file) {
    if (path_exists(target)) return;
    size_t slash = target.rfind('/');
    mkdir_all(target.substr(0, slash), 0755);
    if (!file) {
        mkdir_all(target, 0755);
        return;
    }
    sys::open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0644,
              "config.md: mounts, a file mount point");
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

void mount_one(const std::string& rootfs, const Mount& m) {
    MountOptions o = mount_options_of(m);
    std::string target = resolve_in_rootfs(rootfs, m.destination);
    // dev.cpp makes the nodes in /dev, then finish_dev() applies "ro" (config.md: mounts).
    if (!o.is_bind() && path_in_rootfs("", m.destination) == "/dev") o.flags &= ~MS_RDONLY;
    if (o.is_bind()) {
        if (!o.data.empty())
            log::warn("mount " + quote(m.destination) + ": a bind mount takes no filesystem " +
                      "options, ignoring " + quote(o.data_string()));
        struct stat st;
        if (::stat(m.source.c_str(), &st) == -1) throw_errno("bind source " + quote(m.source));
        create_mount_point(target, !S_ISDIR(st.st_mode));
        sys::mount(m.source, target, "", o.flags & (MS_BIND | MS_REC), "",
                   "config.md: mounts, bind");
        // A bind mount ignores every flag but MS_BIND|MS_REC; the others need a remount.
        unsigned long rest = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (rest != 0)
            sys::mount("", target, "", MS_BIND | MS_REMOUNT | rest, "",
                       "config.md: bind mount options");
        fault::point("init:mount-bind");
    } else {
        create_mount_point(target, false);
        // OCI "cgroup" means "the container's view of cgroups": on a v2 or hybrid host that
        // is a cgroup2 mount (phase 4 explains the hierarchies).
        std::string type = m.type == "cgroup" ? "cgroup2" : m.type;
        sys::mount(m.source, target, type, o.flags, o.data_string(), "config.md: mounts");
        fault::point("init:mount-fs");
    }
    if (o.propagation != 0)
        sys::mount("", target, "", o.propagation, "", "config.md: mount propagation option");
    if (o.attr_set != 0 || o.attr_clr != 0) {
        struct mount_attr attr {};
        attr.attr_set = o.attr_set;
        attr.attr_clr = o.attr_clr;
        sys::mount_setattr(AT_FDCWD, target, AT_RECURSIVE, attr,
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
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        const Mount& m = spec.mounts[i];
        with_context("mounts[" + std::to_string(i) + "] " + quote(m.destination),
                     [&] { mount_one(spec.root.path, m); });
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
