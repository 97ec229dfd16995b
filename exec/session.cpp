#include "exec/session.hpp"

#include "exec/session_call.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>

#include "exec/blob_store.hpp"
#include "exec/command_lookup.hpp"
#include "exec/file_tools.hpp"
#include "exec/network_egress.hpp"
#include "exec/process_runner.hpp"
#include "exec/run_grants.hpp"
#include "exec/sandboxed_launch.hpp"
#include "exec/version.hpp"
#include "platform/sha256.hpp"
#include "platform/workspace_path.hpp"
#include "sandbox/bwrap.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/floor.hpp"
#include "sandbox/placeholders.hpp"
#include "sandbox/profile.hpp"

extern char** environ;

namespace airlock::exec {

namespace fs = std::filesystem;
using nlohmann::json;

namespace session_detail {

std::vector<std::pair<std::string, std::string>> child_environment(const policy::EnvSettings& env) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& key : env.allow) {
        if (env.set.count(key)) continue;
        if (const char* value = std::getenv(key.c_str())) out.emplace_back(key, value);
    }
    for (const auto& [key, value] : env.set)
        out.emplace_back(key, value);
    const bool has_path =
        std::any_of(out.begin(), out.end(), [](const auto& kv) { return kv.first == "PATH"; });
    if (!has_path) out.emplace_back("PATH", kDefaultPath);
    std::sort(out.begin(), out.end());
    return out;
}

json output_summary(const std::string& bytes, bool truncated) {
    return {{"bytes", bytes.size()}, {"sha256", sha256_hex(bytes)}, {"truncated", truncated}};
}

}  // namespace session_detail

namespace {

using session_detail::child_environment;

// The host and user a run's opening record names, looked up once a process: a hook server
// opens a session for every call it answers.
const std::string& host_name() {
    static const std::string name = [] {
        char buf[256] = {};
        return ::gethostname(buf, sizeof buf - 1) == 0 ? std::string(buf) : "unknown";
    }();
    return name;
}

const std::string& user_name() {
    static const std::string name = [] {
        if (const passwd* pw = ::getpwuid(::geteuid())) return std::string(pw->pw_name);
        return std::to_string(::geteuid());
    }();
    return name;
}

std::string random_prefix() {
    std::random_device rd;
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06x", rd() & 0xffffffu);
    return buf;
}

// A grant's key: the approval key of the request without the names of its environment. The
// agent's shell tool gives the wrapped command another environment than the hook had (Claude
// Code adds SHELL, for one); what the command gets is still the policy's env.allow, decided
// again when it runs. Command, arguments and cwd must be exactly the granted ones.
std::string grant_key(const ToolCall& call) {
    return approvals::approval_key(call, {});
}

std::vector<std::string> keys_of(const std::vector<std::pair<std::string, std::string>>& env) {
    std::vector<std::string> keys;
    for (const auto& kv : env)
        keys.push_back(kv.first);
    return keys;
}

json describe_request(const ToolCall& call) {
    json d = {{"tool", tool_name(call.tool)}};
    switch (call.tool) {
        case Tool::shell_exec:
            if (call.shell)
                d["shell"] = *call.shell;
            else
                d["argv"] = call.argv;
            d["cwd"] = call.cwd;
            if (call.timeout_ms) d["timeout_ms"] = *call.timeout_ms;
            break;
        case Tool::file_write:
            // Never the content itself: its size and digest identify it.
            d["path"] = call.path;
            d["size"] = call.content.size();
            d["sha256"] = sha256_hex(call.content);
            break;
        case Tool::file_read:
            d["path"] = call.path;
            if (call.max_bytes) d["max_bytes"] = *call.max_bytes;
            break;
    }
    return d;
}

}  // namespace

std::unique_ptr<Session> Session::open(const SessionOptions& options) {
    std::unique_ptr<Session> session(new Session(options));
    session->start();
    return session;
}

