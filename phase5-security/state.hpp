// state: the state directory, <root>/<id>/, and what it says about a container.
//
//     <root>/<id>/             mkdir is the uniqueness lock; flock on it serialises operations
//     <root>/<id>/state.json   written once by create (atomically), read by every other command
//     <root>/<id>/exec.fifo    exists from create until start: the container is `created`
//
// The status is never stored: it is derived on every read from the init process (alive? the same
// process, judged by its start time?) and the FIFO (still there?).
#pragma once

#include "cgroups.hpp"
#include "rung/fd.hpp"
#include "rung/json.hpp"
#include "spec.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace rung {

// JSON that keeps its keys in the order written: ociVersion, id, status... as the spec shows them.
using ordered_json = nlohmann::ordered_json;

// The runtime-spec version rung implements: the state's ociVersion.
inline constexpr const char* kOciVersion = "1.2.0";

// Throws unless `id` is a container ID rung accepts: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 255
// bytes. That rules out "", "/", "..", control characters and anything that would leave <root>.
void validate_id(std::string_view id);

// The fields of /proc/PID/stat that rung reads.
struct ProcStat {
    char state = '?';                  // field 3: R, S, D, Z (zombie), X (dead), T (stopped)...
    unsigned long long start_time = 0; // field 22: clock ticks after boot
    pid_t ppid = 0;                    // field 4: the parent's pid
};
// Parse the text of /proc/PID/stat. Throws on text that is not one.
ProcStat parse_proc_stat(std::string_view text);
// nullopt when there is no such process.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// `creating` is only ever reported to hooks: a container is never stored in it.
enum class Status { creating, created, running, paused, stopped };
const char* status_name(Status s);
// runtime.md, "State": `proc` is what /proc says of the pid now (nullopt: gone), `start_time` is
// what create recorded, `fifo_exists` whether start has not run yet.
Status derive_status(const std::optional<ProcStat>& proc, unsigned long long start_time,
                     bool fifo_exists);

// What state.json holds.
struct State {
    std::string oci_version = kOciVersion;
    std::string id;
    pid_t pid = 0;
    unsigned long long start_time = 0; // of the init process, to tell it from a reused pid
    std::string bundle;                // absolute
    std::string rootfs;                // absolute: root.path, for list
    std::map<std::string, std::string> annotations;
    std::string created; // RFC 3339
    std::string owner;   // the user who created it
    // The container's cgroup, from the hierarchy's root ("/rung/<id>"), and the directories
    // create made for it, top-most first: delete removes those and no others. Written before the
    // first mkdir of the cgroup, so a create killed at any step leaves a state naming it.
    std::string cgroup;
    std::vector<std::string> cgroups_created;
    // linux.resources as the last `update` left them; absent: as config.json has them.
    std::optional<Resources> resources;
    // create --no-new-keyring: the container kept its caller's session keyring, and exec's
    // processes keep theirs (keyring.hpp).
    bool no_new_keyring = false;
};

ordered_json state_to_json(const State& s);
State state_from_json(const json& j); // throws Error naming the bad field
// The OCI state (runtime.md, "State") that `rung state` prints: the stored fields plus status.
ordered_json oci_state(const State& s, Status status);
// config.md, "Hooks": the state a hook reads on stdin, as compact JSON. Create's hooks run before
// state.json exists, so it is built from its parts.
std::string hook_state(const std::string& id, pid_t pid, const std::string& bundle,
                       const std::map<std::string, std::string>& annotations, Status status);

// One container's directory, held open and locked with flock(2) for as long as this object lives.
class ContainerDir {
public:
    enum class Lock { none, shared, exclusive }; // none: for list, which only reads

    // mkdir <root>/<id>: fails with `container "id" already exists` if another create won.
    static ContainerDir create(const std::string& root, const std::string& id);
    // An existing container, locked; throws `container "id" does not exist`.
    static ContainerDir open(const std::string& root, const std::string& id, Lock lock);
    // The same, or nullopt if there is no such container.
    static std::optional<ContainerDir> find(const std::string& root, const std::string& id,
                                            Lock lock);

    const std::string& id() const { return id_; }
    const std::string& path() const { return path_; }
    std::string fifo_path() const { return path_ + "/exec.fifo"; }
    bool fifo_exists() const;

    // The state create wrote, or, if it never did (a create in progress, or killed), a state
    // with only the ID and pid 0: a stopped container. Throws if state.json is corrupt.
    State read_state() const;
    // Whether the directory is locked through any other open of it (another process: with no
    // state.json, a create in progress).
    bool locked_by_another() const;
    // The config.json that create saved here (start and delete run its hooks).
    Spec read_config() const;
    void write_state(const State& s) const;
    // The status now, from the state and the world.
    Status status(const State& s) const;
    // Remove the directory and everything in it (delete, or a failed create).
    void remove() const;
    // Close our fd without unlocking: a cloned child calls this, so that its copy of the fd does
    // not keep the lock after the parent is done with it.
    void drop_lock() { lock_.reset(); }

private:
    ContainerDir(std::string id, std::string path, unique_fd fd);
    std::string id_, path_;
    unique_fd lock_;
};

// The IDs below `root`, sorted; an absent root has none.
std::vector<std::string> list_ids(const std::string& root);

// runc's default --root: /run/rung for root, $XDG_RUNTIME_DIR/rung for another user, "" where
// that is unset; check_root() turns "" into the error that says so.
std::string default_root();
void check_root(const std::string& root);

// The container's cgroup (State::cgroup) on this host's cgroup2 hierarchy.
cgroups::Cgroup container_cgroup(const State& s);

// A pidfd for the container's init process, or nullopt if it has exited or its pid now belongs
// to another process. Signals sent through it cannot reach a process that reused the pid.
std::optional<unique_fd> open_init(const State& s);

} // namespace rung
