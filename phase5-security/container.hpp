// The container lifecycle (runtime.md, "Operations"), one function per command.
#pragma once

#include "rung/fd.hpp"
#include "rung/json.hpp"
#include "spec.hpp"

#include <string>
#include <sys/types.h>

namespace rung {

struct CreateOptions {
    std::string root = "/run/rung"; // --root: where state directories live
    std::string id;
    std::string bundle = ".";   // --bundle: holds config.json
    std::string pid_file;       // --pid-file: receives the init's pid (empty: none)
    bool keep = false;          // run --keep: do not delete the container after it exits
    std::string console_socket; // --console-socket: where the pty master goes (terminal: true)
    bool no_pivot = false;      // --no-pivot: MS_MOVE + chroot, for a rootfs on initramfs
    bool foreground = false;    // `run`: rung relays the terminal itself, no console socket
    // --no-new-keyring: the container keeps the caller's session keyring (keyring.hpp)
    bool no_new_keyring = false;
};

struct Created {
    pid_t pid = 0;
    unique_fd pty_master; // `run` with process.terminal and no console socket: ours to relay
};

// create: the container up to the point where only exec is left, then return init's host pid.
// Init stays blocked on the exec FIFO; the caller does not wait for it.
Created create_container(const CreateOptions& opts);
// start: let a created container exec its process.
void start_container(const std::string& root, const std::string& id);
// The config.json the container was created from (kept in its state directory).
Spec container_config(const std::string& root, const std::string& id);
// state: the OCI state JSON.
nlohmann::ordered_json container_state(const std::string& root, const std::string& id);
// kill: send `sig` to the container's process; `all` (runc's --all): to every process of its
// cgroup.
void kill_container(const std::string& root, const std::string& id, int sig, bool all = false);
// pause and resume (runc's): freeze every process of the container's cgroup, and thaw them.
void pause_container(const std::string& root, const std::string& id);
void resume_container(const std::string& root, const std::string& id);
// delete: remove a stopped container; `force` kills a created or running one first.
void delete_container(const std::string& root, const std::string& id, bool force);
// list: the containers under `root`, as a table, as JSON, or as bare IDs.
void list_containers(const std::string& root, const std::string& format, bool quiet);
// run: create, start, wait in the foreground forwarding SIGINT and SIGTERM, delete. Returns the
// shell-style exit code of the process (its status, or 128+N for death by signal N).
int run_container(const CreateOptions& opts);

} // namespace rung
