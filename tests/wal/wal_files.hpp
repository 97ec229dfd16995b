// Real WAL files for the tests, written by wal::Writer, and ways to damage them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "airlock_runner.hpp"
#include "wal/writer.hpp"

namespace airlock::test {

// Writes a run like a session does: run_started, policy_loaded, `calls` calls of six records
// each, and then `final_type` unless it is empty. Returns the log's path.
inline fs::path write_run(const fs::path& workspace, const std::string& run_id, int calls,
                          const std::string& final_type = "run_finished") {
    auto w = wal::Writer::create(workspace, run_id);
    REQUIRE(w.ok());
    REQUIRE(w->append("run_started", "",
                      {{"airlock_version", "0.1.0"},
                       {"host", "testhost"},
                       {"user", "tester"},
                       {"pid", 42},
                       {"workspace", workspace.string()}})
                .ok());
    REQUIRE(
        w->append("policy_loaded", "", {{"digest", std::string(64, 'a')}, {"layers", {"builtin"}}})
            .ok());
    for (int i = 1; i <= calls; ++i) {
        const std::string id = "c" + std::to_string(i);
        REQUIRE(w->append("call_received", id,
                          {{"tool", "shell_exec"}, {"argv", {"echo", "call " + id}}, {"cwd", ""}})
                    .ok());
        REQUIRE(w->append("policy_decided", id,
                          {{"decision", "allow"}, {"rule", "<default>"}, {"reason", "default"}})
                    .ok());
        REQUIRE(
            w->append(
                 "sandbox_prepared", id,
                 {{"active", true}, {"adapter", "bwrap"}, {"effective", nlohmann::json::object()}})
                .ok());
        REQUIRE(w->append("exec_started", id, {{"adapter", "bwrap"}, {"timeout_ms", 1000}}).ok());
        REQUIRE(
            w->append("exec_finished", id,
                      {{"exit_code", 0}, {"signal", 0}, {"timed_out", false}, {"duration_ms", 7}})
                .ok());
        REQUIRE(w->append("call_finished", id, {{"status", "ok"}, {"exit_code", 0}}).ok());
    }
    if (!final_type.empty())
        REQUIRE(w->append(final_type, "", {{"calls", calls}, {"blocked_or_failed", 0}}).ok());
    REQUIRE(w->sync().ok());
    return w->path();
}

inline std::vector<std::string> lines_of(const fs::path& file) {
    std::vector<std::string> lines;
    const std::string text = read_text(file);
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(text.substr(start, nl - start));
    return lines;
}

inline void write_lines(const fs::path& file, const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines)
        text += l + "\n";
    write_text(file, text);
}

}  // namespace airlock::test
