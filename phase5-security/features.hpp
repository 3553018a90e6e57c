// features: `rung features`, the runtime-spec's Features structure (features.md and
// features-linux.md): what this runtime recognizes, for engines to read before they write a
// config.json. Every list comes from the table the code itself checks config.json against.
#pragma once

#include "rung/json.hpp"

#include <string>

namespace rung {

// The Features structure of phase 5, in the order features.md lists its properties. `phase` is
// what --version names ("5-security").
nlohmann::ordered_json features(const std::string& phase);

} // namespace rung
