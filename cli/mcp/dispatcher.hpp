// Routes each message from the client: requests to their handlers (tools/call on a worker
// thread), notifications to the bookkeeping, responses to the requests airlock is waiting on.
#pragma once

#include <string>

#include "cli/mcp/call_registry.hpp"
#include "cli/mcp/call_workers.hpp"
#include "cli/mcp/client_requests.hpp"
#include "cli/mcp/client_state.hpp"
#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/message_writer.hpp"
#include "exec/session.hpp"

namespace airlock::mcp {

struct ServerParts {
    MessageWriter& out;
    ClientState& client;
    ClientRequests& requests;
    CallRegistry& calls;
    CallWorkers& workers;
    exec::Session& session;
    std::string instructions;
};

class Dispatcher {
  public:
    explicit Dispatcher(ServerParts parts) : p_(std::move(parts)) {}
    // Runs on the reader thread and never waits for a tool call.
    void dispatch(const Message& message);

  private:
    void route(const Message& m);
    void on_request(const Message& m);
    void on_notification(const Message& m);
    void initialize(const Message& m);
    void tools_call(const Message& m);
    void reply_error(const json& id, int code, const std::string& message);

    ServerParts p_;
};

}  // namespace airlock::mcp
