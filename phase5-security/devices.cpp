// devices: linux.resources.devices as an eBPF program on the container's cgroup (devices.hpp).
#include "devices.hpp"

#include "rung/error.hpp"
#include "rung/fd.hpp"
#include "rung/log.hpp"
#include "rung/sys.hpp"

#include <fcntl.h>
#include <map>
#include <tuple>

namespace rung::devices {
namespace {

constexpr const char* kRule = "config-linux.md: Allowed Device Listing";

// The largest device numbers (the kernel's dev_t: 12 bits of major, 20 of minor).
constexpr int64_t kMaxMajor = (1 << 12) - 1;
constexpr int64_t kMaxMinor = (1 << 20) - 1;

// A rule as cgroup v1's devices.allow took it: "c 1:3 rwm", "a *:* rwm".
std::string rule_string(const DeviceRule& r) {
    auto number = [](const std::optional<int64_t>& n) {
        return !n || *n == -1 ? std::string("*") : std::to_string(*n);
    };
    return (r.type.empty() ? "a" : r.type) + " " + number(r.major) + ":" + number(r.minor) + " " +
           (r.access.empty() ? "rwm" : r.access);
}

std::string exception_string(const Exception& e) {
    auto number = [](const std::optional<uint32_t>& n) {
        return n ? std::to_string(*n) : std::string("*");
    };
    std::string access;
    if (e.access & kRead) access += 'r';
    if (e.access & kWrite) access += 'w';
    if (e.access & kMknod) access += 'm';
    return std::string(e.type == Type::block ? "b" : "c") + " " + number(e.major) + ":" +
           number(e.minor) + " " + access;
}

std::optional<uint32_t> device_number(const std::optional<int64_t>& n, int64_t max,
                                      const char* what) {
    if (!n || *n == -1) return std::nullopt;
    if (*n < 0 || *n > max)
        throw Error(std::string(what) + " " + std::to_string(*n) +
                    " is not a device number (0 to " + std::to_string(max) + ", or -1 for all)");
    return static_cast<uint32_t>(*n);
}

uint32_t access_bits(const std::string& access) {
    if (access.empty()) return kAll;
    uint32_t bits = 0;
    for (char c : access)
        bits |= c == 'r' ? kRead : c == 'w' ? kWrite : kMknod; // spec.cpp allows only r, w and m
    return bits;
}

// cgroup v1's devices controller, as runc emulates it (libcontainer/cgroups/devices/emulator.go):
// a default, and exceptions keyed by (type, major, minor) holding the access they make.
class Emulator {
public:
    void apply(const DeviceRule& r) {
        if (r.type.empty() || r.type == "a") { // "a" means every device, whatever else it says
            default_allow_ = r.allow;
            exceptions_.clear();
            return;
        }
        Key key{r.type == "b" ? Type::block : Type::character,
                device_number(r.major, kMaxMajor, "major"),
                device_number(r.minor, kMaxMinor, "minor")};
        uint32_t access = access_bits(r.access);
        if (r.allow != default_allow_) {
            exceptions_[key] |= access;
            return;
        }
        // Taking access away from an exception. v1 ignored a rule narrower than a wildcard
        // exception that grants the same access; runc refuses it rather than mislead.
        auto [type, major, minor] = key;
        for (const Key& wider : {Key{type, std::nullopt, minor}, Key{type, major, std::nullopt},
                                 Key{type, std::nullopt, std::nullopt}}) {
            auto it = exceptions_.find(wider);
            if (wider != key && it != exceptions_.end() && (it->second & access))
                throw Error("cannot " + std::string(r.allow ? "allow" : "deny") + " part of " +
                            exception_string(to_exception(*it)) +
                            ": a wildcard rule before it covers it (put the narrower rule first)");
        }
        auto it = exceptions_.find(key);
        if (it == exceptions_.end()) return;
        it->second &= ~access;
        if (it->second == 0) exceptions_.erase(it);
    }

    Filter filter() const {
        Filter f{default_allow_, {}};
        for (const auto& e : exceptions_)
            f.exceptions.push_back(to_exception(e));
        return f;
    }

private:
    using Key = std::tuple<Type, std::optional<uint32_t>, std::optional<uint32_t>>;
    static Exception to_exception(const std::pair<const Key, uint32_t>& e) {
        return Exception{std::get<0>(e.first), std::get<1>(e.first), std::get<2>(e.first),
                         e.second};
    }
    bool default_allow_ = false; // runc's emulator starts as "deny all"
    std::map<Key, uint32_t> exceptions_;
};

// ---- the instructions ----

enum Reg : uint8_t { r0, r1, r2, r3, r4, r5 };

bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    return i;
}

// One exception's block: each test jumps past the block when it fails; the block ends by
// returning the exception's verdict.
void emit_exception(std::vector<bpf_insn>& p, const Exception& e, bool allow) {
    std::vector<size_t> jumps;
    auto jump = [&](bpf_insn i) {
        jumps.push_back(p.size());
        p.push_back(i);
    };
    jump(insn(BPF_JMP | BPF_JNE | BPF_K, r2, 0, 0, static_cast<int32_t>(e.type)));
    if (e.access != kAll) {
        // r1 = access asked & access of the rule. An allow must grant all of it (r1 == r3), a
        // deny refuses when it names any of it (r1 != 0).
        p.push_back(insn(BPF_ALU | BPF_MOV | BPF_X, r1, r3, 0, 0));
        p.push_back(insn(BPF_ALU | BPF_AND | BPF_K, r1, 0, 0, static_cast<int32_t>(e.access)));
        if (allow)
            jump(insn(BPF_JMP | BPF_JNE | BPF_X, r1, r3, 0, 0));
        else
            jump(insn(BPF_JMP | BPF_JEQ | BPF_K, r1, 0, 0, 0));
    }
    if (e.major) jump(insn(BPF_JMP | BPF_JNE | BPF_K, r4, 0, 0, static_cast<int32_t>(*e.major)));
    if (e.minor) jump(insn(BPF_JMP | BPF_JNE | BPF_K, r5, 0, 0, static_cast<int32_t>(*e.minor)));
    p.push_back(insn(BPF_ALU | BPF_MOV | BPF_K, r0, 0, 0, allow ? 1 : 0));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    for (size_t j : jumps)
        p[j].off = static_cast<int16_t>(p.size() - j - 1);
}

bool matches(const Exception& e, Type type, uint32_t major, uint32_t minor) {
    return e.type == type && (!e.major || *e.major == major) && (!e.minor || *e.minor == minor);
}

} // namespace

