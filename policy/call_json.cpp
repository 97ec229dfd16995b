#include "policy/call_json.hpp"

namespace airlock::policy {

using nlohmann::json;

Result<ToolCall> call_from_json(const json& o, std::initializer_list<std::string_view> extra_keys) {
    if (!o.is_object()) return make_error("input", "a call must be a JSON object");
    for (const auto& [key, value] : o.items()) {
        bool known = key == "tool" || key == "argv" || key == "shell" || key == "path" ||
                     key == "cwd" || key == "size" || key == "sha256";
        for (auto k : extra_keys)
            known = known || key == k;
        if (!known) return make_error("input", key + ": unknown field");
    }
    ToolCall call;
    if (o.contains("tool")) {
        if (!o["tool"].is_string()) return make_error("input", "tool: expected a string");
        auto tool = parse_tool(o["tool"].get<std::string>());
        if (!tool)
            return make_error("input", "tool: \"" + o["tool"].get<std::string>() +
                                           "\" is not shell_exec, file_write or file_read");
        call.tool = *tool;
    }
    if (o.contains("cwd")) {
        if (!o["cwd"].is_string()) return make_error("input", "cwd: expected a string");
        call.cwd = o["cwd"].get<std::string>();
    }
    if (call.tool == Tool::shell_exec) {
        const bool has_argv = o.contains("argv"), has_shell = o.contains("shell");
        if (has_argv == has_shell)
            return make_error("input",
                              "a shell_exec call needs exactly one of \"argv\" and \"shell\"");
        if (o.contains("path")) return make_error("input", "path: not a shell_exec parameter");
        if (has_argv) {
            const auto& a = o["argv"];
            if (!a.is_array() || a.empty())
                return make_error("input", "argv: expected a non-empty array of strings");
            for (const auto& t : a) {
                if (!t.is_string())
                    return make_error("input", "argv: expected a non-empty array of strings");
                call.argv.push_back(t.get<std::string>());
            }
        } else {
            if (!o["shell"].is_string() || o["shell"].get<std::string>().empty())
                return make_error("input", "shell: expected a non-empty string");
            call.shell = o["shell"].get<std::string>();
        }
    } else {
        if (o.contains("argv") || o.contains("shell"))
            return make_error("input",
                              "argv/shell: not parameters of " + std::string(tool_name(call.tool)));
        if (!o.contains("path") || !o["path"].is_string() || o["path"].get<std::string>().empty())
            return make_error("input", "path: a file call needs a non-empty \"path\"");
        call.path = o["path"].get<std::string>();
    }
    return call;
}

json call_to_json(const ToolCall& call) {
    json j = {{"tool", tool_name(call.tool)}};
    if (call.tool == Tool::shell_exec) {
        if (call.shell)
            j["shell"] = *call.shell;
        else
            j["argv"] = call.argv;
    } else {
        j["path"] = call.path;
    }
    if (!call.cwd.empty()) j["cwd"] = call.cwd;
    return j;
}

std::string describe_call(const ToolCall& call) {
    // Quoted with invalid UTF-8 replaced: a command line may hold any bytes, and this line is
    // only for people (json::dump would throw on them).
    auto quoted = [](const std::string& s) {
        return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
    };
    if (call.tool != Tool::shell_exec) return std::string(tool_name(call.tool)) + " " + call.path;
    if (call.shell) return "sh -c " + quoted(*call.shell);
    std::string out;
    for (const auto& a : call.argv) {
        if (!out.empty()) out += ' ';
        const bool plain =
            !a.empty() && a.find_first_of(" \t\n'\"\\$`;&|<>()*?[]{}~#") == std::string::npos;
        out += plain ? a : quoted(a);
    }
    return out;
}

}  // namespace airlock::policy
