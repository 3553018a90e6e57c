// The rootfs steps (phase 3 on): where mount destinations land inside the rootfs.
#include "rootfs.hpp"
#include "rung/error.hpp"
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

TEST_CASE("resolve_in_rootfs follows symlinks as if the rootfs were /") {
    TempDir t;
    const std::string& r = t.path;
    namespace fs = std::filesystem;
    fs::create_directories(r + "/real/conf");
    fs::create_directories(r + "/a/b");
    fs::create_symlink("/real/conf", r + "/conf");           // absolute, inside
    fs::create_symlink("/etc", r + "/etc-link");             // absolute: the rootfs's /etc
    fs::create_symlink("../../../../../../etc", r + "/rel"); // relative, .. past the root
    fs::create_symlink("../..", r + "/a/b/up");              // a .. chain
    fs::create_symlink("real/conf", r + "/relconf");         // relative, inside
    fs::create_symlink("self", r + "/self");                 // a loop
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
