// airlock's tools as MCP sees them: the tools/list entries and tools/call results.
#pragma once

#include <cstddef>
#include <string>

#include "cli/mcp/json_rpc.hpp"
#include "exec/call_result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::mcp {

// What the text content of a tools/call result holds (`airlock serve --result-text`).
//   concise: what a shell tool says: the output, then stderr, the exit status when not 0, one
//            line for a block; the full result is in structuredContent.
//   full:    the full result as JSON text (after a sentence for the agent when it is an error).
enum class ResultText { concise, full };

// {tools: [...]} from exec::tool_declarations(), with annotations and the output schema.
json tools_list_result();

// The JSON Schema of structuredContent (exec::to_json of a CallResult).
json tool_output_schema();

// What the concise text says about a call besides its result.
struct CallFacts {
    Tool tool = Tool::shell_exec;
    std::string path;               // file_write, file_read
    std::size_t content_bytes = 0;  // file_write
};
CallFacts call_facts(const ToolCall& call);

// {content: [text], structuredContent: to_json(result), isError}. Anything but status ok is an
// error result.
json tool_call_result(const exec::CallResult& result, const CallFacts& facts, ResultText mode);

// The concise text (exposed for tests).
std::string concise_text(const exec::CallResult& result, const CallFacts& facts);

// The sentence an agent acts on: which stage stopped the call, why, and what would work.
std::string agent_message(const exec::CallResult& result);

}  // namespace airlock::mcp
