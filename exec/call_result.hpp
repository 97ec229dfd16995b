// The outcome of one tool call, as returned to the caller (CLI --json, MCP, plans).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "guard/guard.hpp"
#include "policy/policy.hpp"

namespace airlock::exec {

enum class Status {
    ok,
    failed,
    timeout,
    denied,
    approval_denied,
    aborted,
    sandbox_denied,
    invalid,
    error,
    cancelled,  // the caller withdrew the call (MCP notifications/cancelled)
};

std::string_view status_name(Status status);

// Exit statuses follow timeout(1): 124 timed out, 125 airlock's own error, 126 blocked before
// execution, 127 command not found; otherwise the command's own status (128+N for a signal).
inline constexpr int kExitTimeout = 124;
inline constexpr int kExitError = 125;
inline constexpr int kExitBlocked = 126;
inline constexpr int kExitNotFound = 127;
inline constexpr int kExitCancelled = 130;  // like an interrupted command

struct ApprovalRecord {
    std::string provider;
    std::string decision;
    std::string key;
    bool from_session_cache = false;
};

struct CallResult {
    Status status = Status::error;
    int exit_code = kExitError;
    std::string stdout_bytes;  // for file_read: the file's content
    std::string stderr_bytes;
    bool stdout_truncated = false;
    bool stderr_truncated = false;
    std::uint64_t stdout_dropped = 0;  // bytes of output past the cap, not kept
    std::uint64_t stderr_dropped = 0;
    std::optional<guard::Assessment> risk;
    std::optional<policy::Verdict> decision;
    std::optional<ApprovalRecord> approval;
    nlohmann::json sandbox = {{"active", false}, {"adapter", "none"}};
    std::string stage;    // where a blocked or failed call stopped ("input", "policy", ...)
    std::string message;  // why, for people and agents
    std::string run_id;
    std::filesystem::path wal;
    double seconds = 0;
    // Session::decide_only: "allow" or "ask" (the caller asks its user) when the call was
    // decided and not run; empty otherwise. `grant` is the key of the grant issued for it.
    std::string decided;
    std::string grant;
    std::string call_id;
};

nlohmann::json to_json(const CallResult& result);

// "airlock: denied by policy rule "x": reason" — the line printed on stderr for a block.
std::string block_message(const CallResult& result);

}  // namespace airlock::exec
