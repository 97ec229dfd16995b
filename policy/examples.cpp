// Examples are checked against their rule alone, with the stack's guard: a "match" example
// must be matched by the rule in at least one segment, a "not_match" example in none. Other
// rules and layers play no part, so an example keeps its meaning wherever the file is used.
#include "policy/call_json.hpp"
#include "policy/stack_impl.hpp"

namespace airlock::policy::detail {

namespace {

Result<ToolCall> example_call(const Rule& rule, const nlohmann::json& e) {
    if (e.is_string()) {
        ToolCall call;
        if (rule.tool == Tool::file_write || rule.tool == Tool::file_read) {
            call.tool = *rule.tool;
            call.path = e.get<std::string>();
        } else {
            call.shell = e.get<std::string>();
        }
        if (e.get<std::string>().empty())
            return make_error("policy", "an example must not be empty");
        return call;
    }
    if (e.is_array()) {
        nlohmann::json o = {{"argv", e}};
        return call_from_json(o);
    }
    if (e.is_object()) return call_from_json(e);
    return make_error(
        "policy", "an example is a shell string, an argv array or a call object {\"tool\", ...}");
}

}  // namespace

void check_examples(const PolicyStack::Impl& impl, std::vector<Finding>& findings,
                    std::optional<std::size_t> skip_layer) {
    for (const auto& rule : impl.rules) {
        if (skip_layer && rule.layer == *skip_layer) continue;
        for (const auto& ex : rule.examples) {
            if (!rule.agent_tool.empty()) {
                // An agent_tool rule's examples are tool names.
                std::string message;
                if (!ex.call.is_string() || ex.call.get<std::string>().empty())
                    message = "an agent_tool rule's example is a tool name (a non-empty string)";
                else if (rule.matches_agent_tool(ex.call.get<std::string>()) != ex.expect_match)
                    message = "example " + ex.call.dump() +
                              (ex.expect_match ? " is not matched by rule \""
                                               : " is matched by rule \"") +
                              rule.id + "\"";
                if (!message.empty())
                    findings.push_back(
                        {Finding::Severity::error, "example", ex.where.str(), ex.field, message});
                continue;
            }
            auto call = example_call(rule, ex.call);
            if (!call) {
                findings.push_back({Finding::Severity::error, "example", ex.where.str(), ex.field,
                                    call.error().message});
                continue;
            }
            const guard::Assessment a = impl.guard.assess(*call, impl.environment.workspace);
            bool matched = false;
            for (const auto& s : subjects_for(*call, a, impl.environment))
                matched = matched || rule_matches(rule, call->tool, s);
            if (matched == ex.expect_match) continue;
            std::string msg =
                "example " + ex.call.dump() +
                (ex.expect_match ? " is not matched by rule \"" : " is matched by rule \"") +
                rule.id + "\"";
            if (!a.parse.complete && call->tool == Tool::shell_exec)
                msg += " (the guard did not fully understand it)";
            findings.push_back(
                {Finding::Severity::error, "example", ex.where.str(), ex.field, msg});
        }
    }
}

}  // namespace airlock::policy::detail
