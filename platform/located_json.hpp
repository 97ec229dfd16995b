// JSON with comments (// and /* */), keeping the source location of every value so that
// configuration errors can name file, line and column.
#pragma once

#include <unordered_map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"

namespace airlock {

struct SourceLocation {
    int line = 0;    // 1-based
    int column = 0;  // 1-based, in bytes
};

struct LocatedJson {
    nlohmann::json value;
    std::string source;  // file name used in messages
    // JSON pointer ("/rules/2/id") -> where that value starts. The key of an object member
    // is found under its pointer too when the value itself is a container.
    std::unordered_map<std::string, SourceLocation> locations;

    // "FILE:LINE:COL" for a pointer (falls back to the nearest known ancestor).
    std::string where(const std::string& pointer) const;
};

// Parses strict JSON plus comments. Errors read "FILE:LINE:COL: message" (stage "config").
Result<LocatedJson> parse_located_json(std::string_view text, std::string_view source_name);

}  // namespace airlock
