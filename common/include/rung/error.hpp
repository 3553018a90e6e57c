// rung/error.hpp: one error type for the whole runtime.
//
// Every failure is a rung::Error: a message that names the operation and its object, plus the
// errno that caused it (0 when there is none). Each layer that lets an error pass adds its own
// context in front, so the line a user finally reads tells the whole path:
//
//     rung: create: mounts: mount "proc" on "/proc" (type proc): Operation not permitted
//
// Errors are returned (thrown) or logged, never both: only main() prints them.
#pragma once

#include <cerrno>
#include <exception>
#include <string>
#include <string_view>

namespace rung {

class Error : public std::exception {
public:
    explicit Error(std::string message, int err = 0);

    // The full line: "context: message: strerror(err)".
    const char* what() const noexcept override { return text_.c_str(); }
    // The errno behind the failure, or 0.
    int err() const noexcept { return err_; }
    // The message without strerror, as it travels between init and the parent.
    const std::string& message() const noexcept { return message_; }
    // Prefix "ctx: " to the message; returns *this so callers can rethrow.
    Error& add_context(std::string_view ctx);
    // The status rung exits with for this error: 1, or what the failing step asks for (a
    // command that is not found exits 127, as in a shell).
    int exit_status() const noexcept { return exit_status_; }
    Error& set_exit_status(int status) noexcept {
        exit_status_ = status;
        return *this;
    }

private:
    void render();
    std::string message_;
    int err_;
    int exit_status_ = 1;
    std::string text_;
};

// The status to exit with for `e`: an Error's own (exit_status()), 1 for anything else.
int exit_status_of(const std::exception& e) noexcept;

// Throw an Error for the current errno. `what` names the operation and its object.
[[noreturn]] void throw_errno(std::string what);

// The usual syscall convention: -1 means failure, with errno set.
template <class T>
T check(T rc, std::string_view what) {
    if (rc == -1) throw_errno(std::string(what));
    return rc;
}

// Run f(); if it throws an Error, prefix `ctx` to it and let it go on.
template <class F>
decltype(auto) with_context(std::string_view ctx, F&& f) {
    try {
        return f();
    } catch (Error& e) {
        e.add_context(ctx);
        throw;
    }
}

// Quote a string for messages: "a\"b" with control bytes escaped, so a path with a newline
// can never forge a second log line.
std::string quote(std::string_view s);

} // namespace rung
