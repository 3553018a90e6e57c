// state: the state directory and the status derived from it (runtime.md, "State").
#include "state.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rung {
namespace {

// The ID is the name of its state directory: it can be no longer than a file name can be.
constexpr size_t kMaxIdLength = NAME_MAX;

bool id_char(char c, bool first) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum || (!first && (c == '_' || c == '.' || c == '+' || c == '-'));
}

[[noreturn]] void no_such_container(const std::string& id) {
    throw Error("container " + quote(id) + " does not exist");
}

// flock(2) on the directory: every operation on one container holds it, so `start` and `delete`
// of the same container cannot interleave. Taken after open, so check the directory was not
// removed (by a delete we waited for) in between: a removed directory has no links left, and
// then this returns false.
bool lock_dir(int fd, ContainerDir::Lock lock, const std::string& id, const std::string& path) {
    if (lock == ContainerDir::Lock::none) return true;
    int op = lock == ContainerDir::Lock::shared ? LOCK_SH : LOCK_EX;
    log::trace("rung", "rung: one operation at a time per container", "flock(", quote(path),
               op == LOCK_SH ? ", LOCK_SH)" : ", LOCK_EX)");
    while (::flock(fd, op) == -1)
        if (errno != EINTR) throw_errno("flock " + quote(id));
    struct stat st;
    check(::fstat(fd, &st), "fstat " + quote(id));
    return st.st_nlink != 0;
}

} // namespace

// runtime.md, "Create": an ID that is not valid MUST be an error, and no container created. The
// ID becomes a path component, so anything that could leave <root> is refused here, before any
// file is touched.
void validate_id(std::string_view id) {
    if (id.empty()) throw Error("container ID must not be empty");
    if (id.size() > kMaxIdLength)
        throw Error("container ID is " + std::to_string(id.size()) + " bytes long (at most " +
                    std::to_string(kMaxIdLength) + ")");
    for (size_t i = 0; i < id.size(); ++i) {
        if (!id_char(id[i], i == 0))
            throw Error("container ID " + quote(id) +
                        " is not valid: use [A-Za-z0-9][A-Za-z0-9_.+-]*");
    }
}

// proc(5): "pid (comm) state ppid ...". comm is the program name and may hold spaces and
// parentheses ("(a) (b)"), so the fields start after the *last* ')'.
ProcStat parse_proc_stat(std::string_view text) {
    size_t close = text.rfind(')');
    if (close == std::string_view::npos) throw Error("/proc stat: no \"(comm)\" field");
    std::string_view rest = text.substr(close + 1);
    std::vector<std::string_view> fields; // fields[0] is field 3
    while (!rest.empty()) {
        size_t start = rest.find_first_not_of(" \n");
        if (start == std::string_view::npos) break;
        size_t end = rest.find_first_of(" \n", start);
        fields.push_back(rest.substr(start, end - start));
        rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
    }
    constexpr size_t kStartTime = 22 - 3;
    if (fields.size() <= kStartTime) throw Error("/proc stat: too few fields");
    ProcStat st;
    if (fields[0].size() != 1) throw Error("/proc stat: bad state field");
    st.state = fields[0][0];
    std::string_view pp = fields[1];
    auto [q, e] = std::from_chars(pp.data(), pp.data() + pp.size(), st.ppid);
    if (e != std::errc() || q != pp.data() + pp.size()) throw Error("/proc stat: bad ppid");
    std::string_view t = fields[kStartTime];
    auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), st.start_time);
    if (ec != std::errc() || p != t.data() + t.size()) throw Error("/proc stat: bad starttime");
    return st;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/stat";
    try {
        return parse_proc_stat(read_file(path));
    } catch (Error& e) {
        if (e.err() == ENOENT || e.err() == ESRCH) return std::nullopt;
        throw e.add_context(path);
    }
}

const char* status_name(Status s) {
    switch (s) {
    case Status::creating:
        return "creating";
    case Status::created:
        return "created";
    case Status::running:
        return "running";
    case Status::stopped:
        return "stopped";
    }
    return "unknown";
}

