#include "cli/mcp/client_requests.hpp"

namespace airlock::mcp {

ClientRequests::Reply ClientRequests::ask(const std::string& method, json params,
                                          std::chrono::steady_clock::time_point deadline,
                                          const std::function<bool()>& abandon) {
    std::unique_lock lock(mutex_);
    if (disconnected_) return {};
    const long long id = ++next_id_;
    // Registered before it is sent: the response may arrive before send() returns.
    pending_[id] = std::nullopt;
    lock.unlock();
    const bool sent = out_.send(request(id, method, std::move(params)));
    lock.lock();

    Reply reply;
    if (!sent) {
        reply.kind = Reply::Kind::disconnected;
    } else {
        const bool done = changed_.wait_until(
            lock, deadline, [&] { return pending_[id].has_value() || disconnected_ || abandon(); });
        if (pending_[id]) {
            reply.kind = Reply::Kind::answered;
            reply.result = pending_[id]->result;
            reply.error = pending_[id]->error;
        } else if (disconnected_) {
            reply.kind = Reply::Kind::disconnected;
        } else {
            reply.kind = done ? Reply::Kind::abandoned : Reply::Kind::timed_out;
        }
    }
    pending_.erase(id);
    const bool withdraw =
        reply.kind == Reply::Kind::abandoned || reply.kind == Reply::Kind::timed_out;
    lock.unlock();
    if (withdraw)
        out_.send(notification("notifications/cancelled",
                               {{"requestId", id},
                                {"reason", reply.kind == Reply::Kind::timed_out
                                               ? "no answer before the approval timeout"
                                               : "the tool call was cancelled"}}));
    return reply;
}

bool ClientRequests::resolve(const Message& response) {
    if (!response.id.is_number_integer()) return false;
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(response.id.get<long long>());
    if (it == pending_.end() || it->second) return false;
    it->second = response;
    changed_.notify_all();
    return true;
}

void ClientRequests::wake_all() {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
}

void ClientRequests::disconnect() {
    std::lock_guard lock(mutex_);
    disconnected_ = true;
    changed_.notify_all();
}

}  // namespace airlock::mcp
