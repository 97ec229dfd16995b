#include "policy/findings.hpp"

#include <nlohmann/json.hpp>

namespace airlock::policy {

std::string Finding::render() const {
    std::string out = where + ": ";
    if (!field.empty()) out += field + ": ";
    return out + message;
}

bool has_errors(const std::vector<Finding>& findings) {
    for (const auto& f : findings)
        if (f.severity == Finding::Severity::error) return true;
    return false;
}

std::string render_errors(const std::vector<Finding>& findings, std::size_t limit) {
    std::string out;
    std::size_t shown = 0, total = 0;
    for (const auto& f : findings) {
        if (f.severity != Finding::Severity::error) continue;
        ++total;
        if (shown == limit) continue;
        if (!out.empty()) out += "\n";
        out += f.render();
        ++shown;
    }
    if (total > shown) out += "\n(" + std::to_string(total - shown) + " more errors)";
    return out;
}

nlohmann::json to_json(const Finding& f) {
    return {{"severity", f.severity == Finding::Severity::error ? "error" : "warning"},
            {"code", f.code},
            {"where", f.where},
            {"field", f.field},
            {"message", f.message}};
}

}  // namespace airlock::policy