// runtime.md, "State": `created` until the user's program is executed, `running` until it
// exits, then `stopped`. A pid whose start time differs from the one create recorded belongs to
// another process: the kernel reused it, so ours has exited. A zombie has exited too: it only
// waits for its parent (or the subreaper that inherited it) to collect its status.
Status derive_status(const std::optional<ProcStat>& proc, unsigned long long start_time,
                     bool fifo_exists) {
    if (!proc || proc->start_time != start_time || proc->state == 'Z' || proc->state == 'X')
        return Status::stopped;
    return fifo_exists ? Status::created : Status::running;
}

ordered_json state_to_json(const State& s) {
    return {{"ociVersion", s.oci_version},  {"id", s.id},           {"pid", s.pid},
            {"startTime", s.start_time},    {"bundle", s.bundle},   {"rootfs", s.rootfs},
            {"annotations", s.annotations}, {"created", s.created}, {"owner", s.owner}};
}

State state_from_json(const json& j) {
    try {
        State s;
        s.oci_version = j.at("ociVersion").get<std::string>();
        s.id = j.at("id").get<std::string>();
        s.pid = j.at("pid").get<pid_t>();
        s.start_time = j.at("startTime").get<unsigned long long>();
        s.bundle = j.at("bundle").get<std::string>();
        s.rootfs = j.value("rootfs", "");
        s.annotations = j.value("annotations", std::map<std::string, std::string>{});
        s.created = j.value("created", "");
        s.owner = j.value("owner", "");
        return s;
    } catch (const json::exception& e) {
        throw Error(std::string("state.json: ") + e.what());
    }
}

// runtime.md, "State": pid is REQUIRED while created or running. Once stopped, the recorded pid
// may already name someone else's process, so rung reports 0 as runc does.
ordered_json oci_state(const State& s, Status status) {
    return {{"ociVersion", s.oci_version},
            {"id", s.id},
            {"status", status_name(status)},
            {"pid", status == Status::stopped ? 0 : s.pid},
            {"bundle", s.bundle},
            {"annotations", s.annotations},
            {"created", s.created},
            {"owner", s.owner}};
}

std::string hook_state(const std::string& id, pid_t pid, const std::string& bundle,
                       const std::map<std::string, std::string>& annotations, Status status) {
    State s;
    s.id = id;
    s.pid = pid;
    s.bundle = bundle;
    s.annotations = annotations;
    return oci_state(s, status).dump();
}

ContainerDir::ContainerDir(std::string id, std::string path, unique_fd fd)
    : id_(std::move(id)), path_(std::move(path)), lock_(std::move(fd)) {}

// runtime.md, "Create": the ID MUST be unique. mkdir(2) either creates the directory or fails
// with EEXIST, atomically: when many creates race for one ID, exactly one wins.
ContainerDir ContainerDir::create(const std::string& root, const std::string& id) {
    validate_id(id);
    mkdir_all(root, 0700);
    std::string path = root + "/" + id;
    log::trace("rung", "runtime.md: Create, the ID MUST be unique", "mkdir(", quote(path),
               ", 0700)");
    if (::mkdir(path.c_str(), 0700) == -1) {
        if (errno == EEXIST) throw Error("container " + quote(id) + " already exists");
        throw_errno("mkdir " + quote(path));
    }
    ScopeGuard rmdir([&] { ::rmdir(path.c_str()); });
    unique_fd fd = open_file(path, O_RDONLY | O_DIRECTORY);
    if (!lock_dir(fd.get(), Lock::exclusive, id, path)) no_such_container(id);
    rmdir.dismiss();
    return ContainerDir(id, path, std::move(fd));
}

