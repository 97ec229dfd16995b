// Names of the approval decisions, as written to the WAL and read from exec providers.
#include "approvals/approvals.hpp"

namespace airlock::approvals {

std::string_view decision_name(ApprovalDecision d) {
    switch (d) {
        case ApprovalDecision::approved:
            return "approved";
        case ApprovalDecision::approved_for_session:
            return "approved_for_session";
        case ApprovalDecision::denied:
            return "denied";
        case ApprovalDecision::abort:
            return "abort";
        case ApprovalDecision::timed_out:
            return "timed_out";
    }
    return "denied";
}

std::optional<ApprovalDecision> parse_decision(std::string_view name) {
    for (auto d :
         {ApprovalDecision::approved, ApprovalDecision::approved_for_session,
          ApprovalDecision::denied, ApprovalDecision::abort, ApprovalDecision::timed_out}) {
        if (decision_name(d) == name) return d;
    }
    return std::nullopt;
}

bool grants(ApprovalDecision d) {
    return d == ApprovalDecision::approved || d == ApprovalDecision::approved_for_session;
}

}  // namespace airlock::approvals
