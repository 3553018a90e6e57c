// preflight: every check create makes before it creates anything.
#include "preflight.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"

#include <cstdlib>
#include <sys/stat.h>

namespace rung {

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
