// The exec provider's protocol: the request document written to the program's stdin and the
// answer read from its stdout. Documented in docs/APPROVALS.md ("exec provider protocol").
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

inline constexpr int kExecProtocolVersion = 1;

// {"version", "call_id", "tool", "request" (sanitized_request), "cwd", "risk", "policy", "key"}.
// For a network destination: "tool": "network", "request": {"host", "port"}, "for_call" (the
// call's tool and program, never its arguments) instead of "cwd" and "risk".
// Never contains env values or file content.
nlohmann::json request_document(const ApprovalRequest& request);

// One JSON object {"decision": ..., "reason": ...} (surrounding whitespace allowed). Anything
// else is a denial whose reason says what was wrong; the program's reason is kept otherwise.
ApprovalAnswer parse_exec_answer(std::string_view output, const std::string& provider);

}  // namespace airlock::approvals
