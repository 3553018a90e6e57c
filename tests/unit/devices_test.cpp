// The device cgroup (phase 5): linux.resources.devices compiled as cgroup v1 evaluated it, and
// the eBPF program emitted from that, run here by a small interpreter of the instructions it
// uses (BPF_PROG_TEST_RUN does not run cgroup device programs) against the reference allows().
#include "devices.hpp"
#include "rung/error.hpp"

#include <doctest/doctest.h>

using namespace rung;
using namespace rung::devices;

namespace {

DeviceRule rule(bool allow, std::string type, std::optional<int64_t> major,
                std::optional<int64_t> minor, std::string access) {
    return DeviceRule{allow, std::move(type), major, minor, std::move(access)};
}
const DeviceRule kDenyAll = rule(false, "", std::nullopt, std::nullopt, "rwm");
const DeviceRule kAllowAll = rule(true, "a", std::nullopt, std::nullopt, "rwm");

// Runs `p` as the kernel would for one request; only the instructions emit() produces. Returns r0.
uint64_t run(const std::vector<bpf_insn>& p, Type type, uint32_t major, uint32_t minor,
             uint32_t access) {
    const uint32_t ctx[3] = {access << 16 | static_cast<uint32_t>(type), major, minor};
    uint64_t reg[11] = {};
    size_t steps = 0;
    for (size_t pc = 0; pc < p.size(); ++pc) {
        REQUIRE(++steps < 10000);
        const bpf_insn& i = p[pc];
        uint64_t& dst = reg[i.dst_reg];
        auto imm = static_cast<uint64_t>(static_cast<int64_t>(i.imm)); // sign-extended
        switch (i.code) {
        case BPF_LDX | BPF_MEM | BPF_W:
            REQUIRE(i.src_reg == 1);
            REQUIRE((i.off == 0 || i.off == 4 || i.off == 8));
            dst = ctx[i.off / 4];
            break;
        case BPF_ALU | BPF_AND | BPF_K:
            dst = static_cast<uint32_t>(dst & imm);
            break;
        case BPF_ALU | BPF_RSH | BPF_K:
            dst = static_cast<uint32_t>(dst) >> i.imm;
            break;
        case BPF_ALU | BPF_MOV | BPF_X:
            dst = static_cast<uint32_t>(reg[i.src_reg]);
            break;
        case BPF_ALU | BPF_MOV | BPF_K:
            dst = static_cast<uint32_t>(i.imm);
            break;
        case BPF_JMP | BPF_JNE | BPF_K:
            if (dst != imm) pc += i.off;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            if (dst == imm) pc += i.off;
            break;
        case BPF_JMP | BPF_JNE | BPF_X:
            if (dst != reg[i.src_reg]) pc += i.off;
            break;
        case BPF_JMP | BPF_EXIT:
            return reg[0];
        default:
            FAIL("an instruction emit() should not make: code " << int(i.code));
        }
        REQUIRE(pc + 1 <= p.size());
    }
    FAIL("the program ran off its end");
    return 0;
}

// The program and allows() agree on every request over a grid of devices and accesses.
void check_program(const Filter& f) {
    std::vector<bpf_insn> p = emit(f);
    for (Type t : {Type::character, Type::block})
        for (uint32_t major : {0u, 1u, 5u, 10u, 136u, 4095u})
            for (uint32_t minor : {0u, 1u, 2u, 3u, 5u, 11u, 200u, 1048575u})
                for (uint32_t access = 1; access <= kAll; ++access) {
                    CAPTURE(major);
                    CAPTURE(minor);
                    CAPTURE(access);
                    CHECK(run(p, t, major, minor, access) == (allows(f, t, major, minor, access)));
                }
}

} // namespace

TEST_CASE("devices: runc spec's deny-all gets runc's defaults, and nothing more") {
    Filter f = compile_rules({kDenyAll});
    CHECK_FALSE(f.default_allow);
    CHECK(describe(f) == "deny all but: allow b *:* m, c *:* m, c 1:3 rwm, c 1:5 rwm, c 1:7 rwm, "
                         "c 1:8 rwm, c 1:9 rwm, c 5:0 rwm, c 5:2 rwm, c 10:200 rwm, c 136:* rwm");
    CHECK(allows(f, Type::character, 1, 3, kRead | kWrite));
    CHECK(allows(f, Type::character, 136, 7, kRead | kWrite));
    CHECK(allows(f, Type::block, 7, 0, kMknod));      // creating a node opens nothing
    CHECK_FALSE(allows(f, Type::block, 7, 0, kRead)); // opening it does
    CHECK_FALSE(allows(f, Type::character, 1, 11, kRead));
    // No rules at all: runc's emulator starts as deny-all too.
    CHECK(describe(compile_rules({})) == describe(f));
    check_program(f);
}

