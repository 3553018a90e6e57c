// preflight: every check create makes before it creates anything.
#include "preflight.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"

#include <algorithm>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {
namespace {

// execve(2) fails with E2BIG when one string of argv or envp is longer than MAX_ARG_STRLEN (32
// pages), or when all of them with their pointers fill more than a quarter of the stack limit
// (sysconf's ARG_MAX, at most 6 MiB: three quarters of _STK_LIM). Found here, not at start.
void check_exec_size(const Process& p, const std::string& where) {
    constexpr size_t kMaxArgStrlen = 32 * 4096;
    constexpr long kMaxStack = 6L << 20;
    size_t total = (std::max<size_t>(p.args.size(), 1) + p.env.size()) * sizeof(char*);
    for (const auto* list : {&p.args, &p.env}) {
        const char* name = list == &p.args ? ".args" : ".env";
        for (size_t i = 0; i < list->size(); ++i) {
            size_t n = (*list)[i].size() + 1;
            if (n > kMaxArgStrlen)
                throw Error(where + name + "[" + std::to_string(i) + "] is " + std::to_string(n) +
                            " bytes: execve(2) takes at most " + std::to_string(kMaxArgStrlen));
            total += n;
        }
    }
    size_t limit = static_cast<size_t>(std::min(::sysconf(_SC_ARG_MAX), kMaxStack));
    if (total > limit)
        throw Error(where + ": args and env take " + std::to_string(total) +
                    " bytes: execve(2) takes at most " + std::to_string(limit));
}

} // namespace

void check_process(const Process& p, const std::string& where) {
    check_exec_size(p, where);
}

// runtime-spec state: bundle is an absolute path. Resolve it now, while "." still means the
// caller's directory.
std::string absolute_bundle(const std::string& bundle) {
    char* resolved = ::realpath(bundle.c_str(), nullptr);
    if (!resolved) throw_errno("bundle " + quote(bundle));
    std::string out(resolved);
    std::free(resolved);
    if (!is_directory(out)) throw Error("bundle " + quote(bundle), ENOTDIR);
    return out;
}

// config.md, root.path: absolute, or relative to the bundle; a directory MUST exist there.
std::string check_rootfs(const std::string& bundle, const std::string& path) {
    std::string rootfs = path[0] == '/' ? path : bundle + "/" + path;
    struct stat st;
    if (::stat(rootfs.c_str(), &st) == -1) throw_errno("root.path " + quote(rootfs));
    if (!S_ISDIR(st.st_mode)) throw Error("root.path " + quote(rootfs), ENOTDIR);
    return rootfs;
}

} // namespace rung