Session::Session(SessionOptions options) : options_(std::move(options)) {}

Session::~Session() {
    (void)finish();
    stop_egress();
}

// Nothing of the proxy outlives the session, and no ask of it is answered after its end.
void Session::stop_egress() {
    std::unique_ptr<SessionEgress> egress;
    {
        std::lock_guard lock(egress_mutex_);
        egress = std::move(egress_);
    }
    egress.reset();
}

void Session::record_event(const std::string& type, const std::string& call_id, json data) {
    record(type, call_id, std::move(data));
    if (wal_) (void)wal_->sync();
}

fs::path Session::wal_path() const {
    return wal_ ? wal_->path() : fs::path{};
}

void Session::record(const std::string& type, const std::string& call_id, json data) {
    if (!wal_) return;
    if (auto r = wal_->append(type, call_id, std::move(data)); !r) {
        // A run whose evidence cannot be written must not go on executing commands.
        if (!startup_error_) startup_error_ = r.error();
        std::cerr << "airlock: " << r.error().describe() << "\n";
    }
}

void Session::start() {
    std::error_code ec;
    workspace_ = fs::canonical(options_.workspace, ec);
    if (ec || !fs::is_directory(workspace_)) {
        startup_error_ = make_error("config", "workspace \"" + options_.workspace.string() +
                                                  "\" is not an existing directory");
        return;
    }
    if (workspace_ == workspace_.root_path()) {
        startup_error_ = make_error("config", "the workspace cannot be the root directory");
        return;
    }
    const bool shared = !options_.run_id.empty();
    run_id_ = shared ? options_.run_id : wal::new_run_id();
    call_prefix_ = options_.call_id_prefix;
    if (call_prefix_.empty()) call_prefix_ = shared ? random_prefix() + "-c" : "c";
    if (!options_.dry_run) {
        // A shared run is continued from its verified tail; a grant is looked up from there
        // back when it is redeemed (redeem_grant).
        auto writer = shared ? wal::Writer::open_shared(workspace_, run_id_)
                             : wal::Writer::create(workspace_, run_id_);
        if (!writer) {
            startup_error_ = writer.error();
            return;
        }
        wal_.emplace(std::move(writer).value());
        // A process that only decides waits on nothing before its sync (an approval is asked
        // after one): its records take the run's lock once, not once each.
        if (shared && options_.decide_only) wal_->hold_lock_until_sync();
    }
    if (!options_.grant.empty() && !shared) {
        startup_error_ =
            make_error("config", "a grant can only be redeemed in a shared run (--run)");
        return;
    }
    // The policy is loaded first so that the run's first record can name its digest; a policy
    // that fails to load is still recorded, in the records that follow.
    options_.policy.workspace = workspace_;  // relative path globs resolve against it
    auto loaded = policy::PolicyStack::load(options_.policy);
    json started = {{"airlock_version", kVersion},
                    {"host", host_name()},
                    {"user", user_name()},
                    {"pid", ::getpid()},
                    {"workspace", workspace_.string()}};
    started["policy_digest"] = loaded ? json(loaded->digest()) : json(nullptr);
    if (!options_.unprotect.empty()) started["unprotected"] = options_.unprotect;
    if (!options_.front_end.empty()) started["front_end"] = options_.front_end;
    if (loaded && !(options_.decide_only && !options_.dry_run)) {
        // Which adapter the run's commands get, and why (user namespaces and Landlock probed: a
        // child process). A process that only decides (an agent's hook) runs nothing and skips
        // it; the command it lets through records its own when it runs.
        sandbox::SandboxRequest request;
        request.adapter = options_.sandbox.empty() ? loaded->sandbox().adapter : options_.sandbox;
        request.required = loaded->sandbox().required;
        started["effective"] = {
            {"adapter_choice",
             sandbox::to_json(request.adapter, sandbox::choose_adapter(request))}};
    }
    if (wal_ && wal_->shared()) {
        // The first process of a shared run starts it; the others resume it.
        if (auto opened = wal_->append_opening(started); !opened) {
            startup_error_ = opened.error();
            std::cerr << "airlock: " << opened.error().describe() << "\n";
            return;
        }
    } else {
        record("run_started", "", started);
    }
    if (auto lifted = sandbox::validate_unprotect(options_.unprotect); !lifted) {
        startup_error_ = lifted.error();
        record("config_error", "",
               {{"stage", lifted.error().stage}, {"message", lifted.error().describe()}});
        return;
    }
    if (!loaded) {
        startup_error_ = loaded.error();
        record("config_error", "",
               {{"stage", loaded.error().stage}, {"message", loaded.error().describe()}});
        return;
    }
    policy_.emplace(std::move(loaded).value());
    if (wal_) wal_->set_redaction(policy_->wal().redact);
    record("policy_loaded", "",
           {{"digest", policy_->digest()}, {"layers", policy_->layer_names()}});

    const std::string spec =
        options_.approve.empty() ? approvals::default_provider_spec() : options_.approve;
    approvals::ProviderOptions provider_options{};
    provider_options.timeout_seconds = policy_->approvals().timeout_seconds;
    provider_options.workspace = workspace_;
    auto provider = options_.make_provider ? options_.make_provider(provider_options)
                                           : approvals::make_provider(spec, provider_options);
    if (!provider) {
        startup_error_ = provider.error();
        record("config_error", "",
               {{"stage", provider.error().stage}, {"message", provider.error().describe()}});
        return;
    }
    approver_ =
        std::make_unique<approvals::Approver>(std::move(provider).value(), policy_->approvals());
    // No sync here: every call syncs before it runs anything and before its result is given.
    record("approver_ready", "", {{"provider", approver_->provider_name()}});
}

