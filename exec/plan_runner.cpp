#include "exec/plan_runner.hpp"

#include <chrono>
#include <map>

#include "exec/blob_store.hpp"
#include "exec/file_tools.hpp"
#include "exec/plan.hpp"
#include "exec/undo.hpp"
#include "wal/runs.hpp"
#include "wal/verify.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

struct Replay {
    std::string run_id;
    std::uint64_t seq = 0;
};

struct Failure {
    std::string kind;
    std::string message;
};

// The steps that succeeded in RUN, by fingerprint, pointing at the record that says so. A run
// that rolled back kept nothing: none of its steps count.
Result<std::map<std::string, Replay>> succeeded_steps(const fs::path& workspace,
                                                      const std::string& run) {
    auto location = wal::locate_log(workspace, run);
    if (!location) return location.error();
    auto log = wal::read_log(location->file, location->run_id);
    if (!log) return log.error();
    if (log->verification.verdict == wal::Verdict::tampered)
        return make_error(
            "resume", "the log of " + run + " is tampered: " + wal::describe(log->verification));
    std::map<std::string, Replay> done;
    bool plan_seen = false;
    for (const auto& r : log->records) {
        const json data = json::parse(r.data.dump());
        if (r.type == "plan_started") plan_seen = true;
        if (r.type == "step_finished" && data.value("status", "") == "ok")
            done.emplace(data.value("fingerprint", ""), Replay{r.run_id, r.seq});
        if (r.type == "skipped_replayed" && data.contains("original"))
            done.emplace(data.value("fingerprint", ""),
                         Replay{data["original"].value("run_id", ""),
                                data["original"].value("seq", std::uint64_t{0})});
        if (r.type == "plan_finished" && data.value("status", "") == "rolled_back") done.clear();
    }
    if (!plan_seen) return make_error("resume", "run " + run + " did not run a plan");
    return done;
}

std::optional<Failure> check_expect(const Expect& expect, const CallResult& r) {
    if (r.status != Status::ok && r.status != Status::failed)
        return Failure{"call", std::string(status_name(r.status)) +
                                   (r.message.empty() ? "" : ": " + r.message)};
    const int wanted = expect.exit_code.value_or(0);
    if (r.exit_code != wanted)
        return Failure{"exit_code", "exit status " + std::to_string(r.exit_code) + ", expected " +
                                        std::to_string(wanted)};
    if (expect.stdout_contains && r.stdout_bytes.find(*expect.stdout_contains) == std::string::npos)
        return Failure{"stdout_contains", "stdout does not contain the expected text"};
    if (expect.stdout_json) {
        const json parsed = json::parse(r.stdout_bytes, nullptr, false);
        if (parsed.is_discarded())
            return Failure{"contract_drift", "stdout is no longer JSON (" +
                                                 std::to_string(r.stdout_bytes.size()) +
                                                 " bytes of text)"};
        if (expect.schema)
            if (auto bad = schema_mismatch(*expect.schema, parsed))
                return Failure{"schema", "stdout JSON does not match the schema: " + *bad};
    }
    return std::nullopt;
}

class Runner {
  public:
    Runner(Session& session, const PlanRunOptions& options) : s_(session), options_(options) {}

