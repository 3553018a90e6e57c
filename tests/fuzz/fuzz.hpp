// fuzz.hpp: what every libFuzzer target under tests/fuzz/ shares.
//
// A target feeds one parser bytes it never expected. What counts as a finding:
//   - a sanitizer report (ASan: memory; UBSan: undefined behaviour, fatal in this build);
//   - an exception other than rung::Error escaping the parser: main() would print it as
//     something other than the one clear line a bad input deserves, or not at all;
//   - a broken invariant the target checks (FUZZ_CHECK), e.g. an accepted ID that the ID rule
//     rejects.
// A rung::Error is the parser doing its job: the input is refused with a message.
#pragma once

#include "rung/error.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace rung::fuzz {

// The input as a string: every parser here takes text.
inline std::string text(const uint8_t* data, size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

// Run `parse`; a rung::Error is a refusal, anything else escapes to libFuzzer as a crash.
template <typename F>
void refusal_ok(F&& parse) {
    try {
        parse();
    } catch (const rung::Error&) {
    }
}

} // namespace rung::fuzz

// An invariant of the parser under test: abort (a crash libFuzzer saves) when it does not hold.
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond);     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)
