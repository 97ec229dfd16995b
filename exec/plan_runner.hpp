// Runs a plan in a session: validation and policy preflight of every step before any runs,
// then the steps in order, fail-fast, with expectations, checks, rollback and resume.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/session.hpp"

namespace airlock::exec {

// Exit statuses of `airlock run` besides 0 (ok), 125 (error) and 126 (invalid, denied).
inline constexpr int kExitPlanFailed = 1;
inline constexpr int kExitPlanRolledBack = 2;

struct PlanProgress {
    std::size_t index = 0;  // 1-based
    std::size_t total = 0;
    std::string step;
    bool finished = false;  // false: the step starts
    std::string status;     // when finished
    double elapsed = 0;     // seconds since the plan started
};

struct PlanRunOptions {
    std::optional<std::string> resume_run;  // RUN whose succeeded steps are not run again
    bool approve_upfront = false;  // put every ask to the provider before the first step runs
    std::function<void(const PlanProgress&)> progress;
};

struct StepReport {
    std::string id;
    std::string status = "not_run";  // ok, failed, skipped_replayed, not_run
    int exit_code = 0;
    std::string call_status;  // the tool call's status
    std::string failure;      // call, exit_code, stdout_contains, contract_drift, schema, check
    std::string message;
    std::string call_id;
    double seconds = 0;
    nlohmann::json replayed_from;  // {"run_id", "seq"} for skipped_replayed
};

struct PlanReport {
    // ok, failed, rolled_back, invalid, denied, approval_denied, aborted, error
    // (rollback_failed counts as error)
    std::string status = "error";
    int exit_code = kExitError;
    std::string message;
    std::vector<StepReport> steps;
    std::string run_id;
    std::filesystem::path wal;
    nlohmann::json rejection;  // invalid / denied: step, pointer, message, rule
    nlohmann::json rollback;   // what the rollback did, when one ran
};

PlanReport run_plan(Session& session, std::string_view text, std::string_view source,
                    const PlanRunOptions& options);

nlohmann::json to_json(const PlanReport& report);

}  // namespace airlock::exec
