// Problems found in a policy file: load errors and lint findings share one shape.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace airlock::policy {

struct Finding {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    std::string code;  // "syntax", "schema", "duplicate-id", "example", "shadowed", "over-broad"...
    std::string where;  // FILE:LINE:COL
    std::string field;  // "rules[2].argv[0]"; empty for the document as a whole
    std::string message;

    // "FILE:LINE:COL: field: message"
    std::string render() const;
};

bool has_errors(const std::vector<Finding>& findings);
// Every error, one per line (at most `limit`, then a count of the rest).
std::string render_errors(const std::vector<Finding>& findings, std::size_t limit = 20);
nlohmann::json to_json(const Finding& finding);

}  // namespace airlock::policy
