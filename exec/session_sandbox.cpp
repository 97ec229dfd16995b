// The pipeline's sandbox stage: what a shell_exec call will run, in which sandbox, under which
// limits. Each step either lets the call continue or stops it with a result.
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "exec/command_lookup.hpp"
#include "exec/session.hpp"
#include "exec/session_call.hpp"
#include "platform/workspace_path.hpp"
#include "sandbox/home.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;
using nlohmann::json;
using session_detail::child_environment;
using session_detail::kDefaultPath;

Session::Stop Session::prepare_sandbox(Call& c) {
    if (c.call.tool != Tool::shell_exec) return std::nullopt;  // file tools run in airlock itself
    if (auto stop = find_command(c)) return stop;
    describe_sandbox_request(c);
    if (auto stop = choose_adapter(c)) return stop;
    if (auto stop = check_layers_trusted(c)) return stop;
    if (auto stop = prepare_home(c)) return stop;
    if (auto stop = build_profile(c)) return stop;
    if (auto stop = lease_placeholders(c)) return stop;
    set_timeout(c);
    if (auto stop = limit_processes(c)) return stop;
    record_sandbox_prepared(c);
    return std::nullopt;
}

Session::Stop Session::sandbox_denied(Call& c, const std::string& message) {
    record("sandbox_denied", c.call.call_id, {{"message", message}});
    return blocked(c, Status::sandbox_denied, kExitBlocked, "sandbox", message);
}

// 127 before any sandbox exists: the program must be there to be run.
Session::Stop Session::find_command(Call& c) {
    if (c.env.empty()) c.env = child_environment(policy_->env());
    c.command = effective_argv(c.call);
    std::string search_path = kDefaultPath;
    for (const auto& [k, v] : c.env)
        if (k == "PATH") search_path = v;
    const Lookup found = find_program(c.command[0], search_path, c.cwd);
    if (found.path) {
        c.resolved_program = *found.path;
        return std::nullopt;
    }
    CallResult r = blocked(
        c, Status::failed, found.exists_but_not_executable ? kExitBlocked : kExitNotFound, "exec",
        c.command[0] +
            (found.exists_but_not_executable ? ": permission denied" : ": command not found"));
    record("exec_not_started", c.call.call_id,
           {{"exit_code", r.exit_code}, {"message", r.message}});
    return r;
}

// What the policy and this call ask of the sandbox, as plain data.
void Session::describe_sandbox_request(Call& c) {
    const policy::SandboxSettings& settings = policy_->sandbox();
    sandbox::SandboxRequest& request = c.sandbox_request;
    request.adapter = options_.sandbox.empty() ? settings.adapter : options_.sandbox;
    request.required = settings.required;
    request.network = settings.network;
    request.network_proxy = settings.network_policy.mode == policy::NetworkPolicy::Mode::proxy;
    request.workspace = workspace_;
    request.cwd = c.cwd;
    request.writable_roots = settings.writable_roots;
    request.deny_read = settings.deny_read;
    request.protected_paths = settings.protected_paths;
    request.unprotect = options_.unprotect;
    if (const char* home = std::getenv("HOME")) request.home = home;
    request.env = c.env;
    // Identity, home, sockets and toolchains (docs/SANDBOX.md).
    if (request.home.empty() || !request.home.is_absolute()) {
        if (const passwd* pw = ::getpwuid(::geteuid())) request.home = pw->pw_dir;
    }
    if (request.home.is_absolute()) {
        const char* state = std::getenv("XDG_STATE_HOME");
        request.home_dir =
            sandbox::workspace_home_dir(workspace_, request.home, state ? state : "");
    }
    request.local_sockets = settings.local_sockets != "off";
    request.local_unix_sockets = settings.local_sockets == "unix";
    request.toolchains = settings.toolchains;
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR")) request.runtime_dir = runtime;
}

// The sandbox's persistent home, per workspace, made before its first use (not for a plan).
Session::Stop Session::prepare_home(Call& c) {
    const bool has_home =
        c.adapter == sandbox::Adapter::bwrap || c.adapter == sandbox::Adapter::seccomp;
    if (!has_home) c.sandbox_request.home_dir.clear();
    if (!has_home || options_.dry_run || c.sandbox_request.home_dir.empty()) return std::nullopt;
    // A HOME this user cannot write (sudo -u without -H keeps root's): the command runs
    // without a persistent home, as when the home cannot be shown, and `effective` says why.
    if (auto made = sandbox::ensure_workspace_home(c.sandbox_request.home_dir); !made) {
        c.sandbox_request.home_dir.clear();
        c.sandbox_request.home_unavailable = made.error().describe();
    }
    return std::nullopt;
}

