#include "keyring.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <cerrno>
#include <cstdint>
#include <string>

namespace rung {
namespace {

constexpr std::string_view kRule =
    "rung: a session keyring of the container's own (runc's; create --no-new-keyring skips it)";

// keyrings(7), permissions: "search" for the key's user, and for everyone else.
constexpr uint32_t kUserSearch = 0x00080000;  // KEY_USR_SEARCH
constexpr uint32_t kOtherSearch = 0x00000008; // KEY_OTH_SEARCH

// The perm field of keyctl_describe(3)'s "type;uid;gid;perm;description", hex.
uint32_t key_perm(const std::string& description, int32_t key) {
    size_t start = 0;
    for (int field = 0; field < 3; ++field) {
        start = description.find(';', start);
        if (start == std::string::npos) break;
        ++start;
    }
    if (start == std::string::npos)
        throw Error("key " + std::to_string(key) + ": unexpected description " +
                    quote(description));
    return static_cast<uint32_t>(std::stoul(description.substr(start), nullptr, 16));
}

} // namespace

std::string session_keyring_name(const std::string& id) {
    return "_ses." + id;
}

void join_session_keyring(const std::string& id, bool init, bool user_namespace,
                          std::string_view who) {
    int32_t ring = 0;
    try {
        ring = sys::join_session_keyring(session_keyring_name(id), kRule);
    } catch (const Error& e) {
        if (e.err() != ENOSYS) throw;
        log::trace(who, kRule, "no keys in this kernel (ENOSYS): no keyring to keep from it");
        return;
    }
    if (!init) return;
    // A new session keyring lets its possessor search it, nobody else: exec's process, not yet
    // its possessor, could not find it by name. The container's uids may be none of the
    // keyring's user in a user namespace, so there it is "other" that may search.
    uint32_t perm = key_perm(sys::describe_key(ring, kRule), ring);
    sys::set_key_perm(ring, perm | (user_namespace ? kOtherSearch : kUserSearch), kRule);
}

} // namespace rung
