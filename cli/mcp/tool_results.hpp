// airlock's tools as MCP sees them: the tools/list entries and tools/call results.
#pragma once

#include <string>

#include "cli/mcp/json_rpc.hpp"
#include "exec/call_result.hpp"

namespace airlock::mcp {

// {tools: [...]} from exec::tool_declarations(), with annotations.
json tools_list_result();

// {content: [text...], structuredContent: to_json(result), isError}. Anything but status ok is
// an error result whose first text block says what stopped the call and what to do instead.
json tool_call_result(const exec::CallResult& result);

// The sentence an agent acts on: which stage stopped the call, why, and what would work.
std::string agent_message(const exec::CallResult& result);

}  // namespace airlock::mcp
