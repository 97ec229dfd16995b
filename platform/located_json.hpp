// JSON with comments (// and /* */), keeping the source location of every value so that
// configuration errors can name file, line and column.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

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
    std::string text;    // the source text, kept to locate values when a message needs it

    // "FILE:LINE:COL" for a pointer (falls back to the nearest known ancestor). Locations are
    // only computed on the first call (a second pass over `text`): loading a large, valid
    // document never pays for them. Not thread-safe.
    std::string where(const std::string& pointer) const;

    // JSON pointer ("/rules/2/id") -> where that value starts. The key of an object member
    // is found under its pointer too when the value itself is a container.
    const std::unordered_map<std::string, SourceLocation>& locations() const;

  private:
    mutable std::unordered_map<std::string, SourceLocation> locations_;
    mutable bool located_ = false;
};

// RFC 6901 escaping of one JSON pointer reference token ("a/b" -> "a~1b").
std::string escape_pointer_token(std::string_view key);

// Parses strict JSON plus comments. Errors read "FILE:LINE:COL: message" (stage "config").
Result<LocatedJson> parse_located_json(std::string_view text, std::string_view source_name);

}  // namespace airlock
