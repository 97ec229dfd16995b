#include "exec/network_egress.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <system_error>

#include "policy/policy.hpp"

namespace airlock::exec {

namespace {

std::string destination_key(const netproxy::Destination& d) {
    return d.origin + "\n" + d.host + ":" + std::to_string(d.port);
}

}  // namespace

PolicyNetworkDecider::~PolicyNetworkDecider() {
    wait_for_asks();
}

netproxy::Answer PolicyNetworkDecider::policy_answer(
    const netproxy::Destination& d, std::optional<policy::NetworkDecision>* asks) const {
    policy::NetworkQuery q;
    q.host = d.host;
    q.port = d.port;
    q.address_is_host_own = d.address_is_host_own;
    if (!d.address.empty()) {
        q.address = policy::IpAddress::parse(d.address);
        if (!q.address) return {false, "address", "the resolved address cannot be read"};
    }
    policy::NetworkDecision nd = policy::decide_network(policy_, q);
    if (nd.decision == policy::Decision::allow) return {true, nd.rule, nd.reason};
    if (nd.decision == policy::Decision::ask) {
        *asks = std::move(nd);
        return {false, "unknown", "not on the policy's allow list: needs an approval"};
    }
    if (d.address.empty() && nd.rule == "unknown") {
        // An address entry in allow may still open what this name resolves to.
        for (const auto& layer : policy_.layers)
            for (const auto& e : layer.allow)
                if (e.kind == policy::NetworkEntry::Kind::address)
                    return {true, "pending", "decided on the resolved address"};
    }
    return {false, nd.rule, nd.reason};
}

netproxy::Answer PolicyNetworkDecider::decide(const netproxy::Destination& d) {
    std::optional<policy::NetworkDecision> asks;
    netproxy::Answer a = policy_answer(d, &asks);
    if (asks)
        a.reason =
            "not on the policy's allow list (\"unknown\": \"ask\", and nobody can be asked here)";
    return a;
}

std::optional<netproxy::Answer> PolicyNetworkDecider::decide_or_wait(const netproxy::Destination& d,
                                                                     netproxy::Later later) {
    std::optional<policy::NetworkDecision> asks;
    netproxy::Answer a = policy_answer(d, &asks);
    const std::string key = destination_key(d);
    if (!asks) {
        if (!a.allow || d.address.empty() || !ask_) return a;
        // An address an entry opens, for a name approved in this call: the approval is what
        // let the connection through (the record says so).
        std::lock_guard lock(mutex_);
        if (auto it = answered_.find(key); it != answered_.end() && it->second.allow)
            return netproxy::Answer{true, "approval",
                                    "approved; the address is opened by " + a.rule};
        return a;
    }
    if (!ask_) return decide(d);
    std::lock_guard lock(mutex_);
    if (auto it = answered_.find(key); it != answered_.end()) {
        netproxy::Answer earlier = it->second;
        earlier.reason = (earlier.allow ? "approved earlier in this call"
                                        : "refused earlier in this call: " + earlier.reason);
        return earlier;
    }
    auto [pending, first] = pending_.try_emplace(key);
    pending->second.push_back(std::move(later));
    if (!first) return std::nullopt;  // the same destination is being asked already
    // Finished askers are joined here, so that their number stays that of the open asks.
    std::erase_if(workers_, [](Worker& w) {
        if (!*w.done) return false;
        w.thread.join();
        return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    approvals::NetworkDestination destination{d.host, d.port};
    try {
        workers_.push_back(
            {std::thread([this, key, origin = d.origin, destination, asked = *asks, done] {
                 netproxy::Answer answer;
                 try {
                     answer = ask_(origin, destination, asked);
                 } catch (const std::exception& e) {
                     answer = {false, "approval",
                               std::string("the approval could not be asked: ") + e.what()};
                 }
                 std::vector<netproxy::Later> waiting;
                 {
                     std::lock_guard lock(mutex_);
                     // A call that ended meanwhile was forgotten: its answer is kept for nothing.
                     if (auto it = pending_.find(key); it != pending_.end()) {
                         answered_[key] = answer;
                         waiting = std::move(it->second);
                         pending_.erase(it);
                     }
                 }
                 for (auto& w : waiting)
                     w(answer);
                 *done = true;
             }),
             done});
    } catch (const std::system_error& e) {
        pending_.erase(key);  // no thread to ask on: refused now, nobody waits
        return netproxy::Answer{false, "approval",
                                std::string("the approval could not be asked: ") + e.what()};
    }
    return std::nullopt;
}

void PolicyNetworkDecider::forget(const std::string& origin) {
    std::lock_guard lock(mutex_);
    const auto of_origin = [prefix = origin + "\n"](const auto& entry) {
        return entry.first.compare(0, prefix.size(), prefix) == 0;
    };
    std::erase_if(answered_, of_origin);
    std::erase_if(pending_, of_origin);  // its connections are closed: nobody waits any more
}

void PolicyNetworkDecider::wait_for_asks() {
    std::vector<Worker> workers;
    {
        std::lock_guard lock(mutex_);
        workers = std::move(workers_);
        workers_.clear();
    }
    for (auto& w : workers)
        if (w.thread.joinable()) w.thread.join();
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

Result<std::unique_ptr<SessionEgress>> SessionEgress::start(const policy::NetworkPolicy& policy,
                                                            NetworkAsker asker) {
    std::unique_ptr<SessionEgress> egress(new SessionEgress());
    SessionEgress* raw = egress.get();
    raw->asker_ = std::move(asker);
    PolicyNetworkDecider::Ask ask;
    if (raw->asker_) {
        ask = [raw](const std::string& origin, const approvals::NetworkDestination& d,
                    const policy::NetworkDecision& asked) {
            ToolCall call;
            {
                std::lock_guard lock(raw->mutex_);
                if (auto it = raw->context_.find(origin); it != raw->context_.end())
                    call = it->second;
                else
                    call.call_id = origin;
            }
            return raw->asker_(call, d, asked);
        };
    }
    raw->decider_ = std::make_shared<PolicyNetworkDecider>(policy, std::move(ask));
    auto proxy = netproxy::Proxy::start(proxy_options(policy), raw->decider_,
                                        [raw](const netproxy::ConnectionRecord& r) {
                                            std::lock_guard lock(raw->mutex_);
                                            CallNetwork& call = raw->calls_[r.origin];
                                            if (call.records.size() < kMaxRecordsPerCall)
                                                call.records.push_back(r);
                                            else
                                                ++call.dropped;
                                        });
    if (!proxy) return proxy.error();
    raw->proxy_ = std::move(proxy).value();
    return egress;
}

void SessionEgress::add_call(const ToolCall& call) {
    std::lock_guard lock(mutex_);
    context_[call.call_id] = call;
    calls_[call.call_id];
}

void SessionEgress::serve_call(const ToolCall& call, UniqueFd listening) {
    add_call(call);
    proxy_->serve(std::move(listening), call.call_id);
}

Result<std::uint16_t> SessionEgress::open_call_on_loopback(const ToolCall& call) {
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
    add_call(call);
    proxy_->serve(std::move(listening), call.call_id);
    return static_cast<std::uint16_t>(ntohs(address.sin_port));
}

CallNetwork SessionEgress::end_call(const std::string& call_id) {
    proxy_->close_origin(call_id);
    decider_->forget(call_id);
    std::lock_guard lock(mutex_);
    CallNetwork out;
    if (auto it = calls_.find(call_id); it != calls_.end()) {
        out = std::move(it->second);
        calls_.erase(it);
    }
    context_.erase(call_id);
    return out;
}

SessionEgress::~SessionEgress() {
    if (proxy_) proxy_->stop();
    // The askers call into the session: none may still run once it goes on without them.
    if (decider_) decider_->wait_for_asks();
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
