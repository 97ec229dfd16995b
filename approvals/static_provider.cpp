#include "approvals/static_provider.hpp"

#include <cstdio>
#include <mutex>

namespace airlock::approvals {

namespace {

class StaticProvider final : public Provider {
  public:
    StaticProvider(ApprovalDecision decision, std::string name, std::string reason)
        : decision_(decision), name_(std::move(name)), reason_(std::move(reason)) {}
    std::string name() const override { return name_; }
    ApprovalAnswer ask(const ApprovalRequest&) override { return {decision_, reason_, name_, 0}; }

  private:
    ApprovalDecision decision_;
    std::string name_;
    std::string reason_;
};

}  // namespace

std::unique_ptr<Provider> make_deny_provider() {
    return std::make_unique<StaticProvider>(ApprovalDecision::denied, "deny",
                                            "approval provider 'deny' denies every ask");
}

std::unique_ptr<Provider> make_allow_provider() {
    static std::once_flag warned;
    std::call_once(warned, [] {
        std::fputs(
            "airlock: warning: approval provider 'allow' approves every ask (tests and CI only)\n",
            stderr);
    });
    return std::make_unique<StaticProvider>(ApprovalDecision::approved, "allow",
                                            "approval provider 'allow' approves every ask");
}

}  // namespace airlock::approvals
