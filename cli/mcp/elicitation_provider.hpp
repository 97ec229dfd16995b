// The approval provider of `airlock serve`: asks the person behind the MCP client through
// elicitation/create (2025 revisions), through an input-required result whose input request
// is the same form (2026-07-28), or — when the client cannot be asked — the configured
// fallback provider. Either way the run's Approver (session cache, loop guard, WAL records)
// sits in front of it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "approvals/approvals.hpp"
#include "cli/mcp/call_registry.hpp"
#include "cli/mcp/client_requests.hpp"
#include "cli/mcp/client_state.hpp"
#include "cli/mcp/input_required.hpp"
#include "cli/mcp/message_writer.hpp"

namespace airlock::mcp {

struct ElicitationOptions {
    std::string fallback_spec = "deny";  // deny, allow, exec:PROGRAM, web
    int timeout_seconds = 300;           // no answer in time -> timed_out
    std::filesystem::path workspace;     // web: whose `airlock ui` answers
    // How long a 2026-07-28 requestState is accepted; 0: timeout_seconds.
    std::chrono::milliseconds request_state_ttl{0};
};

// How a 2026-07-28 call asks: its request is answered with an input-required result and the
// call waits for the retry. `record` writes to the run's WAL (set once the run is open).
struct InputChannel {
    MessageWriter& out;
    CallRegistry& calls;
    PendingInputs& inputs;
    std::function<void(const std::string& type, const std::string& call_id, json data)> record;
};

// Builds the provider; an unusable fallback (missing program, unknown name) is an Error.
Result<std::unique_ptr<approvals::Provider>> make_elicitation_provider(
    const ClientState& client, ClientRequests& requests, InputChannel& input,
    const ElicitationOptions& options);

// The form the person answers, and the text shown above it (exposed for tests).
json elicitation_params(const approvals::ApprovalRequest& request, bool with_mode);
// Maps the client's answer (an elicitation/create result) to a decision.
approvals::ApprovalAnswer read_elicitation_result(const json& result);

}  // namespace airlock::mcp
