// The session cache and the loop guard around a provider.
#include <algorithm>
#include <chrono>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

Approver::Approver(std::unique_ptr<Provider> provider, policy::ApprovalSettings settings)
    : provider_(std::move(provider)), settings_(settings) {}

Outcome Approver::refused_locked() const {
    Outcome o;
    o.loop_guard = abort_reason_ == "loop_guard";
    o.answer.decision = ApprovalDecision::denied;
    o.answer.provider = provider_->name();
    o.answer.reason = o.loop_guard ? "the run was aborted by the loop guard; nothing more is asked"
                                   : "the run was aborted; nothing more is asked";
    return o;
}

Outcome Approver::decide(const ApprovalRequest& original) {
    // What the cache and the loop guard count is computed here, from the call itself.
    ApprovalRequest request = original;
    request.key = request_key(request);
    const std::string& key = request.key;

    std::unique_lock lock(mutex_);
    // Wait while the same key is being asked: its answer may settle this one too.
    answered_.wait(lock, [&] { return aborted_ || !pending_keys_.contains(key); });
    if (aborted_) return refused_locked();
    // A rule with require_escalated is asked every time: no earlier answer covers it.
    if (!request.verdict.always_ask && session_keys_.contains(key)) {
        Outcome o;
        o.from_session_cache = true;
        o.answer = {ApprovalDecision::approved, "approved earlier for this session",
                    provider_->name(), 0};
        return o;
    }
    pending_keys_.insert(key);
    lock.unlock();

    const auto started = std::chrono::steady_clock::now();
    ApprovalAnswer answer = provider_->ask(request);
    answer.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (answer.provider.empty()) answer.provider = provider_->name();

    lock.lock();
    pending_keys_.erase(key);
    answered_.notify_all();

    Outcome o;
    if (aborted_) {
        // Another ask ended the run while this one was pending: nothing is granted any more.
        o = refused_locked();
        o.answer.reason += " (this ask was answered " +
                           std::string(decision_name(answer.decision)) + ": " + answer.reason + ")";
        o.answer.seconds = answer.seconds;
        o.answer.provider = answer.provider;
        return o;
    }
    o.answer = answer;
    switch (answer.decision) {
        case ApprovalDecision::approved:
            break;
        case ApprovalDecision::approved_for_session:
            session_keys_.insert(key);
            break;
        case ApprovalDecision::abort:
            aborted_ = true;
            abort_reason_ = "abort";
            break;
        case ApprovalDecision::denied:
        case ApprovalDecision::timed_out: {
            // A limit below 1 would never trip; the guard cannot be switched off.
            const int limit = std::max(1, settings_.max_repeated_denials);
            if (++denials_[key] >= limit) {
                aborted_ = true;
                abort_reason_ = "loop_guard";
                o.loop_guard = true;
            }
            break;
        }
    }
    return o;
}

bool Approver::run_aborted() const {
    std::lock_guard lock(mutex_);
    return aborted_;
}

std::string Approver::abort_reason() const {
    std::lock_guard lock(mutex_);
    return abort_reason_;
}

std::string Approver::provider_name() const {
    return provider_->name();
}

}  // namespace airlock::approvals
