// The request an agent makes: one tool call, as plain data.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airlock {

enum class Tool { shell_exec, file_write, file_read };

std::string_view tool_name(Tool tool);
std::optional<Tool> parse_tool(std::string_view name);

struct ToolCall {
    Tool tool = Tool::shell_exec;
    std::string call_id;  // "c1", "c2", ... within a run

    // shell_exec: either argv (run directly) or shell (run by /bin/sh -c).
    std::vector<std::string> argv;
    std::optional<std::string> shell;
    std::string cwd;  // relative to the workspace; empty means the workspace root
    std::optional<long long> timeout_ms;  // never longer than the policy's limit

    // file_write / file_read: path relative to the workspace.
    std::string path;
    std::string content;                   // file_write bytes; never logged
    std::optional<std::size_t> max_bytes;  // file_read cap
};

// The argv that actually runs for a shell_exec call: argv itself, or {"/bin/sh", "-c", shell}.
std::vector<std::string> effective_argv(const ToolCall& call);

}  // namespace airlock
