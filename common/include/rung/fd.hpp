// rung/fd.hpp: a move-only owner for a file descriptor, and a scope guard.
//
// Every kernel resource rung holds is owned by an object that releases it on destruction, so an
// error thrown halfway through create() cannot leak an fd, a mount or a state directory.
// Modelled on folly's File: the destructor closes silently; close() reports failure.
#pragma once

#include <functional>
#include <utility>

namespace rung {

class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    ~unique_fd() { reset(); }

    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) reset(o.release());
        return *this;
    }

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }
    // Give up ownership without closing.
    int release() noexcept { return std::exchange(fd_, -1); }
    // Close the current fd (errors ignored; close is never retried on EINTR, see close(2)) and
    // take ownership of `fd`.
    void reset(int fd = -1) noexcept;
    // Close now and throw an Error if the kernel reports a failure (for example a deferred
    // write error on NFS).
    void close();

private:
    int fd_ = -1;
};

// Runs a rollback action at scope exit unless dismiss() was called: the step is committed.
class ScopeGuard {
public:
    explicit ScopeGuard(std::function<void()> undo) : undo_(std::move(undo)) {}
    ~ScopeGuard() {
        if (undo_) {
            try {
                undo_();
            } catch (...) {
                // A rollback that fails must not hide the error that triggered it.
            }
        }
    }
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
    void dismiss() noexcept { undo_ = nullptr; }

private:
    std::function<void()> undo_;
};

} // namespace rung
