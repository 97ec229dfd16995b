// The approval provider of `airlock serve`: asks the person behind the MCP client through
// elicitation/create, or — when the client cannot be asked — the configured fallback provider.
#pragma once

#include <memory>
#include <string>

#include "approvals/approvals.hpp"
#include "cli/mcp/client_requests.hpp"
#include "cli/mcp/client_state.hpp"

namespace airlock::mcp {

struct ElicitationOptions {
    std::string fallback_spec = "deny";  // deny, allow, exec:PROGRAM
    int timeout_seconds = 300;           // no answer in time -> timed_out
};

// Builds the provider; an unusable fallback (missing program, unknown name) is an Error.
Result<std::unique_ptr<approvals::Provider>> make_elicitation_provider(
    const ClientState& client, ClientRequests& requests, const ElicitationOptions& options);

// The form the person answers, and the text shown above it (exposed for tests).
json elicitation_params(const approvals::ApprovalRequest& request, bool with_mode);
// Maps the client's answer (an elicitation/create result) to a decision.
approvals::ApprovalAnswer read_elicitation_result(const json& result);

}  // namespace airlock::mcp
