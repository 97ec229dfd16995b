// What the tty prompt shows. Pure text rendering, so that it can be tested without a terminal.
#pragma once

#include <string>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

struct PromptStyle {
    bool color = false;
    int timeout_seconds = 300;
};

// The summary shown for every ask: tool, command (or path, size and a preview of at most
// 10 lines), cwd, risk level and reasons, the policy rule that asked, the key's first 16 digits.
std::string render_summary(const ApprovalRequest& request, const PromptStyle& style);
// The line that asks for a key (no newline at the end).
std::string render_choices(const PromptStyle& style);
// Shown for `?`: every argv word, env keys, all risk reasons, every matched rule, the full key.
std::string render_details(const ApprovalRequest& request, const PromptStyle& style);

}  // namespace airlock::approvals