std::optional<ContainerDir> ContainerDir::find(const std::string& root, const std::string& id,
                                               Lock lock) {
    validate_id(id);
    std::string path = root + "/" + id;
    int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        if (errno == ENOENT) return std::nullopt;
        throw_errno("open " + quote(path));
    }
    ContainerDir dir(id, path, unique_fd(fd));
    // Removed by the operation we waited for: not there (a racing delete --force succeeds).
    if (!lock_dir(dir.lock_.get(), lock, id, path)) return std::nullopt;
    return dir;
}

ContainerDir ContainerDir::open(const std::string& root, const std::string& id, Lock lock) {
    std::optional<ContainerDir> dir = find(root, id, lock);
    if (!dir) no_such_container(id);
    return std::move(*dir);
}

bool ContainerDir::fifo_exists() const {
    return path_exists(fifo_path());
}

// The config.json that create saved next to state.json.
Spec ContainerDir::read_config() const {
    return parse_spec(read_json_file(path_ + "/config.json", "config.json"));
}

// A directory without state.json is a create still in progress, or one that was killed before
// it wrote the state (its init exits when it reads EOF instead of "committed"): a container with
// no process, stopped, that delete removes.
State ContainerDir::read_state() const {
    std::string file = path_ + "/state.json";
    if (!path_exists(file)) {
        State s;
        s.id = id_;
        return s;
    }
    return state_from_json(read_json_file(file, "state.json"));
}

// A create holds the directory's lock from mkdir until it has written the state; list takes no
// lock, and asks on a descriptor of its own (a second flock on ours would convert our lock).
bool ContainerDir::locked_by_another() const {
    unique_fd fd(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return fd && ::flock(fd.get(), LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
}

// runtime.md, "State"; written once, atomically (temp file + rename), so a reader sees all of it
// or none.
void ContainerDir::write_state(const State& s) const {
    std::string file = path_ + "/state.json";
    log::trace("rung", "runtime.md: State", "write ", quote(file), " (pid ", s.pid, ", startTime ",
               s.start_time, ")");
    write_file_atomic(file, state_to_json(s).dump(2) + "\n", 0600);
}

Status ContainerDir::status(const State& s) const {
    return derive_status(read_proc_stat(s.pid), s.start_time, fifo_exists());
}

// runtime.md, "Delete": delete the resources created by create. In phase 2 that is this
// directory: state.json, the FIFO if start never ran, and any temp file of a crashed write.
void ContainerDir::remove() const {
    log::trace("rung", "runtime.md: Delete", "unlink ", quote(path_), "/*, rmdir(", quote(path_),
               ")");
    // state.json goes last: a delete killed halfway leaves a container that is still recognised.
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path_))
        if (entry.path().filename() != "state.json") names.push_back(entry.path().filename());
    if (path_exists(path_ + "/state.json")) names.push_back("state.json");
    for (const auto& name : names)
        check(::unlinkat(lock_.get(), name.c_str(), 0), "unlink " + quote(path_ + "/" + name));
    check(::rmdir(path_.c_str()), "rmdir " + quote(path_));
}

std::vector<std::string> list_ids(const std::string& root) {
    std::vector<std::string> ids;
    std::error_code ec;
    std::filesystem::directory_iterator it(root, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) return ids;
        throw Error("list " + quote(root), ec.value());
    }
    for (const auto& entry : it) {
        std::string name = entry.path().filename();
        if (!entry.is_directory()) continue;
        try {
            validate_id(name);
            ids.push_back(name);
        } catch (const Error&) {
            // Not one of ours: rung never makes a directory with that name.
        }
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::optional<unique_fd> open_init(const State& s) {
    if (s.pid <= 0) return std::nullopt;
    unique_fd pidfd;
    try {
        pidfd = sys::pidfd_open(s.pid);
    } catch (const Error& e) {
        if (e.err() == ESRCH) return std::nullopt;
        throw;
    }
    // The pidfd now pins whichever process holds the pid; if its start time is ours, it is ours.
    auto proc = read_proc_stat(s.pid);
    if (derive_status(proc, s.start_time, false) == Status::stopped) return std::nullopt;
    return pidfd;
}

} // namespace rung
