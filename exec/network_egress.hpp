// A session's egress proxy: the policy's network rules put behind netproxy's Decider, with
// "unknown": "ask" put to the session's approvals; one proxy for the session, started by the
// first call that needs it, one listening socket per call, and what each call's connections
// did, for the WAL and the call's result.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "netproxy/proxy.hpp"
#include "platform/result.hpp"
#include "platform/tool_call.hpp"
#include "platform/unique_fd.hpp"
#include "policy/network.hpp"

namespace airlock::exec {

// Puts one destination of one call to a person, and blocks until answered (it runs on a thread
// of its own, never the proxy's). `asked` is the policy's answer that asked.
using NetworkAsker = std::function<netproxy::Answer(
    const ToolCall& call, const approvals::NetworkDestination& destination,
    const policy::NetworkDecision& asked)>;

// The policy's answer, as the proxy asks it. A name the policy asks about is asked before it is
// looked up (no DNS query for a name nobody approved); after an approval its addresses are
// still checked (an approval does not open a private or loopback address). An answer covers
// the destination's host and port for the rest of the call (the origin); the session cache
// (approved_for_session) is the Approver's. Concurrent connections to one destination share
// one ask. Without an asker, "ask" is refused.
class PolicyNetworkDecider : public netproxy::Decider {
  public:
    using Ask = std::function<netproxy::Answer(const std::string& origin,
                                               const approvals::NetworkDestination& destination,
                                               const policy::NetworkDecision& asked)>;
    explicit PolicyNetworkDecider(policy::NetworkPolicy policy, Ask ask = {})
        : policy_(std::move(policy)), ask_(std::move(ask)) {}
    ~PolicyNetworkDecider() override;
    netproxy::Answer decide(const netproxy::Destination& destination) override;
    std::optional<netproxy::Answer> decide_or_wait(const netproxy::Destination& destination,
                                                   netproxy::Later later) override;
    // The call ended: what was answered for it no longer applies.
    void forget(const std::string& origin);
    // Waits for the asks still open (their answers go nowhere once the proxy stopped).
    void wait_for_asks();

  private:
    netproxy::Answer policy_answer(const netproxy::Destination& d,
                                   std::optional<policy::NetworkDecision>* asks) const;

    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    policy::NetworkPolicy policy_;
    Ask ask_;
    std::mutex mutex_;
    std::map<std::string, std::vector<netproxy::Later>> pending_;  // origin\nhost:port
    std::map<std::string, netproxy::Answer> answered_;             // origin\nhost:port
    std::vector<Worker> workers_;
};

// The proxy's options from the policy: read-only, and the layers' "hosts" (a name two layers
// map differently maps to nothing: it is refused).
netproxy::ProxyOptions proxy_options(const policy::NetworkPolicy& policy);

// What one call's connections did, when the call ends.
struct CallNetwork {
    std::vector<netproxy::ConnectionRecord> records;  // in order, at most kMaxRecordsPerCall
    std::size_t dropped = 0;                          // records beyond that bound
};

class SessionEgress {
  public:
    static constexpr std::size_t kMaxRecordsPerCall = 4096;

    static Result<std::unique_ptr<SessionEgress>> start(const policy::NetworkPolicy& policy,
                                                        NetworkAsker asker);
    // Serves one call's listening socket (made in the call's own network namespace:
    // sandbox/netns.hpp) as that call's origin.
    void serve_call(const ToolCall& call, UniqueFd listening);
    // The same for the seccomp adapter, which has no namespace of its own: the call is served
    // on an ephemeral port of the host's 127.0.0.1, returned (Landlock lets the command connect
    // to that port only; other local processes can reach it too, and get the same allow list:
    // docs/SANDBOX.md).
    Result<std::uint16_t> open_call_on_loopback(const ToolCall& call);
    // Closes the call's listening socket and connections, and returns what they recorded.
    CallNetwork end_call(const std::string& call_id);
    // Stops the proxy (every connection ends) and waits for the asks still open.
    ~SessionEgress();

  private:
    SessionEgress() = default;
    void add_call(const ToolCall& call);
    std::mutex mutex_;
    std::map<std::string, CallNetwork> calls_;  // by call id (the proxy's origin)
    std::map<std::string, ToolCall> context_;   // what an ask shows about its call
    NetworkAsker asker_;
    std::shared_ptr<PolicyNetworkDecider> decider_;
    std::unique_ptr<netproxy::Proxy> proxy_;
};

// The WAL record of one connection: never paths, queries, headers or bodies.
nlohmann::json network_request_record(const netproxy::ConnectionRecord& record);

}  // namespace airlock::exec