Result<void> Session::finish() {
    if (finished_ || !wal_) return {};
    stop_egress();
    finished_ = true;
    const bool aborted = startup_error_.has_value() || (approver_ && approver_->run_aborted());
    json totals = {{"calls", calls_.load()}, {"blocked_or_failed", failures_.load()}};
    if (startup_error_) totals["reason"] = startup_error_->describe();
    record(aborted ? "run_aborted" : "run_finished", "", totals);
    // A one-call run makes its log durable once (docs/WAL.md, Durability): before its command
    // runs when it runs one (the write-ahead promise), otherwise here, with its result.
    if (options_.single_call && command_synced_) return {};
    return wal_->sync();
}

CallResult Session::blocked(Call& c, Status status, int exit_code, std::string stage,
                            std::string message) {
    CallResult r = std::move(c.result);
    r.status = status;
    r.exit_code = exit_code;
    r.stage = std::move(stage);
    r.message = std::move(message);
    return r;
}

CallResult Session::reject(const std::string& tool, const Error& error) {
    Call c;
    c.call.call_id = call_prefix_ + std::to_string(++next_call_);
    c.result.run_id = run_id_;
    c.result.wal = wal_path();
    record("call_received", c.call.call_id, {{"tool", tool}, {"decoded", false}});
    if (startup_error_)
        return end_call(c, blocked(c, Status::error, kExitError, startup_error_->stage,
                                   startup_error_->describe()));
    return end_call(c, blocked(c, Status::invalid, kExitBlocked, error.stage, error.describe()));
}

