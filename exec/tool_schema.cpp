#include "exec/tool_schema.hpp"

#include <limits>

#include "exec/tool_schema_input.hpp"
#include "platform/located_json.hpp"

namespace airlock::exec {

using nlohmann::json;

const std::vector<ToolDeclaration>& tool_declarations() {
    static const std::vector<ToolDeclaration> declarations{
        {Tool::shell_exec,
         "Run a command inside airlock's sandbox. Give either `command` (run by /bin/sh -c) or "
         "`argv` (run directly).",
         json::parse(R"({
            "type": "object",
            "properties": {
              "command": {"type": "string", "description": "shell command line, run by /bin/sh -c"},
              "argv": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                       "description": "program and arguments, run without a shell"},
              "cwd": {"type": "string", "description": "working directory relative to the workspace"},
              "timeout_ms": {"type": "integer", "minimum": 1,
                             "description": "wall-clock limit; never longer than the policy's"}
            },
            "oneOf": [{"required": ["command"]}, {"required": ["argv"]}],
            "additionalProperties": false
          })"),
         false, true},
        {Tool::file_write, "Write a file inside the workspace (created or replaced).",
         json::parse(R"({
            "type": "object",
            "properties": {
              "path": {"type": "string", "description": "path relative to the workspace"},
              "content": {"type": "string", "description": "the file's new content"}
            },
            "required": ["path", "content"],
            "additionalProperties": false
          })"),
         false, true},
        {Tool::file_read, "Read a file inside the workspace.", json::parse(R"({
            "type": "object",
            "properties": {
              "path": {"type": "string", "description": "path relative to the workspace"},
              "max_bytes": {"type": "integer", "minimum": 0,
                            "description": "read at most this many bytes"}
            },
            "required": ["path"],
            "additionalProperties": false
          })"),
         true, false},
    };
    return declarations;
}

namespace {

Error input_error(std::string_view tool, const std::string& message) {
    return make_error("input", std::string(tool) + ": " + message);
}

std::string at(const std::string& key) {
    return " (at /" + escape_pointer_token(key) + ")";
}

const char* type_of(const json& value) {
    return value.is_number_integer() ? "integer" : value.type_name();
}

const ToolDeclaration* find_declaration(Tool tool) {
    for (const auto& d : tool_declarations())
        if (d.tool == tool) return &d;
    return nullptr;
}

// Checks presence, unknown keys and primitive types against the declaration's schema.
Result<void> check_shape(std::string_view name, const ToolDeclaration& decl, const json& args) {
    if (!args.is_object()) return input_error(name, "arguments must be a JSON object");
    const json& props = decl.input_schema.at("properties");
    for (const auto& [key, value] : args.items()) {
        if (!props.contains(key))
            return input_error(name, "unknown parameter \"" + key + "\"" + at(key));
        const std::string type = props.at(key).at("type");
        const bool ok = (type == "string" && value.is_string()) ||
                        (type == "integer" && value.is_number_integer()) ||
                        (type == "array" && value.is_array());
        if (!ok)
            return input_error(name, "parameter \"" + key + "\" must be " + type + ", got " +
                                         type_of(value) + at(key));
        if (type == "integer" && props.at(key).contains("minimum") &&
            value.get<long long>() < props.at(key).at("minimum").get<long long>())
            return input_error(name, "parameter \"" + key + "\" is below its minimum " +
                                         props.at(key).at("minimum").dump() + at(key));
    }
    if (decl.input_schema.contains("required"))
        for (const auto& req : decl.input_schema.at("required"))
            if (!args.contains(req.get<std::string>()))
                return input_error(name,
                                   "missing required parameter \"" + req.get<std::string>() + "\"");
    return {};
}

}  // namespace

Result<ToolCall> decode_tool_call(std::string_view name, const json& args) {
    const auto tool = parse_tool(name);
    if (!tool)
        return make_error("input", "unknown tool \"" + std::string(name) +
                                       "\" (expected shell_exec, file_write or file_read)");
    const ToolDeclaration* decl = find_declaration(*tool);
    if (auto shape = check_shape(name, *decl, args); !shape) return shape.error();

    ToolCall call;
    call.tool = *tool;
    switch (*tool) {
        case Tool::shell_exec: {
            const bool has_command = args.contains("command");
            const bool has_argv = args.contains("argv");
            if (has_command == has_argv)
                return input_error(
                    name, has_command ? "give either \"command\" or \"argv\", not both"
                                      : "missing required parameter \"command\" or \"argv\"");
            if (has_command) {
                call.shell = args.at("command").get<std::string>();
                if (call.shell->empty())
                    return input_error(name, "\"command\" is empty (at /command)");
            } else {
                const json& argv = args.at("argv");
                for (std::size_t i = 0; i < argv.size(); ++i) {
                    if (!argv[i].is_string())
                        return input_error(name,
                                           "every element of \"argv\" must be a string, "
                                           "got " +
                                               std::string(type_of(argv[i])) + " (at /argv/" +
                                               std::to_string(i) + ")");
                    call.argv.push_back(argv[i].get<std::string>());
                }
                if (call.argv.empty()) return input_error(name, "\"argv\" is empty (at /argv)");
            }
            if (args.contains("cwd")) call.cwd = args.at("cwd").get<std::string>();
            if (args.contains("timeout_ms"))
                call.timeout_ms = args.at("timeout_ms").get<long long>();
            break;
        }
        case Tool::file_write:
            call.path = args.at("path").get<std::string>();
            call.content = args.at("content").get<std::string>();
            break;
        case Tool::file_read:
            call.path = args.at("path").get<std::string>();
            if (args.contains("max_bytes"))
                call.max_bytes = static_cast<std::size_t>(args.at("max_bytes").get<long long>());
            break;
    }
    if (auto input = check_call_input(call); !input) return input.error();
    return call;
}

}  // namespace airlock::exec
