// error_of.hpp: the message of the rung::Error a call throws, for tests that compare whole
// messages.
#pragma once

#include "rung/error.hpp"

#include <string>

// error_of(f): what the rung::Error thrown by f() says, or "" when f() throws none.
inline std::string error_of(auto&& f) {
    try {
        f();
    } catch (const rung::Error& e) {
        return e.what();
    }
    return "";
}
