// A call's egress proxy: the policy's network rules put behind netproxy's Decider, the proxy
// started for one command and stopped after it, and what it saw, for the WAL and the result.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <nlohmann/json.hpp>

#include "netproxy/proxy.hpp"
#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "policy/network.hpp"

namespace airlock::exec {

// The policy's answer, as the proxy asks it. Before resolution (no address) a name is refused
// only when the answer cannot change with its address; "ask" is refused (fail closed): network
// destinations are not put to the approval providers yet.
class PolicyNetworkDecider : public netproxy::Decider {
  public:
    explicit PolicyNetworkDecider(policy::NetworkPolicy policy) : policy_(std::move(policy)) {}
    netproxy::Answer decide(const netproxy::Destination& destination) override;

  private:
    policy::NetworkPolicy policy_;
};

// The proxy's options from the policy: read-only, and the layers' "hosts" (a name two layers
// map differently maps to nothing: it is refused).
netproxy::ProxyOptions proxy_options(const policy::NetworkPolicy& policy);

class CallEgress {
  public:
    // Served through a channel whose other end the sandbox's airlock-netbridge gets (bwrap).
    static Result<std::unique_ptr<CallEgress>> start(const policy::NetworkPolicy& policy);
    // Served on an ephemeral port of the host's 127.0.0.1 (the seccomp adapter: no namespace to
    // bridge into; Landlock lets the command connect to that port only). Other local processes
    // can reach it too, and get the same allow list (docs/SANDBOX.md).
    static Result<std::unique_ptr<CallEgress>> start_on_loopback(
        const policy::NetworkPolicy& policy);
    int child_channel() const { return child_channel_.get(); }
    int port() const { return port_; }  // start_on_loopback: the port it listens on
    void close_child_channel() { child_channel_.reset(); }
    // Stops the proxy (every connection ends) and returns what it recorded, in order.
    std::vector<netproxy::ConnectionRecord> finish();

  private:
    CallEgress() = default;
    std::mutex mutex_;
    std::vector<netproxy::ConnectionRecord> records_;
    Result<void> start_proxy(const policy::NetworkPolicy& policy);
    UniqueFd child_channel_;
    int port_ = 0;
    std::unique_ptr<netproxy::Proxy> proxy_;
};

// The WAL record of one connection: never paths, queries, headers or bodies.
nlohmann::json network_request_record(const netproxy::ConnectionRecord& record);

}  // namespace airlock::exec
