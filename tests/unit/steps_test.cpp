// The mount, /dev and namespace steps of init (phase 3 on), linked against the fake sys
// (fake_sys.hpp): each step's exact calls, flags and rules, without root and without touching the
// system. The rootfs is a TempDir, so what a step only looks at (lstat, readlink) is real.
#include "dev.hpp"
#include "fake_sys.hpp"
#include "namespaces.hpp"
#if RUNG_HAS_PATHS
#include "paths.hpp"
#endif
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/file.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

namespace fake_sys = rung::fake_sys;
using rung::Mount;
using rung::Spec;

namespace {

Mount mount_entry(std::string destination, std::string type, std::string source,
                  std::vector<std::string> options) {
    Mount m;
    m.destination = std::move(destination);
    m.type = std::move(type);
    m.source = std::move(source);
    m.options = std::move(options);
    return m;
}

std::vector<std::string> mount_args(const std::string& source, const std::string& target,
                                    const std::string& type, const std::string& data) {
    return {source, target, type, data};
}

// Phase 5 makes what is missing with mkdirat and openat relative to its parent's fd, and looks
// each new object up again (rootfs.hpp): let those calls really happen in the TempDir. Earlier
// phases make mount points with file.hpp's mkdir_all, which is real anyway.
void let_mount_points_be_made() {
    for (const char* call : {"mkdirat", "openat", "mknod"})
        fake_sys::pass_through(call);
}

} // namespace

TEST_CASE("mount_all: a filesystem mount takes its flags and its data in one call") {
    TempDir t;
    Spec spec;
    spec.root.path = t.path;
    spec.mounts = {mount_entry("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
                   mount_entry("/dev", "tmpfs", "tmpfs", {"nosuid", "mode=755", "size=64k"})};
    fake_sys::reset();
    let_mount_points_be_made();
    rung::mount_all(spec);
    auto mounts = fake_sys::calls_named("mount");
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[0].args == mount_args("proc", t.path + "/proc", "proc", ""));
    CHECK(mounts[0].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV));
    CHECK(mounts[0].rule == "config.md: mounts");
    CHECK(mounts[1].args == mount_args("tmpfs", t.path + "/dev", "tmpfs", "mode=755,size=64k"));
    CHECK(mounts[1].flags == MS_NOSUID);
}

TEST_CASE("mount_all: a read-only bind is a bind, then a remount; fs options never reach it") {
    TempDir t, src;
    Spec spec;
    spec.root.path = t.path;
    spec.mounts = {mount_entry("/mnt", "none", src.path, {"rbind", "ro", "nosuid", "mode=755"}),
                   mount_entry("/x", "none", src.path, {"bind", "rprivate", "rro"})};
    fake_sys::reset();
    let_mount_points_be_made();
    rung::mount_all(spec);
    auto mounts = fake_sys::calls_named("mount");
    REQUIRE(mounts.size() == 4);
    CHECK(mounts[0].args == mount_args(src.path, t.path + "/mnt", "", ""));
    CHECK(mounts[0].flags == (MS_BIND | MS_REC));
    CHECK(mounts[1].args == mount_args("", t.path + "/mnt", "", ""));
    CHECK(mounts[1].flags == (MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID));
    CHECK(mounts[2].flags == MS_BIND);
    CHECK(mounts[3].flags == (MS_PRIVATE | MS_REC)); // propagation: a call of its own
    auto attrs = fake_sys::calls_named("mount_setattr");
    REQUIRE(attrs.size() == 1);
    CHECK(attrs[0].args.at(1) == t.path + "/x");
}

TEST_CASE("mount_all: a /dev mounted ro is mounted writable; finish_dev remounts it read-only") {
    TempDir t;
    Spec spec;
    spec.root.path = t.path;
    spec.mounts = {mount_entry("/dev", "tmpfs", "tmpfs", {"nosuid", "ro", "mode=755"})};
    fake_sys::reset();
    let_mount_points_be_made();
    rung::mount_all(spec);
    REQUIRE(fake_sys::calls_named("mount").size() == 1);
    CHECK(fake_sys::calls_named("mount")[0].flags == MS_NOSUID);
    fake_sys::reset();
    let_mount_points_be_made();
    rung::finish_dev(spec);
    auto mounts = fake_sys::calls_named("mount");
    REQUIRE(mounts.size() == 1);
    CHECK(mounts[0].args == mount_args("", "/dev", "", ""));
    CHECK(mounts[0].flags == (MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID));
}

TEST_CASE("mount_all: a destination through an image's symlink lands inside the rootfs") {
    TempDir t;
    namespace fs = std::filesystem;
    fs::create_directories(t.path + "/real/conf");
    fs::create_symlink("/real/conf", t.path + "/conf");
    fs::create_symlink("/etc", t.path + "/out"); // the host's /etc, were it followed
    Spec spec;
    spec.root.path = t.path;
    spec.mounts = {mount_entry("/conf/x", "tmpfs", "tmpfs", {}),
                   mount_entry("/out", "tmpfs", "tmpfs", {})};
    fake_sys::reset();
    let_mount_points_be_made();
    rung::mount_all(spec);
    auto mounts = fake_sys::calls_named("mount");
    REQUIRE(mounts.size() == 2);
    CHECK(mounts[0].args.at(1) == t.path + "/real/conf/x");
    CHECK(mounts[1].args.at(1) == t.path + "/etc");
}

