// The rootfs steps (phase 3 on): where mount destinations land inside the rootfs.
#include "rootfs.hpp"
#include "rung/error.hpp"
#include "rung/sys.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <filesystem>

using rung::path_in_rootfs;

TEST_CASE("mount destinations stay inside the rootfs") {
    CHECK(path_in_rootfs("/r", "/proc") == "/r/proc");
    CHECK(path_in_rootfs("/r/", "dev//pts/") == "/r/dev/pts");
    CHECK(path_in_rootfs("/r", "/../../etc") == "/r/etc");
    CHECK(path_in_rootfs("/r", "/a/./b/../c") == "/r/a/c");
    CHECK(path_in_rootfs("/r", "/") == "/r");
}

namespace {

// An image that points out of itself: absolute, relative and ".." links, and a loop.
void hostile_rootfs(const std::string& r) {
    namespace fs = std::filesystem;
    fs::create_directories(r + "/real/conf");
    fs::create_directories(r + "/a/b");
    fs::create_symlink("/real/conf", r + "/conf");           // absolute, inside
    fs::create_symlink("/etc", r + "/etc-link");             // absolute: the rootfs's /etc
    fs::create_symlink("../../../../../../etc", r + "/rel"); // relative, .. past the root
    fs::create_symlink("../..", r + "/a/b/up");              // a .. chain
    fs::create_symlink("real/conf", r + "/relconf");         // relative, inside
    fs::create_symlink("self", r + "/self");                 // a loop
}

} // namespace

#if RUNG_ROOTFS_PHASE < 5
TEST_CASE("resolve_in_rootfs follows symlinks as if the rootfs were /") {
    TempDir t;
    const std::string& r = t.path;
    namespace fs = std::filesystem;
    hostile_rootfs(r);
    CHECK(rung::resolve_in_rootfs(r, "/conf/x") == r + "/real/conf/x");
    CHECK(rung::resolve_in_rootfs(r, "/etc-link/passwd") == r + "/etc/passwd");
    CHECK(rung::resolve_in_rootfs(r, "/rel/shadow") == r + "/etc/shadow");
    CHECK(rung::resolve_in_rootfs(r, "/a/b/up/up/x") == r + "/up/x");
    CHECK(rung::resolve_in_rootfs(r, "/a/b/up/relconf") == r + "/real/conf");
    CHECK(rung::resolve_in_rootfs(r, "/../../x/./y/") == r + "/x/y");
    CHECK(rung::resolve_in_rootfs(r, "/") == r);
    CHECK(rung::resolve_in_rootfs(r + "/", "missing/dir") == r + "/missing/dir");
    CHECK_THROWS_WITH_AS(rung::resolve_in_rootfs(r, "/self/x"),
                         doctest::Contains("Too many levels of symbolic links"), rung::Error);
}
#else
// Phase 5: the kernel resolves (openat2 RESOLVE_IN_ROOT) and make_in_rootfs makes what is missing,
// through fds; the same hostile links as phase 3 land in the same places.
TEST_CASE("make_in_rootfs follows symlinks as if the rootfs were / and makes what is missing") {
    TempDir t;
    const std::string& r = t.path;
    namespace fs = std::filesystem;
    hostile_rootfs(r);
    fs::create_directories(r + "/etc");
    fs::create_symlink("/tmp/rung-nowhere/d", r + "/dangling"); // to what is not there
    rung::unique_fd root = rung::open_rootfs(r);
    auto made = [&](const std::string& path, rung::Leaf leaf = rung::Leaf::directory) {
        rung::unique_fd fd = rung::make_in_rootfs(root.get(), path, leaf);
        std::string s = rung::sys::fd_string(fd.get());
        return s.substr(s.find('<') + 1, s.size() - s.find('<') - 2);
    };
    CHECK(made("/conf/x") == r + "/real/conf/x");
    CHECK(made("/etc-link/passwd", rung::Leaf::file) == r + "/etc/passwd");
    CHECK(fs::is_regular_file(r + "/etc/passwd"));
    CHECK(made("/rel/shadow") == r + "/etc/shadow");
    CHECK(made("/a/b/up/up/x") == r + "/up/x");
    CHECK(made("/a/b/up/relconf") == r + "/real/conf");
    CHECK(made("/../../x/./y/") == r + "/x/y");
    CHECK(made("/") == r);
    CHECK(made("missing/dir") == r + "/missing/dir");
    CHECK(made("/dangling/sub") == r + "/tmp/rung-nowhere/d/sub");
    CHECK_FALSE(fs::exists("/tmp/rung-nowhere"));
    CHECK_THROWS_WITH_AS(made("/self/x"), doctest::Contains("Too many levels of symbolic links"),
                         rung::Error);
    CHECK_THROWS_WITH_AS(rung::open_in_rootfs(root.get(), "/nothing"),
                         doctest::Contains("No such file or directory"), rung::Error);
}
#endif