// The pipeline. Each stage either lets the call continue or stops it with a result.
CallResult Session::handle(ToolCall call, int cancel_fd) {
    Call c;
    c.call = std::move(call);
    c.cancel_fd = cancel_fd;
    c.call.call_id = call_prefix_ + std::to_string(++next_call_);
    c.result.run_id = run_id_;
    c.result.wal = wal_path();
    c.result.call_id = c.call.call_id;
    record("call_received", c.call.call_id, describe_request(c.call));

    if (auto stop = check_run_state(c)) return end_call(c, std::move(stop));
    if (auto stop = validate_input(c)) return end_call(c, std::move(stop));
    if (auto stop = check_floor(c)) return end_call(c, std::move(stop));
    if (auto stop = score_risk(c)) return end_call(c, std::move(stop));
    if (auto stop = decide_policy(c)) return end_call(c, std::move(stop));
    if (auto stop = redeem_grant(c)) return end_call(c, std::move(stop));
    if (auto stop = ask_approval(c)) return end_call(c, std::move(stop));
    if (options_.decide_only && !options_.dry_run) return end_call(c, decided(c));
    if (auto stop = prepare_sandbox(c)) return end_call(c, std::move(stop));
    if (auto stop = execute(c)) return end_call(c, std::move(stop));
    return end_call(c, std::nullopt);
}

Session::Stop Session::check_run_state(Call& c) {
    if (startup_error_)
        return blocked(c, Status::error, kExitError, startup_error_->stage,
                       startup_error_->describe());
    if (approver_->run_aborted())
        return blocked(c, Status::aborted, kExitBlocked, "approval",
                       approver_->abort_reason() +
                           ": this run was aborted earlier; no further calls are accepted");
    return std::nullopt;
}

Session::Stop Session::validate_input(Call& c) {
    const ToolCall& call = c.call;
    auto invalid = [&](const std::string& message) {
        return blocked(c, Status::invalid, kExitBlocked, "input",
                       std::string(tool_name(call.tool)) + ": " + message);
    };
    switch (call.tool) {
        case Tool::shell_exec: {
            if (!call.shell && call.argv.empty()) return invalid("empty argv: nothing to run");
            if (call.shell && call.shell->empty()) return invalid("empty command string");
            if (!call.shell && call.argv[0].empty()) return invalid("argv[0] is empty");
            for (const auto& arg : effective_argv(call))
                if (arg.find('\0') != std::string::npos)
                    return invalid("an argument contains a NUL byte");
            if (call.timeout_ms && *call.timeout_ms <= 0)
                return invalid("timeout_ms must be positive");
            if (call.cwd.empty()) {
                c.cwd = workspace_;
            } else {
                auto cwd = resolve_in_workspace(workspace_, call.cwd, "cwd");
                if (!cwd) return invalid(cwd.error().message);
                if (!fs::is_directory(*cwd))
                    return invalid("cwd \"" + call.cwd + "\" is not a directory");
                c.cwd = *cwd;
            }
            break;
        }
        case Tool::file_write:
        case Tool::file_read: {
            auto relative = validate_file_path(workspace_, call.path);
            if (!relative) return invalid(relative.error().message);
            c.relative_path = *relative;
            break;
        }
    }
    return std::nullopt;
}

// The protection floor holds for the file tools too, which airlock runs itself: a write below
// `.git/hooks`, `.vscode`, a shell startup file... is refused whatever the policy says.
Session::Stop Session::check_floor(Call& c) {
    if (c.call.tool != Tool::file_write) return std::nullopt;
    const auto entry = sandbox::floor_entry_for(c.relative_path, options_.unprotect);
    if (!entry) return std::nullopt;
    const std::string message = "\"" + c.relative_path.string() + "\" is under \"" + *entry +
                                "\", which the protection floor keeps read-only (lift it with "
                                "--unprotect " +
                                *entry + ")";
    record("floor_denied", c.call.call_id, {{"path", c.relative_path.string()}, {"entry", *entry}});
    return blocked(c, Status::denied, kExitBlocked, "floor", message);
}

Session::Stop Session::score_risk(Call& c) {
    c.result.risk = policy_->guard().assess(c.call, workspace_);
    record("risk_scored", c.call.call_id, guard::to_json(*c.result.risk));
    return std::nullopt;
}

