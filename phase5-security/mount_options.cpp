// mount_options: what a mount's "options" array means to the kernel (config.md, "Linux mount
// options"). A pure table: nothing here touches the system, so tests/unit checks all of it.
#include "mount_options.hpp"

#include "rung/error.hpp"

#include <sys/mount.h>

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
    return o;
}

MountOptions mount_options_of(const Mount& m) {
    MountOptions o = parse_mount_options(m.options);
    if (o.idmap) throw Error("idmapped mounts (idmap, ridmap) are not supported");
    // config.md: "A mount is a bind mount if it has either bind or rbind in the options." The type
    // alone makes none, and mount(2) would answer a puzzling ENODEV for a filesystem "bind".
    if (m.type == "bind" && !o.is_bind())
        throw Error("type \"bind\" without a \"bind\" or \"rbind\" option: the options make a "
                    "bind mount");
    return o;
}

std::vector<std::string> mount_option_names() {
    std::vector<std::string> out;
    for (const auto& f : kFlagOptions)
        out.emplace_back(f.name);
    for (const auto& p : kPropagationOptions)
        out.emplace_back(p.name);
    for (const auto& a : kAttrOptions)
        out.emplace_back(a.name);
    return out;
}

} // namespace rung
