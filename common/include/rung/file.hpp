// rung/file.hpp: whole-file and whole-buffer I/O that retries EINTR and short transfers.
#pragma once

#include "rung/fd.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace rung {

// open(2) that throws: `open "path": No such file or directory`.
unique_fd open_file(const std::string& path, int flags, mode_t mode = 0);

// Read until `len` bytes or EOF; returns the count (short only at EOF).
size_t read_full(int fd, void* buf, size_t len);
// Write all of `data`, looping on short writes and EINTR.
void write_full(int fd, std::string_view data);

std::string read_file(const std::string& path);

// The most read_regular_file() reads by default: config.json, state.json and a --process file
// are kilobytes; anything near this is a mistake or an attack.
inline constexpr size_t kMaxFileSize = 16u << 20; // 16 MiB

// Read a whole file that must be a regular file of at most `max` bytes: untrusted input. A FIFO
// (opened O_NONBLOCK, so it cannot hang us), a device such as /dev/zero, a directory or a socket
// is an error, as is a file over `max`. Symlinks are followed. Errors read
// `cannot read "PATH": a FIFO, not a regular file`.
std::string read_regular_file(const std::string& path, size_t max = kMaxFileSize);
// Read an fd that is a stream (stdin, a pipe) to EOF, at most `max` bytes: `update -r -`.
// Errors name `what`: `cannot read standard input: larger than 16 MiB`.
std::string read_stream(int fd, const std::string& what, size_t max = kMaxFileSize);
void write_file(const std::string& path, std::string_view data, mode_t mode = 0644);
// Write to "<path>.tmp.<pid>", then rename over `path` (no fsync: file.cpp says why): a reader
// sees the old content or the new one, never half of it.
void write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644);

bool path_exists(const std::string& path);
bool is_directory(const std::string& path);
// mkdir -p; existing directories are fine.
void mkdir_all(const std::string& path, mode_t mode = 0755);

} // namespace rung
