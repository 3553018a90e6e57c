// attack: the small escapes of tests/oci/05-process.bats, run inside a container.
//
//   attack ptrace PID   PTRACE_ATTACH to PID, then detach: prints "attached PID" or the errno
//   attack euid         prints "euid N": installed setuid root, it shows what execve gave
//   attack keyring      prints the serial and the description of the session keyring
//                       ("12ab34cd keyring;0;0;3f1b0000;_ses.ID"), for 02-engine.bats
//
// Busybox has no strace and no way to print an effective uid, so the suite copies this static
// program into the container's rootfs (busybox has no keyctl either). Exit status 0 when the
// attack worked, 1 when refused.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <linux/keyctl.h>
#include <string>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char** argv) {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "ptrace" && argc == 3) {
        pid_t pid = static_cast<pid_t>(std::atoi(argv[2]));
        if (::ptrace(PTRACE_ATTACH, pid, nullptr, nullptr) == -1) {
            std::printf("ptrace %d: %s\n", pid, std::strerror(errno));
            return 1;
        }
        int status;
        ::waitpid(pid, &status, 0);
        ::ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
        std::printf("attached %d\n", pid);
        return 0;
    }
    if (cmd == "euid" && argc == 2) {
        std::printf("euid %d\n", static_cast<int>(::geteuid()));
        return ::geteuid() == 0 ? 0 : 1;
    }
    if (cmd == "keyring" && argc == 2) {
        long ring = ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
        char desc[512] = "";
        if (ring == -1 ||
            ::syscall(SYS_keyctl, KEYCTL_DESCRIBE, ring, desc, sizeof desc - 1) == -1) {
            std::printf("keyctl: %s\n", std::strerror(errno));
            return 1;
        }
        std::printf("%lx %s\n", ring, desc);
        return 0;
    }
    std::fprintf(stderr, "usage: attack ptrace PID | attack euid | attack keyring\n");
    return 2;
}
