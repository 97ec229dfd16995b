#include "cli/mcp/call_registry.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace airlock::mcp {

CallRegistry::CallRegistry(MessageWriter& out, std::chrono::milliseconds progress_interval,
                           std::function<void()> on_cancel)
    : out_(out), interval_(progress_interval), on_cancel_(std::move(on_cancel)) {
    ticker_ = std::thread([this] { tick(); });
}

CallRegistry::~CallRegistry() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_changed_.notify_all();
    ticker_.join();
}

Result<std::shared_ptr<InFlightCall>> CallRegistry::add(const json& request_id,
                                                        std::optional<json> progress_token) {
    auto call = std::make_shared<InFlightCall>();
    call->request_id = request_id;
    call->progress_token = std::move(progress_token);
    call->cancel_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!call->cancel_fd.valid())
        return sys_error("mcp", "cannot create a cancel eventfd", "eventfd");
    std::lock_guard lock(mutex_);
    if (!calls_.emplace(id_key(request_id), call).second)
        return make_error("mcp", "a request with id " + id_key(request_id) + " is still running");
    return call;
}

json CallRegistry::remove(const InFlightCall& call) {
    std::lock_guard lock(mutex_);
    for (auto it = calls_.begin(); it != calls_.end(); ++it)
        if (it->second.get() == &call) {
            calls_.erase(it);
            break;
        }
    return call.request_id;
}

namespace {
std::string parked_key(long long wait_id) {
    return "parked:" + std::to_string(wait_id);  // never the dump of a JSON id
}
}  // namespace

json CallRegistry::park(InFlightCall& call, long long wait_id) {
    std::lock_guard lock(mutex_);
    const auto it = calls_.find(id_key(call.request_id));
    if (it != calls_.end() && it->second.get() == &call) {
        auto held = std::move(it->second);
        calls_.erase(it);
        calls_.emplace(parked_key(wait_id), std::move(held));
    }
    call.parked = true;
    call.progress_token.reset();  // progress stops with the request's answer
    return call.request_id;
}

Result<void> CallRegistry::resume(long long wait_id, const json& request_id,
                                  std::optional<json> progress_token) {
    std::lock_guard lock(mutex_);
    if (calls_.count(id_key(request_id)))
        return make_error("mcp", "a request with id " + id_key(request_id) + " is still running");
    const auto it = calls_.find(parked_key(wait_id));
    if (it == calls_.end()) return make_error("mcp", "the call no longer waits for input");
    auto call = std::move(it->second);
    calls_.erase(it);
    call->request_id = request_id;
    call->progress_token = std::move(progress_token);
    call->progress = 0;
    call->parked = false;
    calls_.emplace(id_key(request_id), std::move(call));
    return {};
}

void CallRegistry::signal(InFlightCall& call) {
    call.cancelled = true;
    const std::uint64_t one = 1;
    // An eventfd write only fails when the counter would overflow: it is readable already.
    [[maybe_unused]] const ssize_t n = ::write(call.cancel_fd.get(), &one, sizeof one);
}

bool CallRegistry::cancel(const json& request_id) {
    {
        std::lock_guard lock(mutex_);
        const auto it = calls_.find(id_key(request_id));
        if (it == calls_.end()) return false;
        signal(*it->second);
    }
    on_cancel_();
    return true;
}

void CallRegistry::cancel_all() {
    {
        std::lock_guard lock(mutex_);
        for (auto& [key, call] : calls_)
            signal(*call);
    }
    on_cancel_();
}

// Clients time a request out (60 s by default in the SDKs) unless progress arrives; a call
// waiting for a person or running a long command reports that it is alive.
void CallRegistry::tick() {
    std::unique_lock lock(mutex_);
    while (!stop_changed_.wait_for(lock, interval_, [this] { return stopping_; })) {
        for (auto& [key, call] : calls_) {
            if (!call->progress_token || call->cancelled) continue;
            ++call->progress;
            out_.send(notification(
                "notifications/progress",
                {{"progressToken", *call->progress_token},
                 {"progress", call->progress},
                 {"message",
                  call->awaiting_approval ? "waiting for the user's approval" : "running"}}));
        }
    }
}

namespace {
thread_local InFlightCall* current_call = nullptr;
}

CurrentCall::CurrentCall(InFlightCall* call) : previous_(current_call) {
    current_call = call;
}

CurrentCall::~CurrentCall() {
    current_call = previous_;
}

InFlightCall* CurrentCall::get() {
    return current_call;
}

}  // namespace airlock::mcp
