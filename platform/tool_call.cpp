#include "platform/tool_call.hpp"

namespace airlock {

std::string_view tool_name(Tool tool) {
    switch (tool) {
        case Tool::shell_exec:
            return "shell_exec";
        case Tool::file_write:
            return "file_write";
        case Tool::file_read:
            return "file_read";
    }
    return "unknown";
}

std::optional<Tool> parse_tool(std::string_view name) {
    if (name == "shell_exec") return Tool::shell_exec;
    if (name == "file_write") return Tool::file_write;
    if (name == "file_read") return Tool::file_read;
    return std::nullopt;
}

std::vector<std::string> effective_argv(const ToolCall& call) {
    if (call.shell) return {"/bin/sh", "-c", *call.shell};
    return call.argv;
}

}  // namespace airlock