Session::Stop Session::decide_policy(Call& c) {
    c.result.decision = policy_->evaluate(c.call, *c.result.risk);
    const policy::Verdict& v = *c.result.decision;
    record("policy_decided", c.call.call_id, policy::to_json(v));
    if (v.decision == policy::Decision::deny)
        return blocked(c, Status::denied, kExitBlocked, "policy", v.reason);
    return std::nullopt;
}

approvals::Outcome Session::approve_in_advance(const ToolCall& call, const guard::Assessment& risk,
                                               const policy::Verdict& verdict) {
    approvals::ApprovalRequest request;
    request.call = call;
    if (call.tool == Tool::shell_exec)
        request.env_keys = keys_of(child_environment(policy_->env()));
    request.risk = risk;
    request.verdict = verdict;
    request.key = approvals::approval_key(call, request.env_keys);
    record("approval_requested", "",
           {{"key", request.key},
            {"provider", approver_->provider_name()},
            {"rule", verdict.rule},
            {"in_advance", true}});
    approvals::Outcome outcome = approver_->decide(request);
    record("approval_answered", "",
           {{"key", request.key},
            {"provider", outcome.answer.provider},
            {"decision", approvals::decision_name(outcome.answer.decision)},
            {"reason", outcome.answer.reason},
            {"seconds", outcome.answer.seconds},
            {"in_advance", true},
            {"loop_guard", outcome.loop_guard}});
    if (approvals::grants(outcome.answer.decision)) {
        std::lock_guard lock(advance_mutex_);
        approved_in_advance_.insert(request.key);
    }
    return outcome;
}

// A grant issued earlier in this shared run (the agent's hook decided the call) is redeemed
// once by the very request it was issued for; anything else is refused, never re-asked.
Session::Stop Session::redeem_grant(Call& c) {
    if (options_.grant.empty()) return std::nullopt;
    const std::string key = grant_key(c.call);
    if (key != options_.grant) {
        record("grant_refused", c.call.call_id,
               {{"key", options_.grant}, {"reason", "the request differs from the granted one"}});
        return blocked(c, Status::denied, kExitBlocked, "grant",
                       "this request is not the one grant " + options_.grant.substr(0, 12) +
                           "... was issued for (the command or its cwd differ)");
    }
    std::string decided_by;
    auto redeemed = wal_->append_if(
        [&](const wal::History& history) -> Result<std::optional<json>> {
            auto open = find_open_grant(history, key);
            if (!open) return open.error();
            if (!*open) return std::optional<json>();
            decided_by = **open;
            return std::optional<json>(json{{"key", key}, {"decided_by", decided_by}});
        },
        "grant_redeemed", c.call.call_id);
    if (!redeemed) {
        if (!startup_error_) startup_error_ = redeemed.error();
        return blocked(c, Status::error, kExitError, "wal", redeemed.error().describe());
    }
    if (!*redeemed) {
        record("grant_refused", c.call.call_id,
               {{"key", key}, {"reason", "no open grant: never issued in this run, or used"}});
        return blocked(c, Status::denied, kExitBlocked, "grant",
                       "no open grant " + key.substr(0, 12) + "... in run " + run_id_ +
                           ": it was never issued, or it was used already");
    }
    c.granted_by = decided_by.empty() ? "?" : decided_by;
    return std::nullopt;
}

// decide_only: the call is decided and not run. An allowed (or caller-asked) shell command gets
// a grant that its later run in this shared run redeems.
CallResult Session::decided(Call& c) {
    CallResult r = std::move(c.result);
    r.status = Status::ok;
    r.exit_code = 0;
    r.decided = c.ask_caller ? "ask" : "allow";
    if (c.call.tool == Tool::shell_exec) {
        r.grant = grant_key(c.call);
        record("grant_issued", c.call.call_id, {{"key", r.grant}, {"decision", r.decided}});
    } else {
        record("call_decided", c.call.call_id, {{"decision", r.decided}});
    }
    return r;
}