Session::Stop Session::choose_adapter(Call& c) {
    const auto adapter = sandbox::choose_adapter(c.sandbox_request);
    // Shown even when the call is refused: which adapter was asked for, chosen, and why.
    c.adapter_choice = sandbox::to_json(c.sandbox_request.adapter, adapter);
    c.result.sandbox["effective"] = {{"adapter_choice", c.adapter_choice}};
    if (!adapter) return sandbox_denied(c, adapter.error().describe());
    c.adapter = adapter->chosen;
    return std::nullopt;
}

// Landlock cannot keep .airlock/ (or anything else in the workspace) read-only: a command run
// earlier under the seccomp adapter could have written a policy layer there, so such a layer is
// not trusted to configure this adapter's runs.
Session::Stop Session::check_layers_trusted(Call& c) {
    if (c.adapter != sandbox::Adapter::seccomp) return std::nullopt;
    for (const auto& name : policy_->layer_names()) {
        if (name == "builtin") continue;
        std::error_code ec;
        const fs::path file = fs::weakly_canonical(fs::absolute(name, ec), ec);
        if (ec || !is_within(file, workspace_)) continue;
        return sandbox_denied(
            c, "the seccomp adapter cannot keep the workspace read-only, so policy layer " +
                   file.string() +
                   " may have been written by a sandboxed command; pass a policy from outside the "
                   "workspace (--policy), or use bwrap");
    }
    return std::nullopt;
}

Session::Stop Session::build_profile(Call& c) {
    auto profile = sandbox::build_profile(c.sandbox_request, c.adapter);
    if (!profile) return sandbox_denied(c, profile.error().describe());
    c.profile = std::move(profile).value();
    return std::nullopt;
}

// Missing protected paths are blocked by placeholders; the lease keeps them while the call runs.
Session::Stop Session::lease_placeholders(Call& c) {
    if (options_.dry_run) return std::nullopt;
    auto lease = sandbox::PlaceholderLease::acquire(sandbox::placeholder_lock_dir(workspace_),
                                                    c.profile->blocked);
    if (!lease) return sandbox_denied(c, lease.error().describe());
    c.placeholders.emplace(std::move(lease).value());
    return std::nullopt;
}

// The shortest of the policy's limit, the command line's and the call's own.
void Session::set_timeout(Call& c) {
    c.timeout_ms = static_cast<long long>(policy_->limits().timeout_seconds) * 1000;
    if (options_.timeout_seconds)
        c.timeout_ms = std::min<long long>(c.timeout_ms, *options_.timeout_seconds * 1000LL);
    if (c.call.timeout_ms) c.timeout_ms = std::min(c.timeout_ms, *c.call.timeout_ms);
}

// A pids cgroup where the host has one, else RLIMIT_NPROC where it binds (not for root).
Session::Stop Session::limit_processes(Call& c) {
    const policy::Limits& limits = policy_->limits();
    c.processes = {{"max", limits.max_processes}};
    std::string no_cgroup;
    if (options_.dry_run) {
        c.processes["enforced_by"] = sandbox::pids_cgroup_parent(&no_cgroup) ? "cgroup" : "none";
    } else if (auto parent = sandbox::pids_cgroup_parent(&no_cgroup)) {
        auto leaf = sandbox::CgroupLeaf::create(*parent, run_id_ + "-" + c.call.call_id,
                                                static_cast<std::uint64_t>(limits.max_processes));
        if (!leaf) return sandbox_denied(c, leaf.error().describe());
        c.cgroup.emplace(std::move(leaf).value());
        c.processes["enforced_by"] = "cgroup";
    } else if (::geteuid() != 0) {
        // RLIMIT_NPROC counts all of the user's processes and does not bind root.
        c.nproc_rlimit = true;
        c.processes["enforced_by"] = "rlimit";
    } else {
        c.processes["enforced_by"] = "none";
        c.processes["why"] = no_cgroup;
    }
    return std::nullopt;
}

// What is enforced goes into the result and the WAL before anything runs.
void Session::record_sandbox_prepared(Call& c) {
    const policy::Limits& limits = policy_->limits();
    json effective = sandbox::effective(*c.profile);
    effective["adapter_choice"] = c.adapter_choice;
    if (c.profile->network_proxy)
        effective["network_policy"] = policy::to_json(policy_->sandbox().network_policy);
    effective["limits"] = {{"timeout_ms", c.timeout_ms},
                           {"output_bytes_per_stream", limits.output_bytes},
                           {"memory_bytes", limits.memory_bytes},
                           {"processes", c.processes}};
    c.result.sandbox = {{"active", c.profile->adapter != sandbox::Adapter::none},
                        {"adapter", sandbox::adapter_name(c.profile->adapter)},
                        {"effective", effective}};
    record("sandbox_prepared", c.call.call_id, c.result.sandbox);
}

}  // namespace airlock::exec
