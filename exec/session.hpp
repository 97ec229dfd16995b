// A run: one WAL, one policy, one approver; every tool call goes through the same pipeline.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "approvals/approvals.hpp"
#include "exec/call_result.hpp"
#include "exec/process_runner.hpp"
#include "exec/sandboxed_launch.hpp"
#include "platform/result.hpp"
#include "platform/tool_call.hpp"
#include "platform/unique_fd.hpp"
#include "policy/policy.hpp"
#include "wal/writer.hpp"

namespace airlock::netproxy {
struct Answer;
}
namespace airlock::policy {
struct NetworkDecision;
}

namespace airlock::exec {

class SessionEgress;
struct CallNetwork;

struct SessionOptions {
    std::filesystem::path workspace;  // must exist
    policy::LoadOptions policy;
    std::string approve;                 // provider spec; empty: tty on a terminal, else deny
    std::string sandbox;                 // adapter override; empty: the policy's
    std::optional<int> timeout_seconds;  // can only shorten the policy's limit
    bool passthrough = false;            // stream the child's output to airlock's own
    bool dry_run = false;                // plan only: no WAL, no approval, nothing executed
    // Protection-floor entries lifted on the command line (--unprotect; sandbox/floor.hpp).
    std::vector<std::string> unprotect;
    // The run is one call, made durable by one sync: before its command runs when it runs one
    // (what runs is on disk before it runs), otherwise in finish(), with its result and the
    // run's end, which the caller awaits before reporting the result.
    bool single_call = false;
    // A shared run (an agent's session, decided and run by one airlock process per tool call):
    // join the run with this id, or start it when it does not exist yet (wal::Writer::open_shared).
    std::string run_id;
    // Call ids are <prefix>1, <prefix>2, ...; empty: "c", or for a shared run "<random>-c" so
    // that the processes of one run never reuse an id.
    std::string call_id_prefix;
    // What opened the run, recorded in its opening record (e.g. "hook claude-code").
    std::string front_end;
    // Guard, policy, approvals and the floor decide; nothing runs. An allowed shell_exec gets a
    // grant (grant_issued: its approval key) that the command redeems when it runs later in the
    // same run (`grant`), so it is not asked again.
    bool decide_only = false;
    // decide_only: an "ask" verdict is not put to the approval provider but handed back to the
    // caller (an agent that asks its user itself); the grant is issued as "ask".
    bool ask_caller = false;
    // The approval key of a grant issued earlier in this shared run: the call must be exactly
    // that request, the grant is redeemed once (grant_redeemed) and stands for the approval.
    std::string grant;
    // Builds the approval provider instead of `approve` (the MCP server's elicitation).
    std::function<Result<std::unique_ptr<approvals::Provider>>(const approvals::ProviderOptions&)>
        make_provider;
};

class Session {
  public:
    // Never fails outright: a configuration problem is kept in startup_error(), recorded in the
    // WAL when one could be opened, and every call is then refused with status `error`.
    static std::unique_ptr<Session> open(const SessionOptions& options);
    ~Session();

    const std::optional<Error>& startup_error() const { return startup_error_; }
    const std::string& run_id() const { return run_id_; }
    std::filesystem::path wal_path() const;

    // Records a call that was rejected before it could be decoded (unknown tool, bad args).
    CallResult reject(const std::string& tool, const Error& error);
    // Thread-safe: several calls may be handled at once. `cancel_fd` (optional) becomes
    // readable when the caller withdraws the call; a running command is then killed.
    CallResult handle(ToolCall call, int cancel_fd = -1);

    // An agent's own tool that airlock does not run (an MCP tool, a web fetch): decided by the
    // policy's agent_tool rules and recorded; `details` (names and sizes, never contents) go into
    // call_received. An "ask" is always handed back to the caller (result.decided == "ask").
    CallResult decide_agent_tool(const std::string& name, nlohmann::json details);

