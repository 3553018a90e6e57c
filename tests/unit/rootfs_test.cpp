// The rootfs steps (phase 3 on): where mount destinations land inside the rootfs.
#include "rootfs.hpp"

#include <doctest/doctest.h>

using rung::path_in_rootfs;

TEST_CASE("mount destinations stay inside the rootfs") {
    CHECK(path_in_rootfs("/r", "/proc") == "/r/proc");
    CHECK(path_in_rootfs("/r/", "dev//pts/") == "/r/dev/pts");
    CHECK(path_in_rootfs("/r", "/../../etc") == "/r/etc");
    CHECK(path_in_rootfs("/r", "/a/./b/../c") == "/r/a/c");
    CHECK(path_in_rootfs("/r", "/") == "/r");
}
