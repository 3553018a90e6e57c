// attack: the small escapes of tests/oci/05-process.bats, run inside a container.
//
//   attack ptrace PID   PTRACE_ATTACH to PID, then detach: prints "attached PID" or the errno
//   attack euid         prints "euid N": installed setuid root, it shows what execve gave
//
// Busybox has no strace and no way to print an effective uid, so the suite copies this static
// program into the container's rootfs. Exit status 0 when the attack worked, 1 when refused.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/ptrace.h>
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
    std::fprintf(stderr, "usage: attack ptrace PID | attack euid\n");
    return 2;
}
