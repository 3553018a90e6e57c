#include "rung/error.hpp"

#include <cstdio>
#include <cstring>

namespace rung {

Error::Error(std::string message, int err) : message_(std::move(message)), err_(err) {
    render();
}

Error& Error::add_context(std::string_view ctx) {
    message_.insert(0, std::string(ctx) + ": ");
    render();
    return *this;
}

void Error::render() {
    text_ = message_;
    if (err_ != 0) {
        text_ += ": ";
        text_ += std::strerror(err_);
    }
}

int exit_status_of(const std::exception& e) noexcept {
    auto* error = dynamic_cast<const Error*>(&e);
    return error ? error->exit_status() : 1;
}

void throw_errno(std::string what) {
    throw Error(std::move(what), errno);
}

std::string quote(std::string_view s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    out += '"';
    return out;
}

} // namespace rung
