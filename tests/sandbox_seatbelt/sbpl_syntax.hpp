// A small reader of SBPL's surface syntax, enough to check generated profiles without macOS:
// balanced parentheses, terminated strings, and what the strings and parameters are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace airlock::test {

struct SbplScan {
    std::string error;                    // empty when the text is well formed
    std::vector<std::string> top_level;   // the forms at depth 0, as text ("(version 1)", ...)
    std::vector<std::string> strings;     // every string and regex literal, unescaped
    std::vector<std::string> param_refs;  // the names in (param "NAME")
};

SbplScan scan_sbpl(std::string_view text);

}  // namespace airlock::test
