#include "rung/file.hpp"

#include "rung/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {

unique_fd open_file(const std::string& path, int flags, mode_t mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd < 0) throw_errno("open " + quote(path));
    return unique_fd(fd);
}

size_t read_full(int fd, void* buf, size_t len) {
    auto* p = static_cast<char*>(buf);
    size_t done = 0;
    while (done < len) {
        ssize_t n = ::read(fd, p + done, len - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("read fd " + std::to_string(fd));
        }
        if (n == 0) break;
        done += static_cast<size_t>(n);
    }
    return done;
}

void write_full(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("write fd " + std::to_string(fd));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

std::string read_file(const std::string& path) {
    unique_fd fd = open_file(path, O_RDONLY);
    std::string out;
    char buf[8192];
    for (;;) {
        size_t n = read_full(fd.get(), buf, sizeof buf);
        out.append(buf, n);
        if (n < sizeof buf) return out;
    }
}

namespace {

const char* file_kind(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFIFO:
        return "a FIFO";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFDIR:
        return "a directory";
    case S_IFSOCK:
        return "a socket";
    default:
        return "a special file";
    }
}

std::string size_string(size_t bytes) {
    if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    return std::to_string(bytes) + " bytes";
}

} // namespace

std::string read_regular_file(const std::string& path, size_t max) {
    std::string what = "cannot read " + quote(path);
    int raw = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (raw == -1) throw_errno(what);
    unique_fd fd(raw);
    struct stat st;
    check(::fstat(fd.get(), &st), what);
    if (!S_ISREG(st.st_mode))
        throw Error(what + ": " + file_kind(st.st_mode) + ", not a regular file");
    std::string too_big = what + ": larger than " + size_string(max);
    if (static_cast<uint64_t>(st.st_size) > max) throw Error(too_big);
    // st_size can lie (a file that grows, or one of /proc's): read at most max + 1 bytes.
    std::string out(max + 1 < 65536 ? max + 1 : static_cast<size_t>(st.st_size) + 1, '\0');
    size_t done = 0;
    for (;;) {
        if (done == out.size()) out.resize(std::min(out.size() * 2, max + 1));
        size_t n = with_context(
            what, [&] { return read_full(fd.get(), out.data() + done, out.size() - done); });
        done += n;
        if (done > max) throw Error(too_big);
        if (done < out.size()) break;
    }
    out.resize(done);
    return out;
}

std::string read_stream(int fd, const std::string& what, size_t max) {
    std::string out;
    char buf[65536];
    for (;;) {
        size_t n = with_context("cannot read " + what,
                                [&] { return read_full(fd, buf, std::min(sizeof buf, max + 1)); });
        out.append(buf, n);
        if (out.size() > max)
            throw Error("cannot read " + what + ": larger than " + size_string(max));
        if (n == 0) return out;
    }
}

void write_file(const std::string& path, std::string_view data, mode_t mode) {
    unique_fd fd = open_file(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    with_context("write " + quote(path), [&] { write_full(fd.get(), data); });
    fd.close();
}

// No fsync (file.hpp's contract is atomicity, not durability): rename(2) alone is atomic for
// readers, and what rung writes this way (state, pid files, under /run, a tmpfs) describes
// processes that a crash takes along, so it need not survive one. Each fsync cost a journal
// commit on a disk-backed --root.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    ScopeGuard remove_tmp([&] { ::unlink(tmp.c_str()); });
    {
        unique_fd fd = open_file(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
        with_context("write " + quote(tmp), [&] { write_full(fd.get(), data); });
        fd.close();
    }
    check(::rename(tmp.c_str(), path.c_str()), "rename " + quote(tmp) + " to " + quote(path));
    remove_tmp.dismiss();
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void mkdir_all(const std::string& path, mode_t mode) {
    if (path.empty()) return;
    for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
        std::string part = path.substr(0, pos);
        if (::mkdir(part.c_str(), mode) == -1 && errno != EEXIST)
            throw_errno("mkdir " + quote(part));
        if (pos == std::string::npos) break;
    }
    if (!is_directory(path))
        throw Error("mkdir " + quote(path) + ": exists and is not a directory");
}

} // namespace rung
