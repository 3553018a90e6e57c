// fuzz_seccomp: linux.seccomp as create checks it in preflight: the profile parsed by parse_spec
// (as the "seccomp" object of an otherwise empty config) and compiled by seccomp::Filter into a
// libseccomp filter. Never loaded: the fuzzer's own process keeps its system calls.
#include "seccomp.hpp"
#include "fuzz.hpp"
#include "rung/json.hpp"
#include "spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    rung::fuzz::refusal_ok([&] {
        rung::json profile = rung::parse_json(rung::fuzz::text(data, size), "seccomp");
        rung::json config = {{"ociVersion", "1.2.0"}, {"linux", {{"seccomp", profile}}}};
        rung::Spec spec = rung::parse_spec(config);
        if (spec.linux.seccomp) rung::seccomp::Filter filter(*spec.linux.seccomp);
    });
    return 0;
}
