#include "cli/mcp/input_required.hpp"

#include "cli/mcp/protocol_era.hpp"

namespace airlock::mcp {

json input_required_result(const json& input_requests, const std::string& request_state) {
    return {{"resultType", "input_required"},
            {"inputRequests", input_requests},
            {"requestState", request_state},
            {"_meta", {{meta_key::kServerInfo, server_info()}}}};
}

PendingInputs::Issued PendingInputs::open(const std::string& call_digest, json input_requests,
                                          std::chrono::milliseconds ttl) {
    Entry e;
    e.digest = call_digest;
    e.nonce = random_nonce();
    e.expires_ms = now_ms() + ttl.count();
    e.deadline = std::chrono::steady_clock::now() + ttl;
    e.input_requests = std::move(input_requests);
    Issued issued;
    issued.request_state = signer_.mint({e.digest, e.nonce, e.expires_ms});
    issued.expires_ms = e.expires_ms;
    std::lock_guard lock(mutex_);
    issued.wait_id = ++next_id_;
    nonces_[e.nonce] = issued.wait_id;
    waits_.emplace(issued.wait_id, std::move(e));
    return issued;
}

PendingInputs::Waited PendingInputs::wait(long long wait_id, const std::function<bool()>& abandon) {
    std::unique_lock lock(mutex_);
    Waited w;
    const auto it = waits_.find(wait_id);
    if (it == waits_.end()) return w;
    const auto deadline = it->second.deadline;
    for (;;) {
        Entry& e = waits_.at(wait_id);
        if (e.responses) {
            w.end = End::answered;
            w.responses = std::move(*e.responses);
            break;
        }
        if (disconnected_) {
            w.end = End::disconnected;
            break;
        }
        if (abandon()) {
            w.end = End::abandoned;
            break;
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout &&
            !waits_.at(wait_id).responses) {
            w.end = End::expired;
            break;
        }
    }
    nonces_.erase(waits_.at(wait_id).nonce);
    waits_.erase(wait_id);
    return w;
}

namespace {

// Every key of the input requests has an answer (an object) in the responses.
bool answers_all(const json& input_requests, const json& responses) {
    if (!responses.is_object()) return false;
    for (const auto& [key, request] : input_requests.items())
        if (!responses.contains(key) || !responses[key].is_object()) return false;
    return true;
}

PendingInputs::Delivery refused(StateProblem problem, std::string message) {
    PendingInputs::Delivery d;
    d.kind = PendingInputs::Delivery::Kind::rejected;
    d.problem = problem;
    d.message = std::move(message);
    return d;
}

}  // namespace

PendingInputs::Delivery PendingInputs::deliver(
    std::string_view request_state, const std::string& call_digest, const json& responses,
    const std::function<Result<void>(long long wait_id)>& attach) {
    const auto verified = signer_.verify(request_state);
    if (!verified.ok)
        return verified.problem == StateProblem::forged
                   ? refused(StateProblem::forged,
                             "requestState failed verification: it was not issued by this "
                             "server, or it was changed")
                   : refused(StateProblem::malformed,
                             "requestState is not a state this server issues");
    const StateClaims& claims = verified.claims;
    if (now_ms() >= claims.expires_ms)
        return refused(StateProblem::expired,
                       "requestState expired; call the tool again without it to be asked anew");
    if (claims.call_digest != call_digest)
        return refused(StateProblem::other_call,
                       "requestState belongs to a different call (tool name or arguments "
                       "differ from the call that asked for input)");
    std::lock_guard lock(mutex_);
    const auto n = nonces_.find(claims.nonce);
    if (n == nonces_.end())
        return refused(StateProblem::replayed,
                       "requestState was already used, or its call no longer waits; call the "
                       "tool again without it to be asked anew");
    const long long wait_id = n->second;
    Entry& e = waits_.at(wait_id);
    Delivery d;
    if (!answers_all(e.input_requests, responses)) {
        // The spec's answer to missing input: ask again rather than fail.
        nonces_.erase(n);
        e.nonce = random_nonce();
        nonces_[e.nonce] = wait_id;
        d.kind = Delivery::Kind::reissued;
        d.input_required = input_required_result(e.input_requests,
                                                 signer_.mint({e.digest, e.nonce, e.expires_ms}));
        return d;
    }
    if (auto attached = attach(wait_id); !attached) {
        d.kind = Delivery::Kind::attach_failed;
        d.message = attached.error().message;
        return d;
    }
    nonces_.erase(n);
    e.responses = responses;
    d.kind = Delivery::Kind::resumed;
    d.wait_id = wait_id;
    changed_.notify_all();
    return d;
}

void PendingInputs::wake_all() {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
}

void PendingInputs::disconnect() {
    std::lock_guard lock(mutex_);
    disconnected_ = true;
    changed_.notify_all();
}

}  // namespace airlock::mcp
