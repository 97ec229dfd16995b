#include "cli/mcp/tool_results.hpp"

#include <cstdint>

#include "exec/tool_schema.hpp"

namespace airlock::mcp {

namespace {

std::string title_of(Tool tool) {
    switch (tool) {
        case Tool::shell_exec:
            return "Run a command in airlock's sandbox";
        case Tool::file_write:
            return "Write a workspace file";
        case Tool::file_read:
            return "Read a workspace file";
    }
    return "";
}

// Several clients (and the model APIs behind them) reject combinators at the top of an input
// schema; decode_tool_call enforces "command or argv" anyway and the description says so.
json client_schema(json schema) {
    schema.erase("oneOf");
    schema.erase("anyOf");
    return schema;
}

std::string last_lines(const std::string& text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    return "..." + text.substr(text.size() - max_bytes);
}

// One line: a message from the pipeline may hold newlines (and is attacker-influenced text).
std::string one_line(std::string text) {
    for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

// How much output was cut (unknown when the command's output ended before airlock read past
// the cap, e.g. killed at its timeout).
std::string dropped(std::uint64_t bytes) {
    return bytes ? std::to_string(bytes) + " more bytes were" : "the rest was";
}

void end_line(std::string& text) {
    if (!text.empty() && text.back() != '\n') text += '\n';
}

}  // namespace

json tool_output_schema() {
    const json nullable_object = {{"type", {"object", "null"}}};
    return {{"type", "object"},
            {"properties",
             {{"status",
               {{"type", "string"},
                {"enum",
                 {"ok", "failed", "timeout", "denied", "approval_denied", "aborted",
                  "sandbox_denied", "invalid", "error", "cancelled"}}}},
              {"exit_code", {{"type", "integer"}}},
              {"stdout", {{"type", "string"}}},
              {"stderr", {{"type", "string"}}},
              {"truncated",
               {{"type", "object"},
                {"properties",
                 {{"stdout", {{"type", "boolean"}}}, {"stderr", {{"type", "boolean"}}}}}}},
              {"dropped_bytes",
               {{"type", "object"},
                {"properties",
                 {{"stdout", {{"type", "integer"}}}, {"stderr", {{"type", "integer"}}}}}}},
              {"risk", nullable_object},
              {"decision", nullable_object},
              {"approval", {{"type", "object"}}},
              {"sandbox", {{"type", "object"}}},
              {"stage", {{"type", "string"}}},
              {"message", {{"type", "string"}}},
              {"run_id", {{"type", "string"}}},
              {"wal", {{"type", "string"}}},
              {"duration_ms", {{"type", "integer"}}}}},
            {"required", {"status", "exit_code", "stdout", "stderr", "run_id"}}};
}

json tools_list_result() {
    json tools = json::array();
    for (const auto& d : exec::tool_declarations()) {
        tools.push_back({{"name", tool_name(d.tool)},
                         {"title", title_of(d.tool)},
                         {"description", d.description},
                         {"inputSchema", client_schema(d.input_schema)},
                         {"outputSchema", tool_output_schema()},
                         {"annotations",
                          {{"title", title_of(d.tool)},
                           {"readOnlyHint", d.read_only},
                           {"destructiveHint", d.destructive},
                           {"idempotentHint", d.read_only},
                           {"openWorldHint", d.tool == Tool::shell_exec}}}});
    }
    return {{"tools", tools}};
}

CallFacts call_facts(const ToolCall& call) {
    return {call.tool, call.path, call.content.size()};
}

std::string agent_message(const exec::CallResult& r) {
    using exec::Status;
    const std::string rule = r.decision ? r.decision->rule : "";
    switch (r.status) {
        case Status::ok:
            return "";
        case Status::denied:
            return "Blocked by airlock at stage policy: rule \"" + rule + "\" denies this call (" +
                   r.message +
                   "). Do not retry it as is; choose a command the policy allows, or ask the user "
                   "to change the policy.";
        case Status::approval_denied:
            return "Blocked by airlock at stage approval: " + r.message +
                   ". Do not repeat the same call; ask the user, or do the task another way.";
        case Status::aborted:
            return "Blocked by airlock at stage approval: " + r.message +
                   ". This session accepts no further tool calls; stop and ask the user.";
        case Status::sandbox_denied:
            return "Blocked by airlock at stage sandbox: " + r.message +
                   ". The command did not run; the sandbox the policy requires is unavailable.";
        case Status::invalid:
            return "Rejected by airlock at stage " + r.stage + ": " + r.message +
                   ". Fix the arguments and call again.";
        case Status::error:
            return "airlock failed at stage " + r.stage + ": " + r.message + ".";
        case Status::timeout:
            return "Timed out: " + r.message +
                   ". Give a smaller task, or a larger timeout_ms (the policy's limit still "
                   "applies).";
        case Status::cancelled:
            return "Cancelled: " + r.message + ".";
        case Status::failed: {
            std::string m =
                r.stage == "exec" && !r.message.empty()
                    ? "Failed at stage exec: " + r.message + "."
                    : "The command exited with status " + std::to_string(r.exit_code) + ".";
            if (!r.stderr_bytes.empty()) m += " stderr:\n" + last_lines(r.stderr_bytes, 2000);
            return m;
        }
    }
    return r.message;
}

std::string concise_text(const exec::CallResult& r, const CallFacts& facts) {
    using exec::Status;
    std::string text = r.stdout_bytes;
    if (r.stdout_truncated) {
        end_line(text);
        text += facts.tool == Tool::file_read
                    ? "[airlock: cut at " + std::to_string(r.stdout_bytes.size()) +
                          " bytes; the rest of the file was not read]\n"
                    : "[airlock: stdout cut at " + std::to_string(r.stdout_bytes.size()) +
                          " bytes; " + dropped(r.stdout_dropped) +
                          " not kept: redirect the output to a workspace file and file_read "
                          "it]\n";
    }
    if (!r.stderr_bytes.empty()) {
        end_line(text);
        text += "[stderr]\n" + r.stderr_bytes;
        if (r.stderr_truncated) {
            end_line(text);
            text += "[airlock: stderr cut at " + std::to_string(r.stderr_bytes.size()) +
                    " bytes; " + dropped(r.stderr_dropped) + " not kept]\n";
        }
    }
    switch (r.status) {
        case Status::ok:
            if (facts.tool == Tool::file_write)
                return "Wrote " + std::to_string(facts.content_bytes) + " bytes to " +
                       one_line(facts.path) + ".";
            if (text.empty()) return facts.tool == Tool::file_read ? "(empty file)" : "(no output)";
            return text;
        case Status::failed:
            end_line(text);
            if (r.stage == "exec" && !r.message.empty())
                return text + "[exit status " + std::to_string(r.exit_code) + ": " +
                       one_line(r.message) + "]";
            return text + "[exit status " + std::to_string(r.exit_code) + "]";
        case Status::timeout:
        case Status::cancelled:
            end_line(text);
            return text + "[" + one_line(agent_message(r)) + "]";
        default:
            // Nothing ran: one line with the stage and the reason.
            return one_line(agent_message(r));
    }
}

json tool_call_result(const exec::CallResult& result, const CallFacts& facts, ResultText mode) {
    const json structured = exec::to_json(result);
    json content = json::array();
    const bool is_error = result.status != exec::Status::ok;
    if (mode == ResultText::concise) {
        content.push_back({{"type", "text"}, {"text", concise_text(result, facts)}});
    } else {
        if (is_error) content.push_back({{"type", "text"}, {"text", agent_message(result)}});
        content.push_back({{"type", "text"}, {"text", serialize(structured)}});
    }
    return {{"content", content}, {"structuredContent", structured}, {"isError", is_error}};
}

}  // namespace airlock::mcp