TEST_CASE("devices: an allow adds access to the same numbers; the request needs all of it") {
    Filter f = compile_rules({kDenyAll, rule(true, "c", 1, 11, "r"), rule(true, "c", 1, 11, "w"),
                              rule(true, "c", 10, std::nullopt, "rw")});
    CHECK(allows(f, Type::character, 1, 11, kRead | kWrite)); // merged as c 1:11 rw
    CHECK_FALSE(allows(f, Type::character, 1, 12, kRead));
    CHECK(allows(f, Type::character, 10, 229, kRead));
    CHECK_FALSE(allows(f, Type::block, 10, 229, kRead)); // type matters
    check_program(f);
}

TEST_CASE("devices: a deny takes access away from the exception it names") {
    Filter f =
        compile_rules({kDenyAll, rule(true, "c", 1, 11, "rwm"), rule(false, "c", 1, 11, "w")});
    CHECK(allows(f, Type::character, 1, 11, kRead));
    CHECK_FALSE(allows(f, Type::character, 1, 11, kRead | kWrite));
    check_program(f);
}

TEST_CASE("devices: a rule of type a resets everything before it, whatever its numbers") {
    Filter f = compile_rules({rule(true, "c", 1, 11, "r"), kAllowAll});
    CHECK(allows_all(f));
    CHECK(describe(f) == "allow all"); // the defaults' allows take nothing away from allow-all
    f = compile_rules({kAllowAll, rule(false, "a", 1, 3, "r")});
    CHECK_FALSE(f.default_allow);
    CHECK(allows(f, Type::character, 1, 3, kRead)); // back to deny-all, then the defaults
    check_program(f);
}

TEST_CASE("devices: allow-all with denies: a deny refuses a request naming any of its access") {
    Filter f = compile_rules(
        {kAllowAll, rule(false, "c", 1, 11, "rwm"), rule(false, "b", 7, std::nullopt, "w")});
    CHECK(f.default_allow);
    CHECK_FALSE(allows(f, Type::character, 1, 11, kMknod));
    CHECK_FALSE(allows(f, Type::block, 7, 3, kRead | kWrite));
    CHECK(allows(f, Type::block, 7, 3, kRead));
    CHECK(allows(f, Type::character, 4, 1, kRead | kWrite));
    // A default rule takes a deny of its own device away, as in runc: /dev/null stays usable.
    CHECK(allows(compile_rules({kAllowAll, rule(false, "c", 1, 3, "rwm")}), Type::character, 1, 3,
                 kRead | kWrite));
    check_program(f);
}

TEST_CASE("devices: a hole in a wildcard exception and numbers that are no device are errors") {
    CHECK_THROWS_WITH_AS(compile_rules({kDenyAll, rule(true, "c", 10, std::nullopt, "rwm"),
                                        rule(false, "c", 10, 229, "w")}),
                         "linux.resources.devices[2] (c 10:229 w): cannot deny part of c 10:* "
                         "rwm: a wildcard rule before it covers it (put the narrower rule first)",
                         Error);
    CHECK_THROWS_WITH_AS(compile_rules({rule(true, "c", 5000, 1, "r")}),
                         "linux.resources.devices[0] (c 5000:1 r): major 5000 is not a device "
                         "number (0 to 4095, or -1 for all)",
                         Error);
    CHECK_THROWS_WITH_AS(compile_rules({rule(true, "b", 1, -2, "r")}),
                         "linux.resources.devices[0] (b 1:-2 r): minor -2 is not a device number "
                         "(0 to 1048575, or -1 for all)",
                         Error);
    // -1 is the wildcard, as absent is.
    CHECK(compile_rules({kDenyAll, rule(true, "b", 8, -1, "r")}).exceptions ==
          compile_rules({kDenyAll, rule(true, "b", 8, std::nullopt, "r")}).exceptions);
}

TEST_CASE("devices: a rule without access means rwm") {
    Filter f = compile_rules({kDenyAll, rule(true, "c", 1, 11, "")});
    CHECK(allows(f, Type::character, 1, 11, kRead | kWrite | kMknod));
}