    PlanReport run(std::string_view text, std::string_view source) {
        report_.run_id = s_.run_id();
        report_.wal = s_.wal_path();
        if (const auto& e = s_.startup_error()) return error(e->describe());

        ParsedPlan parsed = parse_plan(text, source, s_.workspace());
        if (parsed.rejection) return reject("invalid", *parsed.rejection);
        const Plan& plan = *parsed.plan;
        for (const auto& step : plan.steps) {
            StepReport rep;
            rep.id = step.id;
            report_.steps.push_back(std::move(rep));
        }
        std::vector<Ask> asks;
        if (auto denied = preflight(plan, asks)) return reject("denied", *denied);
        if (options_.approve_upfront) {
            for (const auto& ask : asks) {
                const approvals::Outcome o =
                    s_.approve_in_advance(*ask.call, ask.risk, ask.verdict);
                if (approvals::grants(o.answer.decision)) continue;
                PlanRejection r;
                r.step = ask.step;
                r.index = ask.index;
                r.pointer = ask.pointer;
                r.rule = ask.verdict.rule;
                r.message = std::string(approvals::decision_name(o.answer.decision)) + " by " +
                            o.answer.provider + " (asked up front for policy rule \"" +
                            ask.verdict.rule + "\")";
                const bool aborted =
                    o.loop_guard || o.answer.decision == approvals::ApprovalDecision::abort;
                return reject(aborted ? "aborted" : "approval_denied", r);
            }
        }

        std::map<std::string, Replay> replay;
        if (options_.resume_run) {
            auto done = succeeded_steps(s_.workspace(), *options_.resume_run);
            if (!done) {
                PlanRejection r;
                r.message = "cannot resume: " + done.error().describe();
                return reject("error", r);
            }
            replay = std::move(done).value();
        }

        json ids = json::array();
        for (const auto& step : plan.steps)
            ids.push_back(step.id);
        json started = {{"plan_sha256", plan.sha256},
                        {"source", std::string(source)},
                        {"steps", ids},
                        {"rollback_on_failure", plan.rollback_on_failure}};
        if (options_.resume_run) started["resume_from"] = *options_.resume_run;
        s_.record_event("plan_started", "", started);

        const auto t0 = Clock::now();
        bool replaying = options_.resume_run.has_value();
        std::optional<std::size_t> failed;
        for (std::size_t i = 0; i < plan.steps.size(); ++i) {
            const Step& step = plan.steps[i];
            StepReport& rep = report_.steps[i];
            if (replaying) {
                if (auto it = replay.find(step.fingerprint); it != replay.end()) {
                    rep.status = "skipped_replayed";
                    rep.replayed_from = {{"run_id", it->second.run_id}, {"seq", it->second.seq}};
                    s_.record_event("skipped_replayed", "",
                                    {{"step", step.id},
                                     {"index", i + 1},
                                     {"fingerprint", step.fingerprint},
                                     {"original", rep.replayed_from}});
                    notify(i, plan, false, "", t0);
                    notify(i, plan, true, rep.status, t0);
                    continue;
                }
                replaying = false;  // from the first step that did not succeed, all run
            }
            notify(i, plan, false, "", t0);
            if (!run_step(step, i, rep)) failed = i;
            notify(i, plan, true, rep.status, t0);
            if (failed) break;
        }

        if (!failed) {
            report_.status = "ok";
            report_.exit_code = 0;
        } else {
            const StepReport& bad = report_.steps[*failed];
            report_.message = "step " + std::to_string(*failed + 1) + " \"" + bad.id +
                              "\" failed (" + bad.failure + "): " + bad.message;
            report_.status = "failed";
            report_.exit_code = kExitPlanFailed;
            if (plan.rollback_on_failure) rollback();
        }
        json finished = {{"status", report_.status}, {"exit_code", report_.exit_code}};
        if (failed) finished["failed_step"] = report_.steps[*failed].id;
        s_.record_event("plan_finished", "", finished);
        return report_;
    }

  private:
    PlanReport error(const std::string& message) {
        report_.status = "error";
        report_.exit_code = kExitError;
        report_.message = message;
        return report_;
    }

    PlanReport reject(const std::string& status, const PlanRejection& r) {
        report_.status = status;
        report_.exit_code = status == "error" ? kExitError : kExitBlocked;
        report_.message = r.describe();
        report_.rejection = r.to_json();
        json data = r.to_json();
        data["status"] = status;
        s_.record_event("plan_rejected", "", data);
        return report_;
    }

