// fuzz_config: config.json as phase 5 reads it: parse_json (depth limit, NUL bytes), parse_spec
// (the schema and the spec's MUST rules), then what create derives from the model before it
// touches anything: each mount's options and the unapplied-properties warning.
#include "fuzz.hpp"
#include "mount_options.hpp"
#include "rung/json.hpp"
#include "spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    rung::fuzz::refusal_ok([&] {
        rung::Spec spec =
            rung::parse_spec(rung::parse_json(rung::fuzz::text(data, size), "config.json"));
        for (const rung::Mount& m : spec.mounts)
            rung::mount_options_of(m);
        rung::describe_unapplied(spec);
        rung::describe_unknown(spec);
    });
    return 0;
}
