// Calls of the 2026-07-28 revision that wait for input: the call's worker answers its request
// with an input-required result and waits here; the client's retry (a new request carrying
// `inputResponses` and the `requestState` echoed) hands the answers to that worker, which goes
// on where it stopped and answers the retry. Nothing of the call runs before the answer, and a
// state is accepted once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/request_state.hpp"
#include "platform/result.hpp"

namespace airlock::mcp {

class PendingInputs {
  public:
    struct Issued {
        long long wait_id = 0;
        std::string request_state;
        std::int64_t expires_ms = 0;
    };
    // A wait for the answers to `input_requests` of the call whose digest is given; its state
    // expires after `ttl`.
    Issued open(const std::string& call_digest, json input_requests, std::chrono::milliseconds ttl);

    enum class End { answered, expired, abandoned, disconnected };
    struct Waited {
        End end = End::disconnected;
        json responses;  // answered: the client's inputResponses
    };
    // Until a retry delivers, the state expires, abandon() holds (checked on wake_all()) or the
    // client disconnects. The wait is gone afterwards: a later retry is refused.
    Waited wait(long long wait_id, const std::function<bool()>& abandon);

    struct Delivery {
        enum class Kind { resumed, reissued, rejected, attach_failed };
        Kind kind = Kind::rejected;
        StateProblem problem = StateProblem::malformed;  // rejected
        std::string message;                             // rejected, attach_failed: why
        long long wait_id = 0;                           // resumed
        json input_required;  // reissued: the result asking again (a new state)
    };
    // A retry: checks the state (MAC, expiry, the call's digest, single use). When
    // `responses` answers every input request, runs `attach(wait_id)` (which moves the waiting
    // call onto the retry's request id) and, if that succeeded, consumes the state and wakes
    // the waiter. When answers are missing, the state is consumed and a new one issued for the
    // same wait, asking again.
    Delivery deliver(std::string_view request_state, const std::string& call_digest,
                     const json& responses,
                     const std::function<Result<void>(long long wait_id)>& attach);

    void wake_all();
    void disconnect();

  private:
    struct Entry {
        std::string digest;
        std::string nonce;
        std::int64_t expires_ms = 0;
        std::chrono::steady_clock::time_point deadline;
        json input_requests;
        std::optional<json> responses;
    };

    RequestStateSigner signer_;
    std::mutex mutex_;
    std::condition_variable changed_;
    long long next_id_ = 0;
    std::map<long long, Entry> waits_;
    std::map<std::string, long long> nonces_;  // nonce -> wait, until it is used
    bool disconnected_ = false;
};

// {resultType: "input_required", inputRequests, requestState, _meta: serverInfo}.
json input_required_result(const json& input_requests, const std::string& request_state);

}  // namespace airlock::mcp