const std::vector<DeviceRule>& default_rules() {
    auto rwm = [](int64_t major, std::optional<int64_t> minor) {
        return DeviceRule{true, "c", major, minor, "rwm"};
    };
    static const std::vector<DeviceRule> rules = {
        {true, "c", std::nullopt, std::nullopt, "m"}, // mknod of any node: opening is what counts
        {true, "b", std::nullopt, std::nullopt, "m"},
        rwm(1, 3),              // /dev/null
        rwm(1, 8),              // /dev/random
        rwm(1, 7),              // /dev/full
        rwm(5, 0),              // /dev/tty
        rwm(1, 5),              // /dev/zero
        rwm(1, 9),              // /dev/urandom
        rwm(136, std::nullopt), // /dev/pts/N, and /dev/console (a pts bound there)
        rwm(5, 2),              // /dev/ptmx
        rwm(10, 200),           // /dev/net/tun
    };
    return rules;
}

Filter compile_rules(const std::vector<DeviceRule>& rules) {
    Emulator emu;
    for (size_t i = 0; i < rules.size(); ++i)
        with_context("linux.resources.devices[" + std::to_string(i) + "] (" +
                         rule_string(rules[i]) + ")",
                     [&] { emu.apply(rules[i]); });
    for (const DeviceRule& r : default_rules())
        with_context("runc's default rule " + rule_string(r), [&] { emu.apply(r); });
    return emu.filter();
}

bool allows(const Filter& f, Type type, uint32_t major, uint32_t minor, uint32_t access) {
    for (const Exception& e : f.exceptions) {
        if (!matches(e, type, major, minor)) continue;
        if (f.default_allow && (access & e.access)) return false;
        if (!f.default_allow && (access & ~e.access) == 0) return true;
    }
    return f.default_allow;
}

bool allows_all(const Filter& f) {
    return f.default_allow && f.exceptions.empty();
}

std::vector<bpf_insn> emit(const Filter& f) {
    // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }, as runc loads it:
    // r2 = type, r3 = access, r4 = major, r5 = minor.
    std::vector<bpf_insn> p = {
        insn(BPF_LDX | BPF_MEM | BPF_W, r2, r1, 0, 0),
        insn(BPF_ALU | BPF_AND | BPF_K, r2, 0, 0, 0xffff),
        insn(BPF_LDX | BPF_MEM | BPF_W, r3, r1, 0, 0),
        insn(BPF_ALU | BPF_RSH | BPF_K, r3, 0, 0, 16),
        insn(BPF_LDX | BPF_MEM | BPF_W, r4, r1, 4, 0),
        insn(BPF_LDX | BPF_MEM | BPF_W, r5, r1, 8, 0),
    };
    for (const Exception& e : f.exceptions)
        emit_exception(p, e, !f.default_allow);
    p.push_back(insn(BPF_ALU | BPF_MOV | BPF_K, r0, 0, 0, f.default_allow ? 1 : 0));
    p.push_back(insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    return p;
}

std::string describe(const Filter& f) {
    if (f.exceptions.empty()) return f.default_allow ? "allow all" : "deny all";
    std::string out = f.default_allow ? "allow all but: deny " : "deny all but: allow ";
    for (size_t i = 0; i < f.exceptions.size(); ++i)
        out += (i ? ", " : "") + exception_string(f.exceptions[i]);
    return out;
}

void replace_program(const std::string& cgroup_dir, const Filter& f) {
    log::trace("rung", kRule, "device filter for ", quote(cgroup_dir), ": ", describe(f));
    unique_fd dir = sys::open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, kRule);
    std::vector<unique_fd> before;
    for (uint32_t id : sys::bpf_prog_query(dir.get(), BPF_CGROUP_DEVICE, kRule))
        before.push_back(sys::bpf_prog_get_fd_by_id(id, kRule));
    if (!allows_all(f)) {
        std::vector<bpf_insn> insns = emit(f);
        // No GPL-only helper is called, so any license string will do.
        unique_fd prog = sys::bpf_prog_load(BPF_PROG_TYPE_CGROUP_DEVICE, insns.data(), insns.size(),
                                            "Apache-2.0", kRule);
        sys::bpf_prog_attach(prog.get(), dir.get(), BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI, kRule);
    }
    for (const unique_fd& old : before)
        sys::bpf_prog_detach(old.get(), dir.get(), BPF_CGROUP_DEVICE, kRule);
}

} // namespace rung::devices
