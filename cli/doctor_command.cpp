// airlock doctor: which sandbox adapters work on this host, why not, and how to fix it.
#include <unistd.h>

#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "exec/process_runner.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/idmap.hpp"
#include "sandbox/landlock.hpp"
#include "sandbox/netns.hpp"
#include "sandbox/profile.hpp"
#include "sandbox/seatbelt.hpp"
#include "sandbox/seccomp_filter.hpp"
#include "sandbox/userns_probe.hpp"

namespace airlock::cli {

namespace {

struct Check {
    std::string name;
    bool ok = false;
    std::string detail;  // what was found
    std::string fix;     // one line, when not ok
};

// Runs a real, minimal bwrap sandbox: the only reliable answer to "does bwrap work here".
Check check_bwrap() {
    Check c{"bwrap", false, {}, {}};
    if (auto reason = sandbox::bwrap_unavailable_reason()) {
        c.detail = *reason;
        c.fix = reason->find("fix: ") != std::string::npos
                    ? reason->substr(reason->find("fix: ") + 5)
                : sandbox::find_bwrap()
                    ? "let this user create user namespaces, or use --sandbox seccomp"
                    : "install bubblewrap";
        if (!c.fix.empty() && c.fix.back() == ')') c.fix.pop_back();
        return c;
    }
    exec::ProcessSpec spec;
    spec.program = sandbox::find_bwrap()->string();
    spec.argv = {"bwrap",
                 "--new-session",
                 "--die-with-parent",
                 "--unshare-all",
                 "--cap-drop",
                 "ALL",
                 "--ro-bind",
                 "/",
                 "/",
                 "--dev",
                 "/dev",
                 "--proc",
                 "/proc",
                 "--",
                 "/bin/true"};
    spec.envp = {"PATH=/usr/bin:/bin"};
    // As root, the sandbox runs as an unprivileged user with the workspace idmapped for it
    // (SANDBOX.md): the test sandbox does the same with the current directory.
    std::optional<sandbox::IdentityLaunch> identity;
    std::string as_root;
    if (::geteuid() == 0) {
        std::error_code ec;
        const std::filesystem::path here = std::filesystem::current_path(ec);
        auto plan = sandbox::plan_host_identity({here});
        auto prepared = plan ? sandbox::prepare_identity_launch(*plan)
                             : Result<sandbox::IdentityLaunch>(plan.error());
        if (!prepared) {
            c.detail = "as root, the sandbox runs as uid " +
                       std::to_string(sandbox::kSandboxHostUid) +
                       " and cannot here: " + prepared.error().describe();
            c.fix =
                "run airlock as the workspace's owner, or keep the workspace on a filesystem "
                "with idmapped mounts (ext4, xfs, btrfs, tmpfs)";
            return c;
        }
        identity.emplace(std::move(prepared).value());
        for (const auto& tree : identity->trees) {
            identity->tree_child_fds.push_back(3 + static_cast<int>(spec.pass_fds.size()));
            spec.pass_fds.push_back(tree.get());
        }
        spec.pre_exec = sandbox::apply_identity_launch;
        spec.pre_exec_context = &*identity;
        spec.own_pid_namespace = true;
        spec.argv.insert(spec.argv.end() - 2, {"--bind", here.string(), here.string()});
        as_root = "; as root: runs as uid " + std::to_string(sandbox::kSandboxHostUid) + " with " +
                  here.string() + " idmapped";
    }
    exec::RunLimits limits;
    limits.timeout = std::chrono::seconds(10);
    auto r = exec::run_process(spec, limits);
    if (!r) {
        c.detail = r.error().describe();
        c.fix = "check that " + spec.program + " is executable";
    } else if (r->exit_code != 0) {
        c.detail = "a test sandbox failed: " + r->stderr_bytes;
        while (!c.detail.empty() && c.detail.back() == '\n')
            c.detail.pop_back();
        c.fix =
            "enable user namespaces (sysctl user.max_user_namespaces, AppArmor userns "
            "restrictions) or use --sandbox seccomp";
    } else {
        c.ok = true;
        c.detail = spec.program + ": user, pid, net, ipc, uts namespaces work" + as_root;
    }
    return c;
}

Check check_seccomp() {
    Check c{"seccomp", false, {}, {}};
    auto bpf = sandbox::compile_seccomp({});
    const auto landlock = sandbox::probe_landlock();
    if (!bpf) {
        c.detail = "cannot compile the filter: " + bpf.error().describe();
        c.fix = "install libseccomp2";
    } else if (landlock.abi <= 0) {
        c.detail = "seccomp filter ok; no Landlock: " + landlock.reason;
        c.fix = "boot a kernel with Landlock (5.13+, lsm=...,landlock)";
    } else {
        c.ok = true;
        c.detail = "filter " + std::to_string(bpf->size() / 8) +
                   " BPF instructions; Landlock ABI " + std::to_string(landlock.abi) +
                   " (no namespaces: deny_read and protected paths "
                   "need bwrap)";
    }
    return c;
}

// Which ways of confining the network to airlock's proxy (a policy's "network": {...}) work.
Check check_proxy_under_bwrap(const Check& bwrap) {
    Check c{"network proxy under bwrap", false, {}, {}};
    if (!bwrap.ok) {
        c.detail = "bwrap does not work here";
        c.fix = "see the bwrap check above";
        return c;
    }
    // What a call with a network allow list does first: its own network namespace, loopback
    // up, the proxy's socket listening in it.
    auto netns = sandbox::make_loopback_netns(0);
    if (!netns) {
        c.detail = netns.error().describe();
        c.fix = ::geteuid() == 0 ? "allow network namespaces on this host"
                                 : "allow unprivileged user and network namespaces on this host";
        return c;
    }
    c.ok = true;
    c.detail =
        "the command gets a network namespace of its own with only loopback, where the proxy "
        "listens";
    return c;
}

Check check_proxy_under_seccomp(const Check& seccomp) {
    Check c{"network proxy under seccomp", false, {}, {}};
    const auto landlock = sandbox::probe_landlock();
    if (!seccomp.ok) {
        c.detail = "the seccomp adapter does not work here";
        c.fix = "see the seccomp check above";
        return c;
    }
    if (landlock.abi < sandbox::kLandlockTcpAbi) {
        c.detail = "Landlock ABI " + std::to_string(landlock.abi) + " has no TCP rules (ABI " +
                   std::to_string(sandbox::kLandlockTcpAbi) +
                   "): a policy with a network allow list is refused (sandbox_denied)";
        c.fix = "boot Linux 6.7 or later, or use bwrap";
        return c;
    }
    // The kernel must take a TCP port rule, not only report the ABI.
    sandbox::LandlockSpec spec;
    spec.restrict_tcp = true;
    spec.connect_tcp_ports = {1};
    if (auto ruleset = sandbox::build_landlock_ruleset(spec); !ruleset) {
        c.detail = "a Landlock TCP rule cannot be made: " + ruleset.error().describe();
        c.fix = "use bwrap";
        return c;
    }
    // The filter that puts connect(2) to airlock (a seccomp user notification).
    sandbox::SeccompOptions tcp_only;
    tcp_only.tcp_only = true;
    tcp_only.allow_unix_sockets = false;
    if (auto bpf = sandbox::compile_seccomp(tcp_only); !bpf) {
        c.detail = "the filter for the proxy cannot be made: " + bpf.error().describe();
        c.fix = "use bwrap";
        return c;
    }
    c.ok = true;
    c.detail = "Landlock ABI " + std::to_string(landlock.abi) +
               ": the proxy listens on the host's 127.0.0.1; the command may open plain TCP "
               "connections to it only (Landlock by port, airlock by address; other local "
               "processes can reach the proxy too)";
    return c;
}

Check check_seatbelt() {
    const std::string path(sandbox::kSandboxExecPath);
    if (::access(path.c_str(), X_OK) == 0) return {"seatbelt", true, path + " found", {}};
    return {"seatbelt", false, "macOS only (" + path + " not found)", "run airlock on macOS"};
}

Check check_cgroup() {
    std::string why;
    Check c{"pids cgroup", false, {}, {}};
    if (auto parent = sandbox::pids_cgroup_parent(&why)) {
        c.ok = true;
        c.detail = parent->string() + " (process limit, and every descendant is killed)";
    } else {
        c.detail = why + "; the process limit falls back to RLIMIT_NPROC" +
                   (::geteuid() == 0 ? " (which does not bind root)" : "");
        c.fix =
            "delegate the pids controller to airlock's cgroup, or run with a writable "
            "pids hierarchy";
    }
    return c;
}

}  // namespace

void add_doctor_command(CLI::App& app, int& exit_status) {
    auto json = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "doctor", "Check which sandbox adapters work on this host, and how to fix what does not");
    cmd->add_flag("--json", *json, "Print the checks as one JSON object");
    cmd->callback([&exit_status, json] {
        std::vector<Check> checks{check_bwrap(), check_seccomp(), check_seatbelt(), check_cgroup()};
        checks.push_back(check_proxy_under_bwrap(checks[0]));
        checks.push_back(check_proxy_under_seccomp(checks[1]));
        const bool proxy_bwrap = checks[4].ok, proxy_seccomp = checks[5].ok;
        sandbox::SandboxRequest auto_request;
        const auto resolved = sandbox::choose_adapter(auto_request);
        const nlohmann::json choice = sandbox::to_json(auto_request.adapter, resolved);
        const std::string resolves =
            resolved
                ? std::string(sandbox::adapter_name(resolved->chosen)) + " (" + resolved->why + ")"
                : "nothing (" + resolved.error().message + ")";
        const bool restricted = checks[0].ok || checks[1].ok;
        if (*json) {
            nlohmann::json out = {
                {"auto", choice["chosen"]},
                {"adapter_choice", choice},
                {"user_namespaces", sandbox::to_json(sandbox::user_namespaces_for_sandbox())},
                {"ok", restricted},
                {"network_proxy", {{"bwrap", proxy_bwrap}, {"seccomp", proxy_seccomp}}},
                {"checks", nlohmann::json::array()}};
            for (const auto& c : checks)
                out["checks"].push_back(
                    {{"name", c.name}, {"ok", c.ok}, {"detail", c.detail}, {"fix", c.fix}});
            std::cout << out.dump(2) << "\n";
        } else {
            const bool colour = ::isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");
            for (const auto& c : checks) {
                const char* mark = c.ok ? (colour ? "\033[32m✔\033[0m" : "ok ")
                                        : (colour ? "\033[31m✘\033[0m" : "no ");
                std::cout << mark << " " << c.name << ": " << c.detail << "\n";
                if (!c.ok && !c.fix.empty()) std::cout << "    fix: " << c.fix << "\n";
            }
            std::cout << "auto resolves to: " << resolves << "\n";
        }
        exit_status = restricted ? 0 : 1;
    });
}

}  // namespace airlock::cli
