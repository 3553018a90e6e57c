// fuzz_id: the container ID validator (state.hpp), which runs before any path is built from an
// ID. The oracle is the rule itself, written out again: an ID is accepted exactly when it is
// 1..255 bytes of [A-Za-z0-9][A-Za-z0-9_.+-]*. Anything else accepted could name a path outside
// the state root ("..", "a/b") or hold bytes the kernel would cut (NUL).
#include "fuzz.hpp"
#include "state.hpp"

#include <climits>

namespace {

bool rule(const std::string& id) {
    auto alnum = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (id.empty() || id.size() > NAME_MAX || !alnum(id[0])) return false;
    for (char c : id)
        if (!alnum(c) && c != '_' && c != '.' && c != '+' && c != '-') return false;
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string id = rung::fuzz::text(data, size);
    bool accepted = true;
    try {
        rung::validate_id(id);
    } catch (const rung::Error&) {
        accepted = false;
    }
    FUZZ_CHECK(accepted == rule(id));
    return 0;
}
