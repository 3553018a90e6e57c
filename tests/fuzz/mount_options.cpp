// fuzz_mount_options: a mount entry's "options" as mount_options_of() translates them for
// mount(2) and mount_setattr(2). The input is the mount's type on the first line and one option
// per further line (an option may hold commas: "mode=755,size=64k" is one filesystem datum).
#include "mount_options.hpp"
#include "fuzz.hpp"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input = rung::fuzz::text(data, size);
    rung::Mount m;
    m.destination = "/mnt";
    m.source = "/src";
    std::string_view rest = input;
    for (bool first = true; !rest.empty() || first; first = false) {
        size_t nl = rest.find('\n');
        std::string line(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        (first ? m.type : m.options.emplace_back()) = line;
    }
    rung::fuzz::refusal_ok([&] {
        rung::MountOptions o = rung::mount_options_of(m);
        // Whatever is not a flag is passed on as data, word for word and in order.
        std::string joined = o.data_string();
        for (const std::string& d : o.data)
            FUZZ_CHECK(joined.find(d) != std::string::npos);
        o.is_bind();
    });
    return 0;
}
