#include <nlohmann/json.hpp>

#include "policy/policy.hpp"

namespace airlock::policy {

std::string_view decision_name(Decision d) {
    switch (d) {
        case Decision::allow:
            return "allow";
        case Decision::ask:
            return "ask";
        case Decision::deny:
            return "deny";
    }
    return "deny";
}

std::optional<Decision> parse_decision(std::string_view n) {
    if (n == "allow") return Decision::allow;
    if (n == "ask") return Decision::ask;
    if (n == "deny") return Decision::deny;
    return std::nullopt;
}

nlohmann::json to_json(const Verdict& v) {
    nlohmann::json matched = nlohmann::json::array();
    for (const auto& m : v.matched)
        matched.push_back({{"rule", m.rule},
                           {"decision", decision_name(m.decision)},
                           {"reason", m.reason},
                           {"layer", m.layer},
                           {"segment", m.segment}});
    nlohmann::json out = {{"decision", decision_name(v.decision)},
                          {"rule", v.rule},
                          {"reason", v.reason},
                          {"matched", std::move(matched)}};
    if (v.always_ask) out["always_ask"] = true;
    return out;
}

}  // namespace airlock::policy
