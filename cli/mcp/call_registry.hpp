// Bookkeeping for tools/call requests in flight: their cancel fds (notifications/cancelled,
// shutdown) and their progress notifications while they wait or run.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/message_writer.hpp"
#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::mcp {

struct InFlightCall {
    json request_id;  // changes when a parked call resumes on its retry (registry's mutex)
    std::optional<json> progress_token;
    // A 2026-07-28 request: approvals become input-required results, asked only when that
    // request declared form elicitation.
    bool modern = false;
    bool can_elicit = false;
    std::string digest;  // call_digest() of the tool name and arguments (modern calls)
    // Its request was answered with an input-required result and no retry took it over yet:
    // nobody waits for an answer to `request_id`.
    std::atomic<bool> parked{false};
    UniqueFd cancel_fd;  // an eventfd: readable once the call is cancelled
    std::atomic<bool> cancelled{false};
    std::atomic<bool> awaiting_approval{false};
    long long progress = 0;  // last progress value sent (guarded by the registry's mutex)
};

class CallRegistry {
  public:
    // `on_cancel` runs after a call was cancelled (wakes waits that watch `cancelled`).
    CallRegistry(MessageWriter& out, std::chrono::milliseconds progress_interval,
                 std::function<void()> on_cancel);
    ~CallRegistry();  // stops the progress ticker

    // A new call; an error when a call with that id is still in flight.
    Result<std::shared_ptr<InFlightCall>> add(const json& request_id,
                                              std::optional<json> progress_token);
    // Drops the call; returns the request id its answer goes to (it may have moved on resume).
    json remove(const InFlightCall& call);
    // The call answered its request with an input-required result: it is no longer known by
    // that id (a cancellation of it is ignored, the id may be reused) and sends no progress,
    // until resume() moves it onto the retry's id. Returns the id it had.
    json park(InFlightCall& call, long long wait_id);
    // A retry takes over parked wait `wait_id`; an error when that id is still in flight.
    Result<void> resume(long long wait_id, const json& request_id,
                        std::optional<json> progress_token);
    // notifications/cancelled: false when no such call is in flight.
    bool cancel(const json& request_id);
    void cancel_all();

  private:
    void signal(InFlightCall& call);
    void tick();

    MessageWriter& out_;
    std::chrono::milliseconds interval_;
    std::function<void()> on_cancel_;
    std::mutex mutex_;
    std::condition_variable stop_changed_;
    bool stopping_ = false;
    std::map<std::string, std::shared_ptr<InFlightCall>> calls_;
    std::thread ticker_;
};

// The call the current thread is handling. Session::handle asks the approval provider on the
// caller's thread, so the elicitation provider finds its call (progress token, cancellation)
// here without the pipeline knowing about MCP.
class CurrentCall {
  public:
    explicit CurrentCall(InFlightCall* call);
    ~CurrentCall();
    CurrentCall(const CurrentCall&) = delete;
    CurrentCall& operator=(const CurrentCall&) = delete;
    static InFlightCall* get();

  private:
    InFlightCall* previous_;
};

}  // namespace airlock::mcp