    // What a plan needs besides handle(): the policy stack for its preflight (null after a
    // startup error), the canonical workspace, and its own events in the run's WAL (synced).
    const policy::PolicyStack* policy() const { return policy_ ? &*policy_ : nullptr; }
    const std::filesystem::path& workspace() const { return workspace_; }
    void record_event(const std::string& type, const std::string& call_id, nlohmann::json data);

    // Asks now for a call that will be handled later (plans' --approve-upfront). A grant is kept
    // for the identical request (same approval key) and used once when that call arrives.
    approvals::Outcome approve_in_advance(const ToolCall& call, const guard::Assessment& risk,
                                          const policy::Verdict& verdict);

    // Writes the run's final record (run_finished, or run_aborted) once, and syncs the WAL: an
    // Error when the records could not be made durable.
    Result<void> finish();

    struct Call;  // one call moving through the pipeline (session.cpp)

  private:
    explicit Session(SessionOptions options);
    void start();

    using Stop = std::optional<CallResult>;
    Stop check_run_state(Call& c);
    Stop validate_input(Call& c);
    Stop check_floor(Call& c);
    Stop score_risk(Call& c);
    Stop decide_policy(Call& c);
    Stop redeem_grant(Call& c);
    Stop ask_approval(Call& c);
    approvals::Outcome put_to_approver(const std::string& call_id,
                                       const approvals::ApprovalRequest& request,
                                       const std::string& rule, const nlohmann::json* network);
    CallResult decided(Call& c);
    Stop prepare_sandbox(Call& c);
    Stop execute(Call& c);
    CallResult end_call(Call& c, Stop stop);

    // prepare_sandbox's steps, in order (session_sandbox.cpp).
    Stop find_command(Call& c);
    void describe_sandbox_request(Call& c);
    Stop choose_adapter(Call& c);
    Stop check_layers_trusted(Call& c);
    Stop prepare_home(Call& c);
    Stop build_profile(Call& c);
    Stop lease_placeholders(Call& c);
    void set_timeout(Call& c);
    Stop limit_processes(Call& c);
    void record_sandbox_prepared(Call& c);
    Stop sandbox_denied(Call& c, const std::string& message);

    // execute's steps (session_execute.cpp).
    Stop show_plan(Call& c);
    Stop write_file(Call& c);
    Stop read_file(Call& c);
    Result<std::unique_ptr<Launch>> prepare_launch(Call& c);
    // The session's egress proxy, started by the first call that needs it; under seccomp, the
    // call's port on the host's loopback.
    Result<void> open_egress(Call& c);
    void record_network(Call& c, const CallNetwork& network);
    // "unknown": "ask" for one destination of a running call (on an asker's own thread).
    netproxy::Answer ask_network(const ToolCall& call,
                                 const approvals::NetworkDestination& destination,
                                 const policy::NetworkDecision& asked);
    void stop_egress();
    Stop start_command(Call& c);
    RunLimits run_limits(const Call& c) const;
    Stop check_sandbox_started(Call& c, Launch::Outcome& ran);
    void record_command_result(Call& c, ProcessOutcome& out);

    CallResult blocked(Call& c, Status status, int exit_code, std::string stage,
                       std::string message);
    void record(const std::string& type, const std::string& call_id, nlohmann::json data);

    SessionOptions options_;
    std::filesystem::path workspace_;
    std::string run_id_;
    std::optional<wal::Writer> wal_;
    std::optional<policy::PolicyStack> policy_;
    std::unique_ptr<approvals::Approver> approver_;
    std::optional<Error> startup_error_;
    std::atomic<int> next_call_{0};
    std::atomic<int> calls_{0};
    std::atomic<int> failures_{0};
    bool finished_ = false;
    std::atomic<bool> command_synced_{false};  // a command ran after an fdatasync of the log
    std::mutex advance_mutex_;
    std::multiset<std::string> approved_in_advance_;  // approval keys granted ahead of their call
    std::string call_prefix_;
    std::mutex egress_mutex_;
    std::unique_ptr<SessionEgress> egress_;  // shared by the session's calls; stopped in finish()
};

}  // namespace airlock::exec
