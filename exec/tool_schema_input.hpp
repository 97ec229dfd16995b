// What a tool call may carry, whatever interface it came through (CLI, `airlock call`, MCP,
// plans): the size limits, and text that the kernel, the policy and the WAL can all represent.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::exec {

// A call's arguments as JSON text (`airlock call`), and the content of one file_write. The MCP
// server's message limit is the same, so one number holds everywhere.
inline constexpr std::size_t kMaxArgumentsJsonBytes = 64u << 20;
inline constexpr std::size_t kMaxContentBytes = 64u << 20;
// One argv element or the shell string: the kernel refuses longer ones (MAX_ARG_STRLEN, with
// its NUL), so a longer one is refused here, before anything is logged or prepared.
inline constexpr std::size_t kMaxArgumentBytes = 128u * 1024 - 1;
// All of argv together: well below ARG_MAX, which also has to hold the sandbox's own arguments
// and the environment.
inline constexpr std::size_t kMaxArgvBytes = 1u << 20;
inline constexpr std::size_t kMaxArgvElements = 4096;
// path and cwd (PATH_MAX with its NUL).
inline constexpr std::size_t kMaxPathBytes = 4095;

// JSON nested deeper than this is refused before it is parsed (an MCP tool call needs 4 levels).
inline constexpr std::size_t kMaxJsonDepth = 128;

// Parses `text` as strict JSON. The error (stage "input") reads "WHAT: not valid JSON at line L,
// column C (byte B): REASON", never quoting the text itself; nesting deeper than kMaxJsonDepth
// is refused the same way.
Result<nlohmann::json> parse_json_text(std::string_view text, std::string_view what);

// The offset of the first byte that is not part of well-formed UTF-8 (overlong forms,
// surrogates and code points above U+10FFFF included); nullopt when all of it is.
std::optional<std::size_t> first_invalid_utf8(std::string_view text);

// Sizes, NUL bytes and UTF-8 of every text parameter of the call. Errors (stage "input") name
// the tool and the parameter as a JSON pointer into the call's arguments ("/argv/1").
Result<void> check_call_input(const ToolCall& call);

}  // namespace airlock::exec