    // A call the policy asks about, found by the preflight.
    struct Ask {
        const ToolCall* call;
        std::string step;
        std::size_t index;
        std::string pointer;
        guard::Assessment risk;
        policy::Verdict verdict;
    };

    // Every call the plan would make, decided by the policy before any runs. Asks are collected:
    // put to the provider when their step is reached, or all at once with --approve-upfront.
    std::optional<PlanRejection> preflight(const Plan& plan, std::vector<Ask>& asks) {
        const policy::PolicyStack& policy = *s_.policy();
        for (std::size_t i = 0; i < plan.steps.size(); ++i) {
            const Step& step = plan.steps[i];
            std::vector<std::pair<const ToolCall*, std::string>> calls = {
                {&step.call, "/steps/" + std::to_string(i) + "/args"}};
            for (std::size_t k = 0; k < step.checks.size(); ++k)
                if (step.checks[k].kind == Check::Kind::command)
                    calls.emplace_back(&step.checks[k].call, "/steps/" + std::to_string(i) +
                                                                 "/checks/" + std::to_string(k) +
                                                                 "/command");
            for (const auto& [call, pointer] : calls) {
                const guard::Assessment risk = policy.guard().assess(*call, s_.workspace());
                const policy::Verdict v = policy.evaluate(*call, risk);
                if (v.decision == policy::Decision::ask)
                    asks.push_back({call, step.id, i + 1, pointer, risk, v});
                if (v.decision != policy::Decision::deny) continue;
                PlanRejection r;
                r.step = step.id;
                r.index = i + 1;
                r.pointer = pointer;
                r.rule = v.rule;
                r.message = "denied by policy rule \"" + v.rule + "\": " + v.reason;
                return r;
            }
        }
        return std::nullopt;
    }

    CallResult call(const ToolCall& c, std::string& call_id) {
        CallResult r = s_.handle(c);
        // The plan is the session's only caller, so its n-th call is "c<n>".
        call_id = "c" + std::to_string(++calls_);
        return r;
    }

    std::optional<Failure> run_check(const Check& check) {
        if (check.kind == Check::Kind::command) {
            std::string id;
            const CallResult r = call(check.call, id);
            if (r.status != Status::ok && r.status != Status::failed)
                return Failure{"check", "command check (" + id + ") " +
                                            std::string(status_name(r.status)) + ": " + r.message};
            if (r.exit_code != check.exit_code)
                return Failure{"check", "command check (" + id + ") exited " +
                                            std::to_string(r.exit_code) + ", expected " +
                                            std::to_string(check.exit_code)};
            return std::nullopt;
        }
        auto relative = validate_file_path(s_.workspace(), check.path);
        if (!relative) return Failure{"check", relative.error().message};
        auto read = read_file_beneath(s_.workspace(), *relative, 64ull << 20);
        if (!read)
            return Failure{
                "check",
                "file_" +
                    std::string(check.kind == Check::Kind::file_exists ? "exists" : "contains") +
                    ": " + read.error().describe()};
        if (check.kind == Check::Kind::file_contains &&
            read->content.find(check.text) == std::string::npos)
            return Failure{"check", "\"" + check.path + "\" does not contain the expected text"};
        return std::nullopt;
    }

    bool run_step(const Step& step, std::size_t i, StepReport& rep) {
        s_.record_event("step_started", "",
                        {{"step", step.id},
                         {"index", i + 1},
                         {"tool", step.tool},
                         {"fingerprint", step.fingerprint}});
        const auto t0 = Clock::now();
        const CallResult r = call(step.call, rep.call_id);
        rep.exit_code = r.exit_code;
        rep.call_status = std::string(status_name(r.status));
        std::optional<Failure> failure = check_expect(step.expect, r);
        for (std::size_t k = 0; !failure && k < step.checks.size(); ++k)
            if (auto bad = run_check(step.checks[k])) {
                bad->message = "check " + std::to_string(k + 1) + ": " + bad->message;
                failure = bad;
            }
        rep.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        rep.status = failure ? "failed" : "ok";
        json data = {{"step", step.id},
                     {"index", i + 1},
                     {"call_id", rep.call_id},
                     {"fingerprint", step.fingerprint},
                     {"status", rep.status},
                     {"exit_code", rep.exit_code},
                     {"call_status", rep.call_status}};
        if (failure) {
            rep.failure = failure->kind;
            rep.message = failure->message;
            data["failure"] = {{"kind", failure->kind}, {"message", failure->message}};
        }
        s_.record_event("step_finished", rep.call_id, data);
        return !failure;
    }

