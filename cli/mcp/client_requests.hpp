// Requests airlock sends to the client (elicitation/create), matched to their responses by id.
// The reader thread resolves responses while any number of callers wait for theirs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/message_writer.hpp"

namespace airlock::mcp {

class ClientRequests {
  public:
    explicit ClientRequests(MessageWriter& out) : out_(out) {}

    struct Reply {
        enum class Kind { answered, timed_out, abandoned, disconnected };
        Kind kind = Kind::disconnected;
        json result;                // answered without error
        std::optional<json> error;  // answered with an error object
    };

    // Sends the request and waits for its response, the deadline, `abandon()` turning true
    // (checked whenever wake_all() is called) or the client going away. A request that is not
    // answered is withdrawn with notifications/cancelled.
    Reply ask(const std::string& method, json params,
              std::chrono::steady_clock::time_point deadline, const std::function<bool()>& abandon);

    // The reader: hands a response to its waiter. False when no one waits for that id.
    bool resolve(const Message& response);
    // Something an abandon() predicate depends on changed.
    void wake_all();
    // stdin closed: every wait ends as disconnected, and no new request is sent.
    void disconnect();

  private:
    MessageWriter& out_;
    std::mutex mutex_;
    std::condition_variable changed_;
    long long next_id_ = 0;
    std::map<long long, std::optional<Message>> pending_;  // id -> response once it arrived
    bool disconnected_ = false;
};

}  // namespace airlock::mcp