CallResult Session::decide_agent_tool(const std::string& name, json details) {
    Call c;
    c.call.call_id = call_prefix_ + std::to_string(++next_call_);
    c.result.run_id = run_id_;
    c.result.wal = wal_path();
    c.result.call_id = c.call.call_id;
    json request = {{"tool", "agent_tool"}, {"name", name}};
    if (!details.is_null()) request["details"] = std::move(details);
    record("call_received", c.call.call_id, request);
    if (auto stop = check_run_state(c)) return end_call(c, std::move(stop));
    c.result.decision = policy_->evaluate_agent_tool(name);
    const policy::Verdict& v = *c.result.decision;
    record("policy_decided", c.call.call_id, policy::to_json(v));
    if (v.decision == policy::Decision::deny)
        return end_call(c, blocked(c, Status::denied, kExitBlocked, "policy", v.reason));
    CallResult r = std::move(c.result);
    r.status = Status::ok;
    r.exit_code = 0;
    r.decided = v.decision == policy::Decision::ask ? "ask" : "allow";
    if (v.decision == policy::Decision::ask)
        record("approval_requested", c.call.call_id, {{"provider", "caller"}, {"rule", v.rule}});
    record("call_decided", c.call.call_id, {{"decision", r.decided}});
    return end_call(c, std::move(r));
}

Session::Stop Session::ask_approval(Call& c) {
    const policy::Verdict& v = *c.result.decision;
    if (v.decision != policy::Decision::ask) return std::nullopt;
    if (c.call.tool == Tool::shell_exec) c.env = child_environment(policy_->env());
    if (options_.dry_run) return std::nullopt;  // a plan only says that it would ask

    approvals::ApprovalRequest request;
    request.call = c.call;
    request.env_keys = keys_of(c.env);
    request.risk = *c.result.risk;
    request.verdict = v;
    request.key = approvals::approval_key(c.call, request.env_keys);
    if (!c.granted_by.empty()) {
        record("approval_answered", c.call.call_id,
               {{"key", request.key},
                {"provider", "grant"},
                {"decision", "approved"},
                {"reason", "decided by call " + c.granted_by + " of this run"}});
        c.result.approval = ApprovalRecord{"grant", "approved", request.key, false};
        return std::nullopt;
    }
    if (options_.decide_only && options_.ask_caller) {
        // The caller (an agent) asks its user; what it answers is not airlock's to see: the
        // grant issued for the call is marked "ask".
        record("approval_requested", c.call.call_id,
               {{"key", request.key}, {"provider", "caller"}, {"rule", v.rule}});
        c.result.approval = ApprovalRecord{"caller", "asked", request.key, false};
        c.ask_caller = true;
        return std::nullopt;
    }
    {
        // Answered ahead of time (a plan's --approve-upfront): used once, by this identical call.
        std::lock_guard lock(advance_mutex_);
        if (auto it = approved_in_advance_.find(request.key); it != approved_in_advance_.end()) {
            approved_in_advance_.erase(it);
            record("approval_answered", c.call.call_id,
                   {{"key", request.key},
                    {"provider", approver_->provider_name()},
                    {"decision", "approved"},
                    {"reason", "approved in advance"},
                    {"in_advance", true}});
            c.result.approval =
                ApprovalRecord{approver_->provider_name(), "approved", request.key, false};
            return std::nullopt;
        }
    }
    const approvals::Outcome outcome = put_to_approver(c.call.call_id, request, v.rule, nullptr);
    const auto& answer = outcome.answer;
    c.result.approval =
        ApprovalRecord{answer.provider, std::string(approvals::decision_name(answer.decision)),
                       request.key, outcome.from_session_cache};
    if (approvals::grants(answer.decision)) return std::nullopt;
    if (outcome.loop_guard)
        return blocked(c, Status::aborted, kExitBlocked, "approval",
                       "loop_guard: the same request was denied " +
                           std::to_string(policy_->approvals().max_repeated_denials) +
                           " times; the run is aborted");
    if (answer.decision == approvals::ApprovalDecision::abort)
        return blocked(
            c, Status::aborted, kExitBlocked, "approval",
            "aborted by " + answer.provider + (answer.reason.empty() ? "" : ": " + answer.reason));
    return blocked(c, Status::approval_denied, kExitBlocked, "approval",
                   std::string(approvals::decision_name(answer.decision)) + " by " +
                       answer.provider + (answer.reason.empty() ? "" : ": " + answer.reason) +
                       " (policy rule \"" + v.rule + "\" asks for approval)");
}