    // Undoes this run's own writes, newest first. Steps replayed from another run are not
    // touched: their writes belong to that run.
    void rollback() {
        json actions = json::array();
        auto log = wal::read_log(s_.wal_path(), s_.run_id());
        if (!log) {
            rollback_failed(actions, log.error().describe());
            return;
        }
        auto writes = undoable_writes(log->records, s_.wal_path());
        s_.record_event("rollback_started", "", {{"writes", writes.size()}});
        for (auto it = writes.rbegin(); it != writes.rend(); ++it) {
            auto undone = undo_write(s_.workspace(), *it, blobs_dir(s_.wal_path()));
            if (!undone) {
                rollback_failed(actions, undone.error().describe());
                return;
            }
            (*undone)["reason"] = "rollback";
            s_.record_event("undo", "", *undone);
            actions.push_back(*undone);
        }
        report_.status = "rolled_back";
        report_.exit_code = kExitPlanRolledBack;
        report_.rollback = {{"status", "ok"}, {"undone", actions}};
        s_.record_event("rollback_finished", "", {{"status", "ok"}, {"undone", actions.size()}});
    }

    void rollback_failed(const json& actions, const std::string& why) {
        report_.status = "error";
        report_.exit_code = kExitError;
        report_.message += "; the rollback failed: " + why;
        report_.rollback = {{"status", "failed"}, {"undone", actions}, {"message", why}};
        s_.record_event("rollback_finished", "", {{"status", "failed"}, {"message", why}});
    }

    void notify(std::size_t i, const Plan& plan, bool finished, const std::string& status,
                Clock::time_point t0) {
        if (!options_.progress) return;
        PlanProgress p;
        p.index = i + 1;
        p.total = plan.steps.size();
        p.step = plan.steps[i].id;
        p.finished = finished;
        p.status = status;
        p.elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        options_.progress(p);
    }

    Session& s_;
    const PlanRunOptions& options_;
    PlanReport report_;
    int calls_ = 0;
};

}  // namespace

PlanReport run_plan(Session& session, std::string_view text, std::string_view source,
                    const PlanRunOptions& options) {
    return Runner(session, options).run(text, source);
}

json to_json(const PlanReport& report) {
    json steps = json::array();
    for (const auto& s : report.steps) {
        json j = {{"id", s.id}, {"status", s.status}};
        if (s.status == "ok" || s.status == "failed") {
            j["exit_code"] = s.exit_code;
            j["call_status"] = s.call_status;
            j["call_id"] = s.call_id;
            j["seconds"] = s.seconds;
        }
        if (!s.failure.empty()) {
            j["failure"] = s.failure;
            j["message"] = s.message;
        }
        if (!s.replayed_from.is_null()) j["replayed_from"] = s.replayed_from;
        steps.push_back(std::move(j));
    }
    json j = {{"status", report.status},
              {"exit_code", report.exit_code},
              {"steps", steps},
              {"run_id", report.run_id},
              {"wal", report.wal.string()}};
    if (!report.message.empty()) j["message"] = report.message;
    if (!report.rejection.is_null()) j["rejection"] = report.rejection;
    if (!report.rollback.is_null()) j["rollback"] = report.rollback;
    return j;
}

}  // namespace airlock::exec
