// Tool-call parsing: the MCP/CLI/plan arguments (exec::decode_tool_call) and the call objects of
// cases files and WAL events (policy::call_from_json), on arbitrary JSON text.
// Invariants: nothing throws; an accepted shell_exec call has exactly one of a non-empty argv
// and a non-empty shell, a positive timeout; a file call has its path; every rejection is an
// "input" error with a message; call_to_json and call_from_json round-trip; describe_call
// (the one line `airlock policy` prints) works for any bytes, not only valid UTF-8.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/tool_schema.hpp"
#include "fuzz_target.hpp"
#include "policy/call_json.hpp"

namespace {

using airlock::Tool;
using airlock::ToolCall;
using nlohmann::json;

void check_decoded(std::string_view name, const json& args) {
    auto call = airlock::exec::decode_tool_call(name, args);
    if (!call) {
        FUZZ_CHECK(call.error().stage == "input" && !call.error().message.empty());
        return;
    }
    FUZZ_CHECK(airlock::tool_name(call->tool) == name);
    switch (call->tool) {
        case Tool::shell_exec:
            FUZZ_CHECK(call->shell.has_value() != !call->argv.empty());
            if (call->shell) FUZZ_CHECK(!call->shell->empty());
            if (call->timeout_ms) FUZZ_CHECK(*call->timeout_ms >= 1);
            FUZZ_CHECK(call->path.empty());
            break;
        case Tool::file_write:
        case Tool::file_read:
            FUZZ_CHECK(args.contains("path") && call->argv.empty() && !call->shell);
            break;
    }
}

bool same_call(const ToolCall& a, const ToolCall& b) {
    return a.tool == b.tool && a.argv == b.argv && a.shell == b.shell && a.path == b.path &&
           a.cwd == b.cwd;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = airlock::fuzz::as_text(data, size);

    // Raw bytes, split at NUL, as an argv: what a CLI user or a parsed segment can hand over.
    ToolCall raw;
    std::size_t start = 0;
    for (std::size_t nul; (nul = text.find('\0', start)) != std::string_view::npos; start = nul + 1)
        raw.argv.emplace_back(text.substr(start, nul - start));
    raw.argv.emplace_back(text.substr(start));
    (void)airlock::policy::describe_call(raw);
    raw.argv.clear();
    raw.shell = std::string(text);
    (void)airlock::policy::describe_call(raw);

    const json j = json::parse(text.begin(), text.end(), nullptr, false);
    if (j.is_discarded()) return 0;

    for (const char* name : {"shell_exec", "file_write", "file_read"})
        check_decoded(name, j);
    // MCP tools/call params: {"name": ..., "arguments": {...}}.
    if (j.is_object() && j.contains("name") && j["name"].is_string())
        check_decoded(j["name"].get<std::string>(),
                      j.contains("arguments") ? j["arguments"] : json::object());

    auto call = airlock::policy::call_from_json(j);
    if (!call) {
        FUZZ_CHECK(call.error().stage == "input" && !call.error().message.empty());
        return 0;
    }
    const json again = airlock::policy::call_to_json(*call);
    auto back = airlock::policy::call_from_json(again);
    FUZZ_CHECK(back.ok());
    FUZZ_CHECK(same_call(*call, *back));
    FUZZ_CHECK(!airlock::policy::describe_call(*call).empty());
    return 0;
}
