// fuzz_state: <root>/<id>/state.json as every command after create reads it (read_state:
// parse_json, then state_from_json). A state that reads back must also write out and read back
// as the same state: state_to_json is the only writer, and a later command reads what it wrote.
#include "state.hpp"
#include "fuzz.hpp"
#include "rung/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    rung::fuzz::refusal_ok([&] {
        rung::State s =
            rung::state_from_json(rung::parse_json(rung::fuzz::text(data, size), "state.json"));
        std::string once = rung::state_to_json(s).dump();
        rung::State again = rung::state_from_json(rung::parse_json(once, "state.json"));
        FUZZ_CHECK(rung::state_to_json(again).dump() == once);
        rung::oci_state(s, rung::Status::created);
    });
    return 0;
}
