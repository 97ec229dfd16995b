// Recorded calls for `policy test` and `policy diff`: cases files and WAL directories.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "platform/result.hpp"
#include "platform/tool_call.hpp"
#include "policy/policy.hpp"

namespace airlock::policy {

struct RecordedCall {
    ToolCall call;
    std::optional<Decision> expect;  // cases files: the expected decision
    std::string name;                // cases files: optional label
    std::string origin;              // "FILE:LINE"
};

struct ReplayInput {
    std::vector<RecordedCall> calls;
    std::vector<std::string> problems;  // "FILE:LINE: message" for each unreadable line
};

// A cases file: JSON lines {"tool", "argv" | "shell" | "path", "cwd", "expect", "name"};
// blank lines and lines starting with '#' or "//" are skipped. An unreadable file is an Error.
Result<ReplayInput> read_cases(const std::filesystem::path& file);

// Every <dir>/**/events.jsonl (sorted by path): the "call_received" events' calls.
Result<ReplayInput> read_wal_calls(const std::filesystem::path& dir);

struct Change {
    RecordedCall recorded;
    Verdict before, after;
};

struct DiffResult {
    std::vector<Change> changes;
    std::size_t total = 0;
    std::size_t stricter = 0, looser = 0;
};

// Evaluates every call against both stacks (each with its own guard).
DiffResult diff_policies(const PolicyStack& before, const PolicyStack& after,
                         const std::vector<RecordedCall>& calls);

}  // namespace airlock::policy
