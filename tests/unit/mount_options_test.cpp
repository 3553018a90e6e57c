// The mount option table (phase 3 on): config.md "Linux mount options".
#include "mount_options.hpp"
#include "rung/error.hpp"

#include <doctest/doctest.h>
#include <sys/mount.h>

using rung::Error;
using rung::MountOptions;
using rung::parse_mount_options;

TEST_CASE("flags set and clear in order, as mount(8) reads them") {
    auto o = parse_mount_options({"nosuid", "nodev", "noexec", "ro"});
    CHECK(o.flags == (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY));
    CHECK(parse_mount_options({"ro", "rw"}).flags == 0);
    CHECK(parse_mount_options({"nosuid", "suid"}).flags == 0);
    CHECK(parse_mount_options({"defaults"}).flags == 0);
    CHECK(parse_mount_options({"noatime", "atime"}).flags == 0);
    CHECK(parse_mount_options({"strictatime"}).flags == MS_STRICTATIME);
    CHECK(parse_mount_options({"relatime", "norelatime"}).flags == 0);
    CHECK(parse_mount_options({"sync", "async"}).flags == 0);
    CHECK(parse_mount_options({"nodiratime", "dirsync", "mand", "lazytime", "silent"}).flags ==
          (MS_NODIRATIME | MS_DIRSYNC | MS_MANDLOCK | MS_LAZYTIME | MS_SILENT));
    CHECK(parse_mount_options({"nosymfollow"}).flags == MS_NOSYMFOLLOW);
    CHECK(parse_mount_options({"remount"}).flags == MS_REMOUNT);
}

TEST_CASE("bind and rbind") {
    auto bind = parse_mount_options({"bind", "ro"});
    CHECK(bind.is_bind());
    CHECK(bind.flags == (MS_BIND | MS_RDONLY));
    auto rbind = parse_mount_options({"rbind"});
    CHECK(rbind.flags == (MS_BIND | MS_REC));
    CHECK_FALSE(parse_mount_options({"nosuid"}).is_bind());
}

TEST_CASE("propagation takes its own call; the last one wins") {
    CHECK(parse_mount_options({"private"}).propagation == MS_PRIVATE);
    CHECK(parse_mount_options({"rprivate"}).propagation == (MS_PRIVATE | MS_REC));
    CHECK(parse_mount_options({"rshared"}).propagation == (MS_SHARED | MS_REC));
    CHECK(parse_mount_options({"slave"}).propagation == MS_SLAVE);
    CHECK(parse_mount_options({"rslave"}).propagation == (MS_SLAVE | MS_REC));
    CHECK(parse_mount_options({"runbindable"}).propagation == (MS_UNBINDABLE | MS_REC));
    CHECK(parse_mount_options({"shared", "unbindable"}).propagation == MS_UNBINDABLE);
    CHECK(parse_mount_options({"rprivate", "nosuid"}).flags == MS_NOSUID);
}

TEST_CASE("recursive options become mount_setattr attributes") {
    auto o = parse_mount_options({"rbind", "rro", "rnosuid", "rnodev", "rnoexec"});
    CHECK(o.attr_set ==
          (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
    CHECK(o.attr_clr == 0);
    auto undo = parse_mount_options({"rro", "rrw"});
    CHECK(undo.attr_set == 0);
    CHECK(undo.attr_clr == MOUNT_ATTR_RDONLY);
    auto atime = parse_mount_options({"rnoatime"});
    CHECK(atime.attr_set == MOUNT_ATTR_NOATIME);
    CHECK(atime.attr_clr == MOUNT_ATTR__ATIME);
    CHECK(parse_mount_options({"rstrictatime"}).attr_set == MOUNT_ATTR_STRICTATIME);
    CHECK(parse_mount_options({"rnosymfollow"}).attr_set == MOUNT_ATTR_NOSYMFOLLOW);
}

TEST_CASE("unknown words are filesystem data, in order") {
    auto o = parse_mount_options({"nosuid", "mode=755", "size=65536k", "newinstance"});
    CHECK(o.flags == MS_NOSUID);
    CHECK(o.data_string() == "mode=755,size=65536k,newinstance");
}

TEST_CASE("a bind mount keeps its filesystem data apart: init ignores it with a warning") {
    auto o = parse_mount_options({"rbind", "mode=755", "size=1k"});
    CHECK(o.is_bind());
    CHECK(o.flags == (MS_BIND | MS_REC));
    CHECK(o.data_string() == "mode=755,size=1k");
}

TEST_CASE("idmap is recognised, tmpcopyup is refused") {
    CHECK(parse_mount_options({"bind", "idmap"}).idmap);
    CHECK(parse_mount_options({"ridmap"}).idmap);
    CHECK_THROWS_AS(parse_mount_options({"tmpcopyup"}), Error);
}

TEST_CASE("a mount entry is refused before anything is mounted: bind type, idmap") {
    auto entry = [](std::string type, std::vector<std::string> options) {
        rung::Mount m;
        m.destination = "/mnt";
        m.type = std::move(type);
        m.source = "/src";
        m.options = std::move(options);
        return m;
    };
    CHECK(rung::mount_options_of(entry("bind", {"rbind", "ro"})).is_bind());
    CHECK(rung::mount_options_of(entry("none", {"bind"})).is_bind());
    CHECK_FALSE(rung::mount_options_of(entry("tmpfs", {"size=1k"})).is_bind());
    // config.md: the options make a bind mount, never the type alone.
    CHECK_THROWS_WITH_AS(rung::mount_options_of(entry("bind", {"ro"})),
                         doctest::Contains("type \"bind\" without a \"bind\" or \"rbind\""), Error);
    CHECK_THROWS_WITH_AS(rung::mount_options_of(entry("none", {"bind", "idmap"})),
                         doctest::Contains("idmapped mounts"), Error);
    CHECK(rung::mount_options_of(entry("none", {"bind", "nosuch"})).is_bind());
}
