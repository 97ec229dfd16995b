// The tools airlock offers, declared once: their input schemas validate CLI calls, plans and
// (later) MCP tools/list from the same source.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::exec {

struct ToolDeclaration {
    Tool tool;
    std::string description;
    nlohmann::json input_schema;  // JSON Schema (the subset decode_tool_call enforces)
    bool read_only = false;
    bool destructive = false;
};

const std::vector<ToolDeclaration>& tool_declarations();

// Validates `args` against the tool's schema and builds the call. Errors (stage "input") name
// the tool and the parameter: missing, wrong type, unknown, or an unknown tool.
Result<ToolCall> decode_tool_call(std::string_view tool, const nlohmann::json& args);

}  // namespace airlock::exec
