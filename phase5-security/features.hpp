// features: `rung features`, the runtime-spec's Features structure (features.md and
// features-linux.md): what this runtime recognizes, for engines to read before they write a
// config.json. Every list comes from the table the code itself checks config.json against.
#pragma once

#include "rung/json.hpp"

namespace rung {

// The Features structure of phase 5, in the order features.md lists its properties.
nlohmann::ordered_json features();

} // namespace rung
