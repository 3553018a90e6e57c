// mounts: build the container's filesystem view.
//
// Everything here runs in init, inside the new mount namespace, before the user's process. The
// order matters and mirrors runtime.md "create" step 2: propagation first (so nothing leaks to
// the host), then the rootfs as a mount point, the configured mounts on top, /dev, and finally
// pivot_root to make the rootfs "/".
#include "mounts.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace rung {
namespace {

// config.md "Linux mount options", the flags of mount(8). `clear` options undo a flag that
// an earlier option (or a default) set: "rw" after "ro", "suid" after "nosuid".
struct FlagOption {
    const char* name;
    bool clear;
    unsigned long flag;
};
constexpr FlagOption kFlagOptions[] = {
    {"async", true, MS_SYNCHRONOUS},
    {"atime", true, MS_NOATIME},
    {"bind", false, MS_BIND},
    {"defaults", false, 0},
    {"dev", true, MS_NODEV},
    {"diratime", true, MS_NODIRATIME},
    {"dirsync", false, MS_DIRSYNC},
    {"exec", true, MS_NOEXEC},
    {"iversion", false, MS_I_VERSION},
    {"noiversion", true, MS_I_VERSION},
    {"lazytime", false, MS_LAZYTIME},
    {"nolazytime", true, MS_LAZYTIME},
    {"loud", true, MS_SILENT},
    {"silent", false, MS_SILENT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"noatime", false, MS_NOATIME},
    {"nodev", false, MS_NODEV},
    {"nodiratime", false, MS_NODIRATIME},
    {"noexec", false, MS_NOEXEC},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nosymfollow", false, MS_NOSYMFOLLOW},
    {"symfollow", true, MS_NOSYMFOLLOW},
    {"rbind", false, MS_BIND | MS_REC},
    {"remount", false, MS_REMOUNT},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"sync", false, MS_SYNCHRONOUS},
};

