// `airlock serve`: one MCP session over stdio, one airlock run.
#pragma once

#include <chrono>

#include "cli/mcp/elicitation_provider.hpp"
#include "cli/mcp/tool_results.hpp"
#include "exec/session.hpp"

namespace airlock::mcp {

struct ServerOptions {
    exec::SessionOptions session;  // make_provider and passthrough are set by the server
    ElicitationOptions elicitation;
    ResultText result_text = ResultText::concise;
    std::chrono::milliseconds progress_interval{10000};
    int in_fd = 0;
    int out_fd = 1;
};

// Serves until stdin closes or SIGTERM/SIGINT/SIGHUP arrives, then cancels every call in
// flight (killing its process tree), waits for them and finishes the run. Returns the exit
// status: 0, or 125 when the run could not start (the reason is on stderr).
int serve(ServerOptions options);

}  // namespace airlock::mcp
