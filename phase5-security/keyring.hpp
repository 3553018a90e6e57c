// keyring: a session keyring of the container's own, as runc gives one (create
// --no-new-keyring keeps the caller's).
//
// The kernel's keys (keyrings(7)) belong to no namespace. A process reaches the keys of its
// session keyring, which fork and execve pass on; so without this step a container holds the
// session keyring of whoever ran the runtime (a shim's, a login's, with its Kerberos ticket or
// its fscrypt key), and may read, use or add to what is in it. Init joins a new keyring named
// "_ses.<id>", and `rung exec` joins that same one by name: the container's processes share one
// ring, and none of the caller's.
#pragma once

#include <string>
#include <string_view>

namespace rung {

// runc's name for the container's session keyring: "_ses.<id>".
std::string session_keyring_name(const std::string& id);

// Join the container's session keyring: a new one (init), or the one init made (exec, which
// finds it by name). Init also lets the container's processes find it: search permission for
// its user, or, in a user namespace, for anyone. A kernel without keys (ENOSYS) has no keyring
// to leak: the step is skipped, as runc skips it. `who` narrates ("init", "exec").
void join_session_keyring(const std::string& id, bool init, bool user_namespace,
                          std::string_view who);

} // namespace rung
