// One hook call: the agent's event in, the agent's answer out. The event becomes a ToolCall for
// exec::Session (decide_only: guard, policy, approvals, floor; nothing runs), in the run that
// stands for the agent's session; an allowed shell command is rewritten to run through
// `airlock exec --run RUN --grant KEY --transparent`, inside airlock's sandbox.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cli/hooks/adapter.hpp"

namespace airlock::hooks {

struct HookOptions {
    std::string workspace;  // empty: the agent's project dir, else the root it names, else its cwd
    std::vector<std::string> policies;
    bool no_builtin_policy = false;
    std::string approve;  // approval provider; empty: an "ask" goes to the agent's own prompt
    std::string sandbox;
    std::vector<std::string> unprotect;
    std::filesystem::path airlock_binary;  // what the rewritten command runs
};

// Never throws, never answers allow on a failure: whatever goes wrong is the adapter's
// fail_closed answer.
Rendered run_hook(const Adapter& adapter, const HookOptions& options, const std::string& input);

// The agent session's run: "<agent>-<first 24 hex digits of sha256(session id)>", the same for
// every call of the session (the id itself may hold anything; it is not a file name).
std::string run_id_for(std::string_view agent, std::string_view session_id);

}  // namespace airlock::hooks
