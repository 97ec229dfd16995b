// Routes each message from the client: requests to their handlers (tools/call on a worker
// thread), notifications to the bookkeeping, responses to the requests airlock is waiting on.
// The era is decided per request (protocol_era.hpp): `initialize` starts the 2025 behaviour,
// `server/discover` and requests carrying the 2026-07-28 `_meta` get that revision's.
#pragma once

#include <string>

#include "cli/mcp/call_registry.hpp"
#include "cli/mcp/call_workers.hpp"
#include "cli/mcp/client_requests.hpp"
#include "cli/mcp/client_state.hpp"
#include "cli/mcp/input_required.hpp"
#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/message_writer.hpp"
#include "cli/mcp/protocol_era.hpp"
#include "cli/mcp/tool_results.hpp"
#include "exec/session.hpp"

namespace airlock::mcp {

struct ServerParts {
    MessageWriter& out;
    ClientState& client;
    ClientRequests& requests;
    CallRegistry& calls;
    CallWorkers& workers;
    PendingInputs& inputs;
    exec::Session& session;
    std::string instructions;
    ResultText result_text = ResultText::concise;
};

class Dispatcher {
  public:
    explicit Dispatcher(ServerParts parts) : p_(std::move(parts)) {}
    // Runs on the reader thread and never waits for a tool call.
    void dispatch(const Message& message);

  private:
    void route(const Message& m);
    void on_request(const Message& m);
    void on_legacy_request(const Message& m);
    void on_modern_request(const Message& m, const ModernRequest& modern);
    void on_notification(const Message& m);
    void initialize(const Message& m);
    void discover(const Message& m);
    void tools_call(const Message& m, const ModernRequest* modern);
    void resume_call(const Message& m, const std::string& name, const json& args);
    void reply_error(const json& id, int code, const std::string& message, json data = nullptr);

    ServerParts p_;
    bool announced_modern_ = false;  // the reader thread's: stderr names the first such client
};

}  // namespace airlock::mcp
