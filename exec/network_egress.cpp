#include "exec/network_egress.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy/policy.hpp"

namespace airlock::exec {

netproxy::Answer PolicyNetworkDecider::decide(const netproxy::Destination& d) {
    policy::NetworkQuery q;
    q.host = d.host;
    q.port = d.port;
    q.address_is_host_own = d.address_is_host_own;
    if (!d.address.empty()) {
        q.address = policy::IpAddress::parse(d.address);
        if (!q.address) return {false, "address", "the resolved address cannot be read"};
    }
    const policy::NetworkDecision nd = policy::decide_network(policy_, q);
    if (nd.decision == policy::Decision::allow) return {true, nd.rule, nd.reason};
    if (d.address.empty() && nd.rule == "unknown") {
        // An address entry in allow may still open what this name resolves to.
        for (const auto& layer : policy_.layers)
            for (const auto& e : layer.allow)
                if (e.kind == policy::NetworkEntry::Kind::address)
                    return {true, "pending", "decided on the resolved address"};
    }
    if (nd.decision == policy::Decision::ask)
        return {false, nd.rule,
                "not on the policy's allow list (\"unknown\": \"ask\" is refused: network "
                "destinations are not put to approvals yet)"};
    return {false, nd.rule, nd.reason};
}

netproxy::ProxyOptions proxy_options(const policy::NetworkPolicy& policy) {
    netproxy::ProxyOptions o;
    o.read_only = policy.read_only();
    for (const auto& layer : policy.layers) {
        for (const auto& [name, address] : layer.hosts) {
            bool conflict = false;
            auto pinned = policy.pinned_address(name, &conflict);
            o.hosts[name] = pinned && !conflict ? pinned->str() : std::string();
        }
    }
    return o;
}

Result<void> CallEgress::start_proxy(const policy::NetworkPolicy& policy) {
    auto proxy = netproxy::Proxy::start(proxy_options(policy),
                                        std::make_shared<PolicyNetworkDecider>(policy),
                                        [this](const netproxy::ConnectionRecord& r) {
                                            std::lock_guard<std::mutex> lock(mutex_);
                                            records_.push_back(r);
                                        });
    if (!proxy) return proxy.error();
    proxy_ = std::move(proxy).value();
    return {};
}

Result<std::unique_ptr<CallEgress>> CallEgress::start(const policy::NetworkPolicy& policy) {
    std::unique_ptr<CallEgress> egress(new CallEgress());
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
        return sys_error("sandbox", "cannot create the network proxy's channel", "socketpair");
    UniqueFd ours(pair[0]);
    egress->child_channel_.reset(pair[1]);
    if (auto started = egress->start_proxy(policy); !started) return started.error();
    egress->proxy_->serve_from(std::move(ours));
    return egress;
}

Result<std::unique_ptr<CallEgress>> CallEgress::start_on_loopback(
    const policy::NetworkPolicy& policy) {
    std::unique_ptr<CallEgress> egress(new CallEgress());
    UniqueFd listening(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listening.valid())
        return sys_error("sandbox", "cannot create the network proxy's socket", "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listening.get(), reinterpret_cast<sockaddr*>(&address), length) != 0)
        return sys_error("sandbox", "cannot bind the network proxy to 127.0.0.1", "bind");
    if (::listen(listening.get(), SOMAXCONN) != 0)
        return sys_error("sandbox", "cannot listen for the network proxy", "listen");
    if (::getsockname(listening.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
        return sys_error("sandbox", "cannot read the network proxy's port", "getsockname");
    egress->port_ = ntohs(address.sin_port);
    if (auto started = egress->start_proxy(policy); !started) return started.error();
    egress->proxy_->serve(std::move(listening));
    return egress;
}

std::vector<netproxy::ConnectionRecord> CallEgress::finish() {
    if (proxy_) proxy_->stop();
    std::lock_guard<std::mutex> lock(mutex_);
    return std::move(records_);
}

nlohmann::json network_request_record(const netproxy::ConnectionRecord& r) {
    nlohmann::json j = {{"protocol", r.protocol},
                        {"host", r.host},
                        {"port", r.port},
                        {"address", r.address},
                        {"decision", r.allowed ? "allow" : "deny"},
                        {"rule", r.rule},
                        {"bytes_up", r.bytes_up},
                        {"bytes_down", r.bytes_down},
                        {"duration_ms", r.duration_ms}};
    if (!r.allowed) j["reason"] = r.reason;
    return j;
}

}  // namespace airlock::exec
