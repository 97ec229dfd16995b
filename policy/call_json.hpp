// A tool call written as JSON, as in cases files, WAL "call_received" events and examples.
#pragma once

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::policy {

// {"tool": "shell_exec", "argv": [...]} | {"tool": "shell_exec", "shell": "..."} |
// {"tool": "file_write"|"file_read", "path": "..."}, each with an optional "cwd".
// `tool` defaults to shell_exec. Members listed in `extra_keys` are accepted and ignored;
// any other member is an error (stage "input").
Result<ToolCall> call_from_json(const nlohmann::json& object,
                                std::initializer_list<std::string_view> extra_keys = {});

nlohmann::json call_to_json(const ToolCall& call);

// "git push origin", "sh -c '...'" or "file_write notes/x.md": one line for reports.
std::string describe_call(const ToolCall& call);

}  // namespace airlock::policy
