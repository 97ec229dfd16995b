// Risk levels by name: the catalog's and the policy's spelling of them.
#include "guard/guard.hpp"

namespace airlock::guard {

std::string_view level_name(Level level) {
    switch (level) {
        case Level::low:
            return "low";
        case Level::medium:
            return "medium";
        case Level::high:
            return "high";
        case Level::critical:
            return "critical";
    }
    return "critical";
}

std::optional<Level> parse_level(std::string_view name) {
    if (name == "low") return Level::low;
    if (name == "medium") return Level::medium;
    if (name == "high") return Level::high;
    if (name == "critical") return Level::critical;
    return std::nullopt;
}

}  // namespace airlock::guard
