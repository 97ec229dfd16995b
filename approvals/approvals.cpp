// Placeholder approvals: static providers only.
#include "approvals/approvals.hpp"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "platform/sha256.hpp"

namespace airlock::approvals {

std::string_view decision_name(ApprovalDecision d) {
    switch (d) {
        case ApprovalDecision::approved: return "approved";
        case ApprovalDecision::approved_for_session: return "approved_for_session";
        case ApprovalDecision::denied: return "denied";
        case ApprovalDecision::abort: return "abort";
        case ApprovalDecision::timed_out: return "timed_out";
    }
    return "denied";
}

bool grants(ApprovalDecision d) {
    return d == ApprovalDecision::approved || d == ApprovalDecision::approved_for_session;
}

namespace {
class StaticProvider final : public Provider {
public:
    explicit StaticProvider(bool allow) : allow_(allow) {}
    std::string name() const override { return allow_ ? "allow" : "deny"; }
    ApprovalAnswer ask(const ApprovalRequest&) override {
        return {allow_ ? ApprovalDecision::approved : ApprovalDecision::denied,
                allow_ ? "static allow provider" : "static deny provider", name(), 0};
    }

private:
    bool allow_;
};
}  // namespace

Result<std::unique_ptr<Provider>> make_provider(std::string_view spec, const ProviderOptions&) {
    if (spec == "deny") return std::unique_ptr<Provider>(std::make_unique<StaticProvider>(false));
    if (spec == "allow") return std::unique_ptr<Provider>(std::make_unique<StaticProvider>(true));
    return make_error("config", "unknown approval provider \"" + std::string(spec) + "\"");
}

std::string default_provider_spec() { return isatty(STDIN_FILENO) ? "tty" : "deny"; }

std::string approval_key(const ToolCall& call, const std::vector<std::string>& env_keys) {
    nlohmann::json req = {{"argv", effective_argv(call)}, {"cwd", call.cwd}, {"env_keys", env_keys}};
    return sha256_hex(nlohmann::json{{"tool", tool_name(call.tool)}, {"request", req}}.dump());
}

Approver::Approver(std::unique_ptr<Provider> provider, policy::ApprovalSettings settings)
    : provider_(std::move(provider)), settings_(settings) {}

Outcome Approver::decide(const ApprovalRequest& request) {
    std::lock_guard lock(mutex_);
    Outcome o;
    o.answer = provider_->ask(request);
    return o;
}

bool Approver::run_aborted() const {
    std::lock_guard lock(mutex_);
    return aborted_;
}

std::string Approver::provider_name() const { return provider_->name(); }

}  // namespace airlock::approvals
