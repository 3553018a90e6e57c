// seccomp: linux.seccomp translated for libseccomp, loaded last, and the notify fd sent to the
// agent. seccomp.hpp says what is loaded when, and why.
#include "seccomp.hpp"

#include "rung/error.hpp"
#include "rung/log.hpp"
#include "terminal.hpp"

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <seccomp.h>
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

// config-linux.md, flags: seccomp(2)'s SECCOMP_FILTER_FLAG_*, as libseccomp's attributes.
void set_flag(scmp_filter_ctx ctx, const std::string& flag) {
    scmp_filter_attr attr;
    if (flag == "SECCOMP_FILTER_FLAG_TSYNC")
        attr = SCMP_FLTATR_CTL_TSYNC;
    else if (flag == "SECCOMP_FILTER_FLAG_LOG")
        attr = SCMP_FLTATR_CTL_LOG;
    else if (flag == "SECCOMP_FILTER_FLAG_SPEC_ALLOW")
        attr = SCMP_FLTATR_CTL_SSB;
#if SCMP_VER_MAJOR > 2 || (SCMP_VER_MAJOR == 2 && SCMP_VER_MINOR >= 6)
    else if (flag == "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")
        attr = SCMP_FLTATR_CTL_WAITKILL;
#endif
    else
        throw Error(quote(flag) + ": libseccomp " + libseccomp_version() + " cannot set it");
    log::step("config-linux.md: seccomp, flags", "seccomp_attr_set(", flag, ", 1)");
    if (int rc = ::seccomp_attr_set(ctx, attr, 1); rc < 0)
        fail(quote(flag) + ": libseccomp " + libseccomp_version() + " or this kernel", rc);
}

} // namespace

struct Filter::Impl {
    scmp_filter_ctx ctx = nullptr;
    bool notifies = false;
    std::string listener_path, metadata;
    unique_fd listener;
    std::string message; // the container process state, sent with the notify fd
    ~Impl() {
        if (ctx) ::seccomp_release(ctx);
    }
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
    impl_->ctx = ::seccomp_init(default_action);
    if (!impl_->ctx) throw Error(at + ".defaultAction: libseccomp refuses " + p.default_action);
    scmp_filter_ctx ctx = impl_->ctx;
    // config.md, process.noNewPrivileges decides that, not libseccomp (which sets it by default).
    if (int rc = ::seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0); rc < 0)
        fail(at + ": libseccomp cannot leave no_new_privs alone", rc);
    for (size_t i = 0; i < p.architectures.size(); ++i) {
        std::string where = at + ".architectures[" + std::to_string(i) + "]";
        uint32_t arch = with_context(where, [&] { return arch_of(p.architectures[i]); });
        int rc = ::seccomp_arch_add(ctx, arch);
        if (rc < 0 && rc != -EEXIST) fail(where + ": libseccomp cannot add it", rc); // native
    }
    for (size_t i = 0; i < p.flags.size(); ++i)
        with_context(at + ".flags[" + std::to_string(i) + "]", [&] { set_flag(ctx, p.flags[i]); });
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
    log::step("config-linux.md: seccomp", "seccomp_load(): seccomp(SECCOMP_SET_MODE_FILTER",
              impl_->notifies ? ", SECCOMP_FILTER_FLAG_NEW_LISTENER" : "", ")");
    if (int rc = ::seccomp_load(impl_->ctx); rc < 0) fail("load the seccomp filter", rc);
    if (!impl_->notifies) return;
    int fd = ::seccomp_notify_fd(impl_->ctx);
    if (fd < 0) fail("the seccomp notify fd", fd);
    unique_fd notify(fd);
    // config-linux.md: exactly one container process state per connection, then closed; a
    // failure to send is an error.
    log::step("config-linux.md: seccomp, listenerPath",
              "sendmsg(SCM_RIGHTS, seccompFd, container process state)");
    send_fd(impl_->listener.get(), notify.get(), impl_->message,
            "send the seccomp notify fd to " + quote(impl_->listener_path));
    impl_->listener.reset();
}

} // namespace rung::seccomp