// The question and its answer, each on the record (a network destination's, with its host and
// port); the question is durable before anyone answers it.
approvals::Outcome Session::put_to_approver(const std::string& call_id,
                                            const approvals::ApprovalRequest& request,
                                            const std::string& rule, const json* network) {
    json asked = {{"key", request.key}, {"provider", approver_->provider_name()}, {"rule", rule}};
    if (network) asked["network"] = *network;
    record("approval_requested", call_id, std::move(asked));
    if (wal_) (void)wal_->sync();
    approvals::Outcome outcome = approver_->decide(request);
    const auto& answer = outcome.answer;
    json answered = {{"key", request.key},
                     {"provider", answer.provider},
                     {"decision", approvals::decision_name(answer.decision)},
                     {"reason", answer.reason},
                     {"seconds", answer.seconds},
                     {"from_session_cache", outcome.from_session_cache},
                     {"loop_guard", outcome.loop_guard}};
    if (network) answered["network"] = *network;
    record("approval_answered", call_id, std::move(answered));
    return outcome;
}

netproxy::Answer Session::ask_network(const ToolCall& call,
                                      const approvals::NetworkDestination& destination,
                                      const policy::NetworkDecision& asked) {
    approvals::ApprovalRequest request;
    request.call = call;
    request.network = destination;
    request.verdict.decision = policy::Decision::ask;
    request.verdict.rule = asked.rule;
    request.verdict.reason = asked.reason;
    request.key = approvals::request_key(request);
    const json network = {{"host", destination.host}, {"port", destination.port}};
    const approvals::Outcome outcome = put_to_approver(call.call_id, request, asked.rule, &network);
    const auto& answer = outcome.answer;
    if (approvals::grants(answer.decision))
        return {true, "approval",
                outcome.from_session_cache
                    ? "approved earlier for this session"
                    : std::string(approvals::decision_name(answer.decision)) + " by " +
                          answer.provider};
    if (outcome.loop_guard)
        return {false, "approval",
                "loop_guard: the same request was denied " +
                    std::to_string(policy_->approvals().max_repeated_denials) +
                    " times; the run is aborted"};
    return {false, "approval",
            std::string(approvals::decision_name(answer.decision)) + " by " + answer.provider +
                (answer.reason.empty() ? "" : ": " + answer.reason) + " (policy rule \"" +
                asked.rule + "\" asks for approval)"};
}

CallResult Session::end_call(Call& c, Stop stop) {
    CallResult r = stop ? std::move(*stop) : std::move(c.result);
    ++calls_;
    if (r.status != Status::ok) ++failures_;
    json data = {{"status", status_name(r.status)}, {"exit_code", r.exit_code}};
    if (!r.stage.empty()) data["stage"] = r.stage;
    if (!r.message.empty()) data["message"] = r.message;
    record("call_finished", c.call.call_id, data);
    if (wal_ && !options_.single_call) {
        // The result goes back to the caller only once its records are on disk.
        if (auto s = wal_->sync(); !s) {
            r.status = Status::error;
            r.exit_code = kExitError;
            r.stage = "wal";
            r.message = s.error().describe();
        }
    }
    return r;
}

}  // namespace airlock::exec