TEST_CASE("setup_dev: the default nodes with mknod, mode 0666, then the links") {
    TempDir t;
    std::filesystem::create_directories(t.path + "/dev/pts");
    Spec spec;
    spec.root.path = t.path;
    fake_sys::reset();
    let_mount_points_be_made();
    rung::setup_dev(spec);
    auto nodes = fake_sys::calls_named("mknod");
    REQUIRE(nodes.size() == 6);
    CHECK(nodes[0].args == std::vector<std::string>{t.path + "/dev/null", "1", "3"});
    CHECK(nodes[0].flags == (S_IFCHR | 0666));
    CHECK(nodes[0].rule == "config-linux.md: devices");
    CHECK(nodes[5].args == std::vector<std::string>{t.path + "/dev/tty", "5", "0"});
    auto chmods = fake_sys::calls_named("chmod");
    REQUIRE(chmods.size() >= 6);
    CHECK(chmods[0].flags == 0666); // exact: mknod's mode went through the umask
    auto links = fake_sys::calls_named("symlink");
    REQUIRE(links.size() == 5);
    CHECK(links[0].args == std::vector<std::string>{"pts/ptmx", t.path + "/dev/ptmx"});
    CHECK(links[1].args == std::vector<std::string>{"/proc/self/fd", t.path + "/dev/fd"});
}

TEST_CASE("setup_dev: without mknod (a user namespace) the host's node is bind mounted") {
    TempDir t;
    Spec spec;
    spec.root.path = t.path;
    fake_sys::reset();
    let_mount_points_be_made();
    fake_sys::fail("mknod", EPERM);
    rung::setup_dev(spec);
    auto mounts = fake_sys::calls_named("mount");
    REQUIRE(mounts.size() == 6);
    CHECK(mounts[0].args == mount_args("/dev/null", t.path + "/dev/null", "", ""));
    CHECK(mounts[0].flags == MS_BIND);
}

TEST_CASE("setup_dev: a linux.devices node through a symlink out of the rootfs stays inside") {
    TempDir t;
    std::filesystem::create_directories(t.path + "/dev");
    std::filesystem::create_symlink("../../../../../../tmp", t.path + "/dev/disks");
    Spec spec;
    spec.root.path = t.path;
    rung::Device d;
    d.type = "b";
    d.path = "/dev/disks/sda";
    d.major = 8;
    d.minor = 0;
    d.file_mode = 0600;
    spec.linux.devices = {d};
    fake_sys::reset();
    let_mount_points_be_made();
    rung::setup_dev(spec);
    auto nodes = fake_sys::calls_named("mknod");
    REQUIRE(nodes.size() == 7);
    CHECK(nodes[6].args == std::vector<std::string>{t.path + "/tmp/sda", "8", "0"});
    CHECK(nodes[6].flags == (S_IFBLK | 0600));
}

TEST_CASE("join_namespaces: setns each joined namespace, the mount namespace last") {
    rung::NamespacePlan plan;
    plan.join = {{CLONE_NEWNS, "mount", "/proc/self/ns/mnt"},
                 {CLONE_NEWNET, "network", "/proc/self/ns/net"},
                 {CLONE_NEWPID, "pid", "/proc/self/ns/pid"}}; // pid: the runtime's, before clone3
    fake_sys::reset();
    let_mount_points_be_made();
    rung::join_namespaces(plan);
    auto joins = fake_sys::calls_named("setns");
    REQUIRE(joins.size() == 2);
    CHECK(joins[0].flags == CLONE_NEWNET);
    CHECK(joins[1].flags == CLONE_NEWNS);
    CHECK(joins[0].rule == "config-linux.md: namespaces, path");
    auto opens = fake_sys::calls_named("open");
    REQUIRE(opens.size() == 2);
    CHECK(opens[0].args.at(0) == "/proc/self/ns/net");
}

#if RUNG_HAS_PATHS
// The paths are looked up in "/" (after pivot_root it is the rootfs): here the TempDir's, real.
TEST_CASE(
    "mask_paths: /dev/null over a file, a read-only tmpfs over a directory, nothing skipped") {
    TempDir t;
    std::filesystem::create_directories(t.path + "/dir");
    rung::write_file(t.path + "/file", "secret");
    Spec spec;
    spec.linux.masked_paths = {t.path + "/file", t.path + "/missing", t.path + "/dir"};
    fake_sys::reset();
    rung::mask_paths(spec);
    CHECK(fake_sys::call_names() == std::vector<std::string>{"open", "openat2", "open_tree",
                                                             "move_mount", "openat2", "openat2",
                                                             "fchdir", "mount", "chdir"});
    auto trees = fake_sys::calls_named("open_tree");
    CHECK(trees[0].args.at(1) == "/dev/null");
    CHECK(trees[0].flags == (OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    CHECK(fake_sys::calls_named("move_mount")[0].flags ==
          (MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH));
    auto mounts = fake_sys::calls_named("mount");
    CHECK(mounts[0].args == mount_args("tmpfs", ".", "tmpfs", ""));
    CHECK(mounts[0].flags == MS_RDONLY);
    CHECK(mounts[0].rule == "config-linux.md: maskedPaths");
}

TEST_CASE("readonly_paths: a detached recursive bind made read-only, then moved in place") {
    TempDir t;
    Spec spec;
    spec.linux.readonly_paths = {t.path + "/missing", t.path};
    fake_sys::reset();
    rung::readonly_paths(spec);
    CHECK(fake_sys::call_names() == std::vector<std::string>{"open", "openat2", "openat2",
                                                             "open_tree", "mount_setattr",
                                                             "move_mount"});
    CHECK(fake_sys::calls_named("open_tree")[0].flags ==
          (OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
    auto attrs = fake_sys::calls_named("mount_setattr");
    CHECK(attrs[0].flags == AT_EMPTY_PATH); // the top mount only, as runc's remount
    CHECK(attrs[0].args.at(2) == std::to_string(MOUNT_ATTR_RDONLY));
    CHECK(attrs[0].args.at(3) == "0");
}
#endif
