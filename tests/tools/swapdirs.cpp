// swapdirs A B: exchange the names A and B (renameat2 RENAME_EXCHANGE) in a tight loop until
// killed. Each exchange is atomic: at every moment one name is what the other was. The OCI
// suite's mount race test (05-paths.bats) swaps a directory of the rootfs with a symlink out of
// it while `rung create` mounts onto the directory, as the CVE-2021-30465 attack does.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: swapdirs A B\n");
        return 2;
    }
    for (;;)
        if (::renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == -1) {
            std::fprintf(stderr, "swapdirs: exchange %s and %s: %s\n", argv[1], argv[2],
                         std::strerror(errno));
            return 1;
        }
}
