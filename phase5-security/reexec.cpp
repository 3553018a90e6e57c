// reexec: the runtime runs from a sealed copy of itself (reexec.hpp says why and how).
#include "reexec.hpp"

#include "rung/error.hpp"
#include "rung/fd.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace rung {
namespace {

constexpr std::string_view kRule = "CVE-2019-5736: no container process may write the runtime";

// Everything that would let anyone change the copy, its size or its seals.
constexpr unsigned int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

// The marker that we did it already: the binary we run from carries all the seals. A regular
// file cannot carry seals at all.
bool running_from_sealed_copy(int exe) {
    int seals = sys::get_seals(exe, kRule);
    return seals != -1 && (static_cast<unsigned>(seals) & kSeals) == kSeals;
}

// MFD_EXEC (Linux 6.3, 0x10; older headers lack it) asks for an executable memfd where the
// vm.memfd_noexec sysctl would make it non-executable by default. Older kernels refuse the
// flag (EINVAL), and execute any memfd.
constexpr unsigned int kMfdExec = 0x0010U;

unique_fd executable_memfd() {
    try {
        return sys::memfd_create("rung", MFD_CLOEXEC | MFD_ALLOW_SEALING | kMfdExec, kRule);
    } catch (const Error& e) {
        if (e.err() != EINVAL) throw;
    }
    return sys::memfd_create("rung", MFD_CLOEXEC | MFD_ALLOW_SEALING, kRule);
}

unique_fd sealed_copy_of(int exe) {
    unique_fd copy = executable_memfd();
    while (sys::sendfile(copy.get(), exe, size_t{1} << 30, kRule) > 0) {
    }
    sys::add_seals(copy.get(), kSeals, kRule);
    return copy;
}

// Our argv exactly as the kernel holds it, NUL-separated.
std::vector<std::string> own_argv() {
    std::string cmdline = read_file("/proc/self/cmdline");
    std::vector<std::string> argv;
    for (size_t start = 0; start < cmdline.size();) {
        size_t end = cmdline.find('\0', start);
        if (end == std::string::npos) end = cmdline.size();
        argv.push_back(cmdline.substr(start, end - start));
        start = end + 1;
    }
    return argv;
}

std::vector<std::string> own_env() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e)
        env.emplace_back(*e);
    return env;
}

// An execve(2) names the process (/proc/self/comm, what ps and pgrep -x show) after its file;
// from a memfd the kernel may call it "memfd:rung". Give it back the name its own exec gave it.
void keep_own_name(const std::vector<std::string>& argv) {
    std::string name = argv.empty() ? "rung" : argv[0].substr(argv[0].rfind('/') + 1);
    name = name.substr(0, 15); // TASK_COMM_LEN - 1
    log::trace("rung", kRule, "write(\"/proc/self/comm\", ", quote(name), ")");
    write_file("/proc/self/comm", name);
}

} // namespace

void run_from_sealed_copy() {
    unique_fd exe = sys::open("/proc/self/exe", O_RDONLY | O_CLOEXEC, 0, kRule);
    if (running_from_sealed_copy(exe.get())) {
        keep_own_name(own_argv());
        return;
    }
    unique_fd copy = sealed_copy_of(exe.get());
    sys::fexecve(copy.get(), "a sealed copy of the runtime", own_argv(), own_env(), kRule);
}

void hide_from_container() {
    sys::prctl(PR_SET_DUMPABLE, 0, 0,
               "CVE-2019-5736: /proc/<pid> of the runtime stays closed to the container");
}

} // namespace rung
