// seccomp: linux.seccomp translated for libseccomp and compiled to BPF, loaded last, and the
// notify fd sent to the agent. seccomp.hpp says what is loaded when, and why.
#include "seccomp.hpp"

#include "rung/error.hpp"
#include "rung/file.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"
#include "terminal.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <linux/seccomp.h>
#include <nlohmann/json.hpp>
#include <seccomp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace rung::seccomp {
namespace {

// libseccomp returns -errno.
[[noreturn]] void fail(const std::string& what, int rc) {
    throw Error(what, -rc);
}

// config-linux.md: SCMP_ARCH_X86_64 is libseccomp's "x86_64" (seccomp_arch_resolve_name).
uint32_t arch_of(const std::string& name) {
    std::string lower = name.substr(std::string_view("SCMP_ARCH_").size());
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    uint32_t arch = ::seccomp_arch_resolve_name(lower.c_str());
    if (arch == 0) {
        const scmp_version* v = ::seccomp_version();
        throw Error(quote(name) + ": libseccomp " + std::to_string(v->major) + "." +
                    std::to_string(v->minor) + "." + std::to_string(v->micro) +
                    " does not know this architecture");
    }
    return arch;
}

std::string libseccomp_version() {
    const scmp_version* v = ::seccomp_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." +
           std::to_string(v->micro);
}

// config-linux.md, syscalls[].action and defaultAction, with errnoRet (default EPERM) for
// SCMP_ACT_ERRNO and SCMP_ACT_TRACE. SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD, as in seccomp.h.
uint32_t action_of(const std::string& name, const std::optional<uint32_t>& errno_ret) {
    uint16_t ret = static_cast<uint16_t>(errno_ret.value_or(EPERM));
    if (name == "SCMP_ACT_KILL" || name == "SCMP_ACT_KILL_THREAD") return SCMP_ACT_KILL_THREAD;
    if (name == "SCMP_ACT_KILL_PROCESS") return SCMP_ACT_KILL_PROCESS;
    if (name == "SCMP_ACT_TRAP") return SCMP_ACT_TRAP;
    if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(ret);
    if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(ret);
    if (name == "SCMP_ACT_ALLOW") return SCMP_ACT_ALLOW;
    if (name == "SCMP_ACT_LOG") return SCMP_ACT_LOG;
    if (name == "SCMP_ACT_NOTIFY") return SCMP_ACT_NOTIFY;
    throw Error(quote(name) + ": not a seccomp action"); // spec.cpp checked the names
}

scmp_compare op_of(const std::string& name) {
    static const std::pair<const char*, scmp_compare> ops[] = {
        {"SCMP_CMP_NE", SCMP_CMP_NE},
        {"SCMP_CMP_LT", SCMP_CMP_LT},
        {"SCMP_CMP_LE", SCMP_CMP_LE},
        {"SCMP_CMP_EQ", SCMP_CMP_EQ},
        {"SCMP_CMP_GE", SCMP_CMP_GE},
        {"SCMP_CMP_GT", SCMP_CMP_GT},
        {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
    for (const auto& [n, op] : ops)
        if (name == n) return op;
    throw Error(quote(name) + ": not a seccomp operator"); // spec.cpp checked the names
}

// config-linux.md, args[]: SCMP_CMP_MASKED_EQ takes the mask in value and the result in
// valueTwo: (arg & value) == valueTwo. The others compare with value.
scmp_arg_cmp condition_of(const SeccompArg& a) {
    if (a.index > 5)
        throw Error("index " + std::to_string(a.index) + ": syscalls take 6 args, 0-5");
    return {a.index, op_of(a.op), a.value, a.value_two};
}

// config-linux.md, flags: seccomp(2)'s SECCOMP_FILTER_FLAG_*, as libseccomp's attributes (which
// check that this libseccomp and kernel can do it). Returns the flag for seccomp(2), as
// libseccomp's seccomp_load would pass it.
uint32_t set_flag(scmp_filter_ctx ctx, const std::string& flag) {
    scmp_filter_attr attr;
    uint32_t bit;
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC")
        attr = SCMP_FLTATR_CTL_TSYNC, bit = SECCOMP_FILTER_FLAG_TSYNC;
    else if (flag == "SECCOMP_FILTER_FLAG_LOG")
        attr = SCMP_FLTATR_CTL_LOG, bit = SECCOMP_FILTER_FLAG_LOG;
    else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
        attr = SCMP_FLTATR_CTL_SSB, bit = SECCOMP_FILTER_FLAG_SPEC_ALLOW;
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    else if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
        attr = SCMP_FLTATR_CTL_WAITKILL, bit = SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
#endif
    else
        throw Error(quote(flag) + ": libseccomp " + libseccomp_version() + " cannot set it");
    log::step("config-linux.md: seccomp, flags", "seccomp_attr_set(", flag, ", 1)");
    if (int rc = ::seccomp_attr_set(ctx, attr, 1); rc < 0)
        fail(quote(flag) + ": libseccomp " + libseccomp_version() + " or this kernel", rc);
    return bit;
}

// The program libseccomp generates for `ctx` (seccomp_export_bpf(3) writes it to an fd; 2.5
// has no in-memory export), read back through a second open of the memfd.
std::vector<sock_filter> export_program(scmp_filter_ctx ctx, const std::string& at) {
    const char* rule = "config-linux.md: seccomp, compiled to BPF before create makes anything";
    unique_fd mem = sys::memfd_create("rung-seccomp-bpf", MFD_CLOEXEC, rule);
    log::step(rule, "seccomp_export_bpf(", mem.get(), ")");
    if (int rc = ::seccomp_export_bpf(ctx, mem.get()); rc < 0)
        fail(at + ": libseccomp cannot generate the BPF program", rc);
    std::string bytes = read_regular_file("/proc/self/fd/" + std::to_string(mem.get()));
    if (bytes.empty() || bytes.size() % sizeof(sock_filter) != 0)
        throw Error(at + ": libseccomp generated " + std::to_string(bytes.size()) +
                    " bytes, not a BPF program");
    // seccomp(2) takes at most BPF_MAXINSNS; its length field could not even hold 65536.
    if (bytes.size() / sizeof(sock_filter) > BPF_MAXINSNS)
        throw Error(at + ": libseccomp generated " +
                    std::to_string(bytes.size() / sizeof(sock_filter)) +
                    " BPF instructions: the kernel loads at most " + std::to_string(BPF_MAXINSNS));
    std::vector<sock_filter> insns(bytes.size() / sizeof(sock_filter));
    std::memcpy(insns.data(), bytes.data(), bytes.size());
    return insns;
}

bool notifies(const Seccomp& p) {
    return std::any_of(p.syscalls.begin(), p.syscalls.end(),
                       [](const SeccompSyscall& s) { return s.action == "SCMP_ACT_NOTIFY"; });
}

struct ContextDeleter {
    void operator()(void* ctx) const { ::seccomp_release(ctx); }
};

} // namespace

struct Filter::Impl {
    Program program;
    bool notifies = false;
    std::string listener_path, metadata;
    unique_fd listener;
    std::string message; // the container process state, sent with the notify fd
};

namespace {

// Why sendmsg must not be notified: the notify fd goes to the agent by sendmsg, after the load.
constexpr const char* kNotifySendmsg =
    "SCMP_ACT_NOTIFY cannot apply to sendmsg: rung sends the agent its notify fd with sendmsg "
    "after loading the filter, and would wait forever for an agent that has no fd yet";

// One syscalls[] entry, name by name. `where` is its JSON path.
void add_rule(scmp_filter_ctx ctx, const SeccompSyscall& s, uint32_t default_action,
              const std::string& where) {
    uint32_t action =
        with_context(where + ".action", [&] { return action_of(s.action, s.errno_ret); });
    if (action == default_action) {
        log::step("config-linux.md: seccomp, syscalls", "skip ", where,
                  ": its action is the default action");
        return;
    }
    std::vector<scmp_arg_cmp> conds;
    std::vector<int> per_index(6);
    for (size_t k = 0; k < s.args.size(); ++k) {
        conds.push_back(with_context(where + ".args[" + std::to_string(k) + "]",
                                     [&] { return condition_of(s.args[k]); }));
        ++per_index[s.args[k].index];
    }
    // One argument named twice: libseccomp cannot AND them; as runc, one rule each (OR).
    bool separate = std::any_of(per_index.begin(), per_index.end(), [](int n) { return n > 1; });
    std::string names;
    for (const auto& n : s.names)
        names += (names.empty() ? "" : ", ") + n;
    log::step("config-linux.md: seccomp, syscalls", "seccomp_rule_add(", s.action,
              s.errno_ret ? "(" + std::to_string(*s.errno_ret) + ")" : "", ", [", names, "], ",
              s.args.size(), separate ? " args, one rule each)" : " args)");
    for (size_t j = 0; j < s.names.size(); ++j) {
        std::string name_path = where + ".names[" + std::to_string(j) + "]";
        const std::string& name = s.names[j];
        if (s.action == "SCMP_ACT_NOTIFY" && name == "sendmsg")
            throw Error(name_path + ": " + kNotifySendmsg);
        int nr = ::seccomp_syscall_resolve_name(name.c_str());
        if (nr == __NR_SCMP_ERROR)
            throw Error(name_path + ": unknown system call " + quote(name) + ": libseccomp " +
                        libseccomp_version() + " knows no such name on any architecture");
        if (nr < 0)
            log::step("config-linux.md: seccomp, syscalls", name,
                      " is not a system call of this architecture: only for those that have it");
        auto add = [&](unsigned count, const scmp_arg_cmp* array) {
            if (int rc = ::seccomp_rule_add_array(ctx, action, nr, count, array); rc < 0)
                fail(name_path + ": libseccomp cannot add the rule for " + quote(name), rc);
        };
        if (separate)
            for (const auto& c : conds)
                add(1, &c);
        else
            add(static_cast<unsigned>(conds.size()), conds.data());
    }
}

} // namespace

Filter::Filter(const Seccomp& p) : impl_(std::make_unique<Impl>()) {
    const std::string at = ".linux.seccomp";
    uint32_t default_action = with_context(
        at + ".defaultAction", [&] { return action_of(p.default_action, p.default_errno_ret); });
    log::step("config-linux.md: seccomp, defaultAction", "seccomp_init(", p.default_action, ")");
    std::unique_ptr<void, ContextDeleter> owned(::seccomp_init(default_action));
    if (!owned) throw Error(at + ".defaultAction: libseccomp refuses " + p.default_action);
    scmp_filter_ctx ctx = owned.get();
    // config.md, process.noNewPrivileges decides that, not libseccomp (which sets it by default).
    if (int rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0)
        fail(at + ": libseccomp cannot leave no_new_privs alone", rc);
    for (size_t i = 0; i < p.architectures.size(); ++i) {
        std::string where = at + ".architectures[" + std::to_string(i) + "]";
        uint32_t arch = with_context(where, [&] { return arch_of(p.architectures[i]); });
        int rc = ::seccomp_arch_add(ctx, arch);
        if (rc < 0 && rc != -EEXIST) fail(where + ": libseccomp cannot add it", rc); // native
    }
    uint32_t flags = 0;
    for (size_t i = 0; i < p.flags.size(); ++i)
        flags |= with_context(at + ".flags[" + std::to_string(i) + "]",
                              [&] { return set_flag(ctx, p.flags[i]); });
    if (p.default_action == "SCMP_ACT_NOTIFY") // runc refuses it too
        throw Error(at + ".defaultAction: " + kNotifySendmsg + " (list the calls to notify)");
    for (size_t i = 0; i < p.syscalls.size(); ++i) {
        add_rule(ctx, p.syscalls[i], default_action, at + ".syscalls[" + std::to_string(i) + "]");
        impl_->notifies |= p.syscalls[i].action == "SCMP_ACT_NOTIFY";
    }
    if (impl_->notifies && p.listener_path.empty())
        throw Error(at + ": SCMP_ACT_NOTIFY needs listenerPath: nobody would answer the calls");
    if (impl_->notifies && ::seccomp_api_get() < 5)
        throw Error(at + ": SCMP_ACT_NOTIFY: libseccomp " + libseccomp_version() +
                    " or this kernel cannot notify (API level " +
                    std::to_string(::seccomp_api_get()) + ", 5 needed)");
    impl_->listener_path = p.listener_path;
    impl_->metadata = p.listener_metadata;
    // seccomp(2): a listener needs NEW_LISTENER; with TSYNC, TSYNC_ESRCH too, or the call could
    // not return the fd (it returns a thread id when TSYNC fails). libseccomp's seccomp_load
    // sets both the same way.
    if (impl_->notifies) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    if (impl_->notifies && (flags & SECCOMP_FILTER_FLAG_TSYNC))
        flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    impl_->program = {flags, export_program(ctx, at)};
}

Filter::Filter(const Seccomp& p, Program program) : impl_(std::make_unique<Impl>()) {
    impl_->program = std::move(program);
    impl_->notifies = notifies(p);
    impl_->listener_path = p.listener_path;
    impl_->metadata = p.listener_metadata;
}

Filter::~Filter() = default;
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;

// config-linux.md, listenerPath: "If the SCMP_ACT_NOTIFY action is not used this value is
// ignored." The message is runtime.md's container process state.
void Filter::connect_listener(pid_t pid, const std::string& state) {
    if (!impl_->notifies) return;
    log::step("config-linux.md: seccomp, listenerPath", "connect(", quote(impl_->listener_path),
              ")");
    impl_->listener = connect_unix_socket(impl_->listener_path, ".linux.seccomp.listenerPath");
    nlohmann::json msg = {{"ociVersion", "1.2.0"},
                          {"fds", {"seccompFd"}},
                          {"pid", pid},
                          {"metadata", impl_->metadata},
                          {"state", nlohmann::json::parse(state)}};
    impl_->message = msg.dump();
}

// config-linux.md, "Seccomp"; seccomp(2): SECCOMP_SET_MODE_FILTER. From here on every system
// call of this process and its children goes through the filter.
void Filter::load() {
    const Program& prog = impl_->program;
    int rc = sys::seccomp_set_filter(prog.flags, prog.insns.data(), prog.insns.size(),
                                     "config-linux.md: seccomp");
    // TSYNC without a listener: a positive result is a thread that could not be synchronised.
    if (!impl_->notifies && rc != 0)
        throw Error("load the seccomp filter: thread " + std::to_string(rc) +
                    " cannot take it (SECCOMP_FILTER_FLAG_TSYNC)");
    if (!impl_->notifies) return;
    unique_fd notify(rc);
    // config-linux.md: exactly one container process state per connection, then closed; a
    // failure to send is an error.
    log::step("config-linux.md: seccomp, listenerPath",
              "sendmsg(SCM_RIGHTS, seccompFd, container process state)");
    send_fd(impl_->listener.get(), notify.get(), impl_->message,
            "send the seccomp notify fd to " + quote(impl_->listener_path));
    impl_->listener.reset();
}

const Program& Filter::program() const {
    return impl_->program;
}

} // namespace rung::seccomp
