// The pipeline's last stage: the plan under --dry-run, else the file tool or the sandboxed
// command, and what came of it.
#include <poll.h>

#include "exec/blob_store.hpp"
#include "exec/connect_supervisor.hpp"
#include "exec/file_tools.hpp"
#include "exec/network_egress.hpp"
#include "exec/sandboxed_launch.hpp"
#include "exec/session.hpp"
#include "exec/session_call.hpp"
#include "platform/sha256.hpp"
#include "sandbox/bwrap.hpp"

namespace airlock::exec {

using nlohmann::json;
using session_detail::output_summary;

Session::Stop Session::execute(Call& c) {
    if (options_.dry_run) return show_plan(c);
    switch (c.call.tool) {
        case Tool::file_write:
            return write_file(c);
        case Tool::file_read:
            return read_file(c);
        case Tool::shell_exec:
            break;
    }
    // A network allow list: the session's proxy serves this call on a socket in the call's own
    // network namespace (or, under seccomp, its own loopback port) for as long as the command
    // runs; when it ends, so do its connections.
    if (c.profile->network_proxy) {
        if (auto opened = open_egress(c); !opened)
            return sandbox_denied(c, opened.error().describe());
    }
    struct CallChannel {
        SessionEgress* egress;
        const std::string& call_id;
        ~CallChannel() {
            if (egress) egress->end_call(call_id);
        }
    } served{c.profile->network_proxy ? egress_.get() : nullptr, c.call.call_id};
    auto launch = prepare_launch(c);
    if (!launch) return sandbox_denied(c, launch.error().describe());
    if (UniqueFd listening = (*launch)->take_proxy_listener(); served.egress && listening.valid())
        served.egress->serve_call(c.call, std::move(listening));
    // Under seccomp, airlock answers the command's connect(2) calls: the proxy's address only.
    std::unique_ptr<ConnectSupervisor> connects;
    if (UniqueFd notify = (*launch)->take_connect_channel(); served.egress && notify.valid()) {
        auto started = ConnectSupervisor::start(std::move(notify),
                                                static_cast<std::uint16_t>(c.profile->proxy_port));
        if (!started) return sandbox_denied(c, started.error().describe());
        connects = std::move(started).value();
    }
    // The WAL's records of what is about to run reach the disk before it runs: with bwrap,
    // while bwrap sets the sandbox up and holds the command back (Launch::run).
    Stop not_started;
    const auto start = [&] {
        not_started = start_command(c);
        return !not_started;
    };
    auto ran = (*launch)->run(run_limits(c), start);
    connects.reset();
    if (served.egress) {
        record_network(c, served.egress->end_call(c.call.call_id));
        served.egress = nullptr;
    }
    if (not_started) return not_started;
    if (!ran) {
        record("exec_failed", c.call.call_id, {{"message", ran.error().describe()}});
        return blocked(c, Status::error, kExitError, "exec", ran.error().describe());
    }
    if (auto stop = check_sandbox_started(c, *ran)) return stop;
    record_command_result(c, ran->process);
    return std::nullopt;
}

// --dry-run: the profile and the command line that would run; nothing is executed.
Session::Stop Session::show_plan(Call& c) {
    json plan = {{"dry_run", true}};
    if (c.profile) {
        plan["profile"] = sandbox::to_json(*c.profile);
        plan["command"] =
            c.profile->adapter == sandbox::Adapter::bwrap
                ? sandbox::bwrap_argv(*c.profile, c.command, sandbox::bwrap_child_fds(*c.profile))
                : c.command;
    }
    CallResult r = std::move(c.result);
    r.status = Status::ok;
    r.exit_code = 0;
    r.stdout_bytes = plan.dump(2) + "\n";
    return r;
}

// What the write replaces is kept first, so that it can be undone; a write that could not be
// undone is not made.
Session::Stop Session::write_file(Call& c) {
    json previous;
    if (wal_) {
        auto kept = keep_previous(workspace_, c.relative_path, blobs_dir(wal_->path()));
        if (!kept)
            return blocked(c, Status::error, kExitError, "exec",
                           "cannot keep what the write replaces: " + kept.error().describe());
        previous = std::move(kept).value();
    }
    auto written = write_file_beneath(workspace_, c.relative_path, c.call.content);
    if (!written) return blocked(c, Status::error, kExitError, "exec", written.error().describe());
    json data = {{"path", c.relative_path.string()},
                 {"bytes", written->bytes},
                 {"created", written->created},
                 {"sha256", sha256_hex(c.call.content)}};
    if (!previous.is_null()) data["previous"] = std::move(previous);
    record("file_written", c.call.call_id, std::move(data));
    c.result.status = Status::ok;
    c.result.exit_code = 0;
    return std::nullopt;
}

Session::Stop Session::read_file(Call& c) {
    const std::uint64_t cap = c.call.max_bytes.value_or(policy_->limits().output_bytes);
    auto read = read_file_beneath(workspace_, c.relative_path, cap);
    if (!read) return blocked(c, Status::failed, 1, "exec", read.error().describe());
    record("file_read", c.call.call_id,
           {{"path", c.relative_path.string()},
            {"bytes", read->content.size()},
            {"truncated", read->truncated}});
    c.result.stdout_bytes = std::move(read->content);
    c.result.stdout_truncated = read->truncated;
    c.result.status = Status::ok;
    c.result.exit_code = 0;
    return std::nullopt;
}

Result<std::unique_ptr<Launch>> Session::prepare_launch(Call& c) {
    const policy::Limits& limits = policy_->limits();
    LaunchRequest request;
    request.profile = &*c.profile;
    request.command = c.command;
    request.resolved_program = c.resolved_program;
    request.memory_bytes = limits.memory_bytes;
    if (c.nproc_rlimit) request.max_processes = static_cast<std::uint64_t>(limits.max_processes);
    if (c.cgroup) request.cgroup = &*c.cgroup;
    return Launch::prepare(request);
}

Result<void> Session::open_egress(Call& c) {
    std::lock_guard lock(egress_mutex_);
    if (!egress_) {
        auto started = SessionEgress::start(
            policy_->sandbox().network_policy,
            [this](const ToolCall& call, const approvals::NetworkDestination& destination,
                   const policy::NetworkDecision& asked) {
                return ask_network(call, destination, asked);
            });
        if (!started) return started.error();
        egress_ = std::move(started).value();
        // Once per session: the calls after this one share it.
        record("network_proxy_started", c.call.call_id,
               {{"max_connections", netproxy::ProxyOptions{}.max_connections},
                {"records_per_call", SessionEgress::kMaxRecordsPerCall}});
    }
    // With bwrap, the call's socket comes with its launch (sandbox/netns.hpp).
    if (c.profile->adapter != sandbox::Adapter::seccomp) return {};
    // Under seccomp there is no namespace of the call's own: the proxy listens on the host's
    // loopback, and Landlock lets the command connect to that port only.
    auto port = egress_->open_call_on_loopback(c.call);
    if (!port) return port.error();
    sandbox::set_proxy_port(*c.profile, *port);
    c.result.sandbox["effective"]["proxy"] = sandbox::proxy_json(*c.profile);
    return {};
}

// Every connection through the proxy is a record; the refused ones are also in the result, so
// that the caller can tell why a download failed.
void Session::record_network(Call& c, const CallNetwork& network) {
    json refused = json::array();
    for (const auto& r : network.records) {
        record("network_request", c.call.call_id, network_request_record(r));
        if (!r.allowed && refused.size() < 20)
            refused.push_back({{"host", r.host}, {"port", r.port}, {"reason", r.reason}});
    }
    if (network.dropped > 0)
        record("network_requests_dropped", c.call.call_id,
               {{"count", network.dropped},
                {"reason", "more connections than one call's records keep"}});
    if (!refused.empty()) c.result.sandbox["network_refused"] = refused;
}

// What is about to run is on disk before it runs (when it cannot be, it does not run); a call
// withdrawn by now does not run.
Session::Stop Session::start_command(Call& c) {
    record("exec_started", c.call.call_id,
           {{"adapter", sandbox::adapter_name(c.profile->adapter)}, {"timeout_ms", c.timeout_ms}});
    if (wal_) {
        if (auto synced = wal_->sync(); !synced) {
            record("exec_not_started", c.call.call_id, {{"message", synced.error().describe()}});
            return blocked(c, Status::error, kExitError, "wal", synced.error().describe());
        }
        command_synced_ = true;
    }
    if (c.cancel_fd < 0) return std::nullopt;
    pollfd p{c.cancel_fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return std::nullopt;
    record("exec_not_started", c.call.call_id, {{"message", "cancelled before it ran"}});
    return blocked(c, Status::cancelled, kExitCancelled, "exec", "cancelled before it ran");
}

RunLimits Session::run_limits(const Call& c) const {
    RunLimits limits;
    limits.cancel_fd = c.cancel_fd;
    limits.timeout = std::chrono::milliseconds(c.timeout_ms);
    limits.output_bytes = policy_->limits().output_bytes;
    limits.passthrough = options_.passthrough;
    return limits;
}

// A sandbox that could not be set up, or a program missing inside it: the command never ran.
Session::Stop Session::check_sandbox_started(Call& c, Launch::Outcome& ran) {
    ProcessOutcome& out = ran.process;
    switch (ran.kind) {
        case Launch::Outcome::Kind::ran:
            return std::nullopt;
        case Launch::Outcome::Kind::sandbox_failed:
            c.result.stderr_bytes = std::move(out.stderr_bytes);
            return sandbox_denied(c, ran.message);
        case Launch::Outcome::Kind::not_found:
            record("exec_not_started", c.call.call_id,
                   {{"exit_code", kExitNotFound}, {"message", ran.message}});
            c.result.stderr_bytes = std::move(out.stderr_bytes);
            return blocked(c, Status::failed, kExitNotFound, "exec",
                           c.command[0] + ": command not found inside the sandbox");
        case Launch::Outcome::Kind::withheld:  // the WAL was synced; releasing bwrap failed
            record("exec_failed", c.call.call_id, {{"message", ran.message}});
            return blocked(c, Status::error, kExitError, "exec", ran.message);
    }
    return std::nullopt;
}

void Session::record_command_result(Call& c, ProcessOutcome& out) {
    record("exec_finished", c.call.call_id,
           {{"exit_code", out.exit_code},
            {"signal", out.term_signal},
            {"timed_out", out.timed_out},
            {"cancelled", out.cancelled},
            {"duration_ms", static_cast<long long>(out.seconds * 1000)},
            {"stdout", output_summary(out.stdout_bytes, out.stdout_truncated)},
            {"stderr", output_summary(out.stderr_bytes, out.stderr_truncated)}});
    c.result.stdout_bytes = std::move(out.stdout_bytes);
    c.result.stderr_bytes = std::move(out.stderr_bytes);
    c.result.stdout_truncated = out.stdout_truncated;
    c.result.stderr_truncated = out.stderr_truncated;
    c.result.stdout_dropped = out.stdout_dropped;
    c.result.stderr_dropped = out.stderr_dropped;
    if (out.cancelled) {
        c.result.status = Status::cancelled;
        c.result.exit_code = kExitCancelled;
        c.result.stage = "exec";
        c.result.message = "the caller cancelled the call; its process tree was killed";
    } else if (out.timed_out) {
        c.result.status = Status::timeout;
        c.result.exit_code = kExitTimeout;
        c.result.stage = "exec";
        c.result.message = "the command ran longer than " + std::to_string(c.timeout_ms) +
                           " ms and was killed with its process tree";
    } else {
        c.result.exit_code = out.exit_code;
        c.result.status = out.exit_code == 0 ? Status::ok : Status::failed;
    }
}

}  // namespace airlock::exec