// Propagation is not a flag of the mount itself: it takes its own mount(2) call.
struct PropagationOption {
    const char* name;
    unsigned long flags;
};
constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// The recursive forms (kernel 5.12+) go through mount_setattr(2) with AT_RECURSIVE. The atime
// options replace the whole atime field, so they also clear MOUNT_ATTR__ATIME.
struct AttrOption {
    const char* name;
    uint64_t set;
    uint64_t clr;
};
constexpr AttrOption kAttrOptions[] = {
    {"rro", MOUNT_ATTR_RDONLY, 0},
    {"rrw", 0, MOUNT_ATTR_RDONLY},
    {"rnosuid", MOUNT_ATTR_NOSUID, 0},
    {"rsuid", 0, MOUNT_ATTR_NOSUID},
    {"rnodev", MOUNT_ATTR_NODEV, 0},
    {"rdev", 0, MOUNT_ATTR_NODEV},
    {"rnoexec", MOUNT_ATTR_NOEXEC, 0},
    {"rexec", 0, MOUNT_ATTR_NOEXEC},
    {"rnodiratime", MOUNT_ATTR_NODIRATIME, 0},
    {"rdiratime", 0, MOUNT_ATTR_NODIRATIME},
    {"rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0},
    {"rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW},
    {"rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME},
    {"rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
    {"rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME},
    {"rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME},
};

template <class Table>
const auto* find_option(const Table& table, const std::string& name) {
    for (const auto& entry : table)
        if (name == entry.name) return &entry;
    return static_cast<decltype(&table[0])>(nullptr);
}

} // namespace

bool MountOptions::is_bind() const {
    return (flags & MS_BIND) != 0;
}

std::string MountOptions::data_string() const {
    std::string out;
    for (const auto& d : data)
        out += (out.empty() ? "" : ",") + d;
    return out;
}

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions o;
    for (const auto& name : options) {
        if (const auto* f = find_option(kFlagOptions, name)) {
            o.flags = f->clear ? (o.flags & ~f->flag) : (o.flags | f->flag);
        } else if (const auto* p = find_option(kPropagationOptions, name)) {
            o.propagation = p->flags;
        } else if (const auto* a = find_option(kAttrOptions, name)) {
            // The later option wins: it takes its bits out of the other set. The atime options
            // clear the whole MOUNT_ATTR__ATIME field and set one value inside it.
            o.attr_clr = (o.attr_clr & ~a->set) | a->clr;
            o.attr_set = (o.attr_set & ~a->clr) | a->set;
        } else if (name == "idmap" || name == "ridmap") {
            o.idmap = true;
        } else if (name == "tmpcopyup") {
            throw Error("mount option \"tmpcopyup\" is not supported");
        } else {
            o.data.push_back(name);
        }
    }
    if (o.is_bind() && !o.data.empty())
        throw Error("unknown mount option " + quote(o.data.front()) +
                    " (a bind mount has no filesystem to pass it to)");
    return o;
}

MountOptions mount_options_of(const Mount& m) {
    MountOptions o = parse_mount_options(m.options);
    if (o.idmap) throw Error("idmapped mounts need a user namespace, which phase 5 adds");
    // config.md: "A mount is a bind mount if it has either bind or rbind in the options." The type
    // alone makes none, and mount(2) would answer a puzzling ENODEV for a filesystem "bind".
    if (m.type == "bind" && !o.is_bind())
        throw Error("type \"bind\" without a \"bind\" or \"rbind\" option: the options make a "
                    "bind mount");
    return o;
}

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

} // namespace rung

namespace rung {
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

void do_mount(const std::string& source, const std::string& target, const std::string& type,
              unsigned long flags, const std::string& data, std::string_view rule) {
    log::trace("init", rule, "mount(", quote(source), ", ", quote(target), ", ", quote(type), ", ",
               sys::mount_flags_string(flags), data.empty() ? "" : ", " + quote(data), ")");
    sys::mount(source, target, type, flags, data);
}

// A bind mount target must be of the same kind as its source: a file over a file.
void create_mount_point(const std::string& target, bool file) {
    if (path_exists(target)) return;
    size_t slash = target.rfind('/');
    mkdir_all(target.substr(0, slash), 0755);
    if (!file) {
        mkdir_all(target, 0755);
        return;
    }
    unique_fd fd(::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
    if (!fd) throw_errno("create mount point " + quote(target));
}

void mount_one(const std::string& rootfs, const Mount& m) {
    MountOptions o = mount_options_of(m);
    std::string target = path_in_rootfs(rootfs, m.destination);
    if (o.is_bind()) {
        struct stat st;
        if (::stat(m.source.c_str(), &st) == -1) throw_errno("bind source " + quote(m.source));
        create_mount_point(target, !S_ISDIR(st.st_mode));
        do_mount(m.source, target, "", o.flags & (MS_BIND | MS_REC), "", "config.md: mounts, bind");
        // A bind mount ignores every flag but MS_BIND|MS_REC; the others need a remount.
        unsigned long rest = o.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (rest != 0)
            do_mount("", target, "", MS_BIND | MS_REMOUNT | rest, "",
                     "config.md: bind mount options");
    } else {
        create_mount_point(target, false);
        // OCI "cgroup" means "the container's view of cgroups": on a v2 or hybrid host that
        // is a cgroup2 mount (phase 4 explains the hierarchies).
        std::string type = m.type == "cgroup" ? "cgroup2" : m.type;
        do_mount(m.source, target, type, o.flags, o.data_string(), "config.md: mounts");
    }
    if (o.propagation != 0)
        do_mount("", target, "", o.propagation, "", "config.md: mount propagation option");
    if (o.attr_set != 0 || o.attr_clr != 0) {
        struct mount_attr attr {};
        attr.attr_set = o.attr_set;
        attr.attr_clr = o.attr_clr;
        log::trace("init", "config.md: recursive mount options", "mount_setattr(", quote(target),
                   ", AT_RECURSIVE, set=0x", std::hex, o.attr_set, ", clr=0x", o.attr_clr, ")");
        check(::mount_setattr(AT_FDCWD, target.c_str(), AT_RECURSIVE, &attr, sizeof attr),
              "mount_setattr " + quote(target));
    }
}

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
    check(::chmod(path.c_str(), mode), "chmod " + quote(path));
    check(::chown(path.c_str(), uid, gid), "chown " + quote(path));
}

void make_device(const std::string& path, mode_t type, unsigned major, unsigned minor, mode_t mode,
                 uid_t uid, gid_t gid) {
    if (path_exists(path)) check(::unlink(path.c_str()), "remove " + quote(path));
    log::trace("init", "config-linux.md: devices", "mknod(", quote(path), ", ",
               type == S_IFCHR   ? "S_IFCHR"
               : type == S_IFBLK ? "S_IFBLK"
                                 : "S_IFIFO",
               "|0", std::oct, mode, std::dec, ", makedev(", major, ", ", minor, "))");
    if (::mknod(path.c_str(), type | mode, makedev(major, minor)) == -1) {
        if (errno != EPERM || type == S_IFIFO) throw_errno("mknod " + quote(path));
        std::string host = "/dev/" + path.substr(path.rfind('/') + 1);
        create_mount_point(path, true);
        do_mount(host, path, "", MS_BIND, "", "no mknod in a user namespace: bind the host node");
        return;
    }
    set_mode_and_owner(path, mode, uid, gid);
}

// config-linux.md, devices: "If a file already exists at path that does not match the requested
// device, the runtime MUST generate an error." One that matches is kept, with the mode and owner
// asked for; anything else at the path is never removed.
void make_config_device(const std::string& path, const Device& d) {
    mode_t type = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    auto major = static_cast<unsigned>(d.major), minor = static_cast<unsigned>(d.minor);
    mode_t mode = d.file_mode.value_or(0666);
    struct stat st;
    if (::lstat(path.c_str(), &st) == -1) {
        if (errno != ENOENT) throw_errno("stat " + quote(path));
        mkdir_all(path.substr(0, path.rfind('/')), 0755);
        make_device(path, type, major, minor, mode, d.uid.value_or(0), d.gid.value_or(0));
        return;
    }
    bool same = (st.st_mode & S_IFMT) == type &&
                (type == S_IFIFO || (::major(st.st_rdev) == major && ::minor(st.st_rdev) == minor));
    if (!same) throw Error(quote(path) + " exists and is not the device asked for");
    log::trace("init", "config-linux.md: devices, the node is there already", "chmod/chown(",
               quote(path), ")");
    set_mode_and_owner(path, mode, d.uid.value_or(0), d.gid.value_or(0));
}

void make_symlink(const std::string& target, const std::string& link) {
    if (path_exists(link)) return;
    log::trace("init", "runtime-linux.md: dev symbolic links", "symlink(", quote(target), ", ",
               quote(link), ")");
    check(::symlink(target.c_str(), link.c_str()), "symlink " + quote(link));
}

bool dev_is_bind_mounted(const Spec& spec) {
    for (const auto& m : spec.mounts)
        if (path_in_rootfs("", m.destination) == "/dev" && parse_mount_options(m.options).is_bind())
            return true;
    return false;
}

} // namespace

void prepare_rootfs(const Spec& spec) {
    const std::string& rootfs = spec.root.path;
    do_mount("", "/", "", propagation_before_pivot(spec.linux.rootfs_propagation), "",
             "config-linux.md: rootfsPropagation");
    // A bind of a directory on a slave mount is a slave of the same master: with "slave" the
    // rootfs mount receives what the host mounts under the rootfs later.
    do_mount(rootfs, rootfs, "", MS_BIND | MS_REC, "",
             "the new root must be a mount point to pivot to");
}

void mount_all(const Spec& spec) {
    for (size_t i = 0; i < spec.mounts.size(); ++i) {
        const Mount& m = spec.mounts[i];
        with_context("mounts[" + std::to_string(i) + "] " + quote(m.destination),
                     [&] { mount_one(spec.root.path, m); });
    }
}

void setup_dev(const Spec& spec) {
    std::string dev = path_in_rootfs(spec.root.path, "/dev");
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
        if (!configured(std::string("/dev/") + d.name))
            make_device(dev + "/" + d.name, S_IFCHR, d.major, d.minor, 0666, 0, 0);
    for (size_t i = 0; i < spec.linux.devices.size(); ++i) {
        const Device& d = spec.linux.devices[i];
        with_context("linux.devices[" + std::to_string(i) + "]",
                     [&] { make_config_device(path_in_rootfs(spec.root.path, d.path), d); });
    }
    // config-linux.md: /dev/ptmx is a symlink to the container's own devpts instance.
    if (is_directory(dev + "/pts")) {
        std::string ptmx = dev + "/ptmx";
        if (path_exists(ptmx)) ::unlink(ptmx.c_str());
        make_symlink("pts/ptmx", ptmx);
    }
    make_symlink("/proc/self/fd", dev + "/fd");
    make_symlink("/proc/self/fd/0", dev + "/stdin");
    make_symlink("/proc/self/fd/1", dev + "/stdout");
    make_symlink("/proc/self/fd/2", dev + "/stderr");
    // The mount point of /dev/console, made while /dev is surely writable (mount_console).
    if (spec.process.terminal) create_mount_point(dev + "/console", true);
    // Without a mount there, /dev/shm is a directory anyone may use, as a tmpfs of mode 1777 is.
    if (!is_directory(dev + "/shm")) {
        mkdir_all(dev + "/shm");
        check(::chmod((dev + "/shm").c_str(), 01777), "chmod " + quote(dev + "/shm"));
    }
}

void mount_console(const std::string& pty) {
    do_mount(pty, "/dev/console", "", MS_BIND, "", "config-linux.md: /dev/console, the pty");
}

void enter_rootfs(const std::string& rootfs, bool no_pivot) {
    if (no_pivot) {
        // An initramfs root cannot be pivoted away; move the rootfs over "/" and chroot. The
        // old root stays reachable to a privileged process, as docs/03-bundle.md explains.
        log::trace("init", "rung --no-pivot", "chdir(", quote(rootfs), ")");
        sys::chdir(rootfs);
        do_mount(rootfs, "/", "", MS_MOVE, "", "rung --no-pivot");
        log::trace("init", "rung --no-pivot", "chroot(\".\")");
        sys::chroot(".");
        sys::chdir("/");
        return;
    }
    // pivot_root(".", "."): the new root becomes "/", and the old root is stacked on top of it
    // at the same place. Unmounting "." once removes the old root; no directory to clean up.
    unique_fd old_root = open_file("/", O_DIRECTORY | O_RDONLY);
    unique_fd new_root = open_file(rootfs, O_DIRECTORY | O_RDONLY);
    check(::fchdir(new_root.get()), "fchdir " + quote(rootfs));
    log::trace("init", "runtime-spec: root.path", "pivot_root(\".\", \".\")");
    check(static_cast<int>(::syscall(SYS_pivot_root, ".", ".")), "pivot_root " + quote(rootfs));
    check(::fchdir(old_root.get()), "fchdir to the old root");
    // The old root is a slave of the host's mounts: unmounting it must not propagate back.
    do_mount("", ".", "", MS_SLAVE | MS_REC, "", "detach the old root without touching the host");
    log::trace("init", "", "umount2(\".\", MNT_DETACH)");
    sys::umount2(".", MNT_DETACH);
    log::trace("init", "", "chdir(\"/\")");
    sys::chdir("/");
}

void finish_rootfs(const Spec& spec) {
    // config-linux.md, rootfsPropagation: "shared" puts the rootfs mount in a new peer group
    // (not the host's: it was made private before the pivot); "unbindable" makes it a private
    // mount that cannot be bind mounted. Both describe the new "/" itself, so they wait for it.
    const std::string& mode = spec.linux.rootfs_propagation;
    if (mode == "shared" || mode == "unbindable")
        do_mount("", "/", "", mode == "shared" ? MS_SHARED : MS_UNBINDABLE, "",
                 "config-linux.md: rootfsPropagation");
    if (!spec.root.readonly) return;
    // A bind remount sets all per-mount flags at once: keep the ones "/" already has.
    struct statvfs vfs;
    check(::statvfs("/", &vfs), "statvfs \"/\"");
    unsigned long keep = 0;
    if (vfs.f_flag & ST_NOSUID) keep |= MS_NOSUID;
    if (vfs.f_flag & ST_NODEV) keep |= MS_NODEV;
    if (vfs.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
    do_mount("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY | keep, "", "config.md: root.readonly");
}

} // namespace rung
