#include "exec/sandboxed_launch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <future>
#include <system_error>

#include "sandbox/bwrap.hpp"
#include "sandbox/netns.hpp"
#include "sandbox/seatbelt.hpp"

namespace airlock::exec {

namespace {

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

// bwrap's own exit does not mean its PID namespace is gone: when bwrap is killed, the
// namespace's init dies of PDEATHSIG and the kernel tears the rest down after it. Wait (bounded)
// for that init, so that nothing of the command is still running when the result is returned.
void wait_for_sandbox_init(const std::string& bwrap_status) {
    const auto at = bwrap_status.find("\"child-pid\"");
    if (at == std::string::npos) return;
    const auto digits = bwrap_status.find_first_of("0123456789", at);
    if (digits == std::string::npos) return;
    const pid_t pid = static_cast<pid_t>(std::strtol(bwrap_status.c_str() + digits, nullptr, 10));
    if (pid <= 1) return;
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd.valid()) return;  // already gone
    pollfd p{pidfd.get(), POLLIN, 0};
    while (::poll(&p, 1, 5000) < 0 && errno == EINTR) {
    }
}

// make_loopback_netns on a thread of its own. An early return meanwhile waits for it in the
// future's destructor and closes what it made.
Result<std::future<Result<sandbox::LoopbackNetns>>> netns_meanwhile(std::uint16_t port) {
    try {
        return std::async(std::launch::async, sandbox::make_loopback_netns, port);
    } catch (const std::system_error& e) {
        return make_error(
            "sandbox",
            std::string("cannot start a thread to make the network namespace: ") + e.what());
    }
}

}  // namespace

Result<std::unique_ptr<Launch>> Launch::prepare(const LaunchRequest& request) {
    const sandbox::Profile& profile = *request.profile;
    std::unique_ptr<Launch> launch(new Launch());
    ProcessSpec& spec = launch->spec_;
    for (const auto& [k, v] : profile.env)
        spec.envp.push_back(k + "=" + v);
    spec.memory_bytes = request.memory_bytes;
    spec.max_processes = request.max_processes;
    if (request.cgroup) {
        spec.cgroup_procs_fd = request.cgroup->procs_fd();
        sandbox::CgroupLeaf* cgroup = request.cgroup;
        spec.kill_descendants = [cgroup] { cgroup->kill_all(); };
    }

    switch (profile.adapter) {
        case sandbox::Adapter::bwrap: {
            // bwrap starts inside the call's own network namespace, whose listening socket is
            // the proxy's (take_proxy_listener). It is made on a thread of its own while this
            // one prepares the rest (as root, the identity's namespace and mounts): both are
            // kernel work of about a millisecond, and the machine has another core.
            std::future<Result<sandbox::LoopbackNetns>> netns;
            if (profile.network_proxy) {
                auto started = netns_meanwhile(static_cast<std::uint16_t>(profile.proxy_port));
                if (!started) return started.error();
                netns = std::move(started).value();
            }
            int fds[2];
            if (::pipe2(fds, O_CLOEXEC) != 0)
                return sys_error("sandbox", "cannot create the bwrap status pipe", "pipe2");
            launch->status_read_.reset(fds[0]);
            launch->status_write_.reset(fds[1]);
            // Filled while bwrap sets the sandbox up (run): bwrap reads it after --block-fd.
            auto filter = sandbox::bwrap_seccomp_memfd();
            if (!filter) return filter.error();
            launch->seccomp_fd_ = std::move(filter).value();
            launch->profile_ = &profile;
            auto data = sandbox::bwrap_data_fds(profile);
            if (!data) return data.error();
            launch->data_fds_ = std::move(data).value();
            launch->bwrap_ = true;
            spec.program = sandbox::find_bwrap()->string();
            // Passed in the order of bwrap_child_fds: the child sees them from fd 3 on.
            const sandbox::BwrapFds child_fds = sandbox::bwrap_child_fds(profile);
            spec.pass_fds = {launch->status_write_.get(), launch->seccomp_fd_.get()};
            for (const auto& fd : launch->data_fds_)
                spec.pass_fds.push_back(fd.get());
            auto gate = make_hold_gate();
            if (!gate) return gate.error();
            launch->hold_ = std::move(gate).value();
            spec.pass_fds.push_back(launch->hold_->child_end.get());
            spec.argv = sandbox::bwrap_argv(profile, request.command, child_fds);
            // As root, bwrap becomes the init of a PID namespace of airlock's: when it dies (with
            // airlock, say, before it could pass --die-with-parent on to the sandbox's own init),
            // the kernel kills the whole sandbox.
            launch->own_pid_namespace_ = spec.own_pid_namespace = ::geteuid() == 0;
            if (profile.identity) {
                // As root: bwrap itself starts as the sandbox user, with the writable roots
                // idmapped for it (sandbox/host_identity.hpp).
                auto identity = sandbox::prepare_identity_launch(*profile.identity);
                if (!identity) return identity.error();
                launch->identity_.emplace(std::move(identity).value());
                for (const auto& tree : launch->identity_->trees) {
                    launch->identity_->tree_child_fds.push_back(
                        3 + static_cast<int>(spec.pass_fds.size()));
                    spec.pass_fds.push_back(tree.get());
                }
                spec.pre_exec = sandbox::apply_identity_launch;
                spec.pre_exec_context = &*launch->identity_;
            }
            if (netns.valid()) {
                auto made = netns.get();
                if (!made) return made.error();
                launch->proxy_listener_ = std::move(made->listener);
                launch->netns_user_ = std::move(made->user);
                launch->netns_net_ = std::move(made->net);
                spec.join_userns_fd = launch->netns_user_.valid() ? launch->netns_user_.get() : -1;
                spec.join_netns_fd = launch->netns_net_.get();
            }
            break;
        }
        case sandbox::Adapter::seatbelt: {
            // sandbox-exec with the generated profile; every path is a -D parameter.
            auto invocation = sandbox::seatbelt_invocation(profile, request.command);
            if (!invocation) return invocation.error();
            spec.program = std::string(sandbox::kSandboxExecPath);
            spec.argv = std::move(invocation->argv);
            spec.cwd = profile.cwd.string();
            launch->seatbelt_ = true;
            break;
        }
        case sandbox::Adapter::seccomp: {
            auto prepared = sandbox::prepare_seccomp_launch(profile);
            if (!prepared) return prepared.error();
            launch->seccomp_.emplace(std::move(prepared).value());
            spec.pre_exec = sandbox::apply_seccomp_launch;
            spec.pre_exec_context = &*launch->seccomp_;
            [[fallthrough]];
        }
        case sandbox::Adapter::none:
            spec.program = request.resolved_program.string();
            spec.argv = request.command;
            spec.cwd = profile.cwd.string();
            break;
    }
    return launch;
}

Result<Launch::Outcome> Launch::run(const RunLimits& limits,
                                    const std::function<bool()>& before_command) {
    Outcome outcome;
    if (!hold_) {
        if (before_command && !before_command()) {
            outcome.kind = Outcome::Kind::withheld;
            return outcome;
        }
    } else {
        // bwrap sets the sandbox up meanwhile; one byte on --block-fd lets the command run.
        spec_.on_started = [&] {
            if (auto written = sandbox::write_bwrap_seccomp(*profile_, seccomp_fd_.get());
                !written) {
                filter_error_ = written.error().describe();
                return false;
            }
            if (before_command && !before_command()) return false;
            return release(*hold_);
        };
    }
    auto ran = run_process(spec_, limits);
    spec_.on_started = nullptr;
    status_write_.reset();  // only the child's copy may keep the pipe open
    hold_.reset();          // the child is gone or released
    if (!ran) return ran.error();
    outcome.process = std::move(ran).value();
    if (outcome.process.withheld && !filter_error_.empty()) {
        outcome.kind = Outcome::Kind::sandbox_failed;
        outcome.message = filter_error_;
        return outcome;
    }
    if (outcome.process.withheld) {
        // before_command said no, or the byte could not be written (then it said yes).
        outcome.kind = Outcome::Kind::withheld;
        outcome.message = "cannot release the sandboxed command (write to bwrap's --block-fd)";
        return outcome;
    }
    if (seatbelt_) {
        // sandbox-exec that cannot compile or apply the profile says so and runs nothing.
        const ProcessOutcome& out = outcome.process;
        if (out.exit_code != 0 && out.stderr_bytes.rfind("sandbox-exec: ", 0) == 0) {
            outcome.kind = Outcome::Kind::sandbox_failed;
            outcome.message = "sandbox-exec could not set up the sandbox: " + out.stderr_bytes;
        }
        return outcome;
    }
    if (!bwrap_) return outcome;

    ProcessOutcome& out = outcome.process;
    const std::string status = read_all(status_read_.get());
    // With a PID namespace of its own, bwrap's exit already means the whole sandbox is gone (and
    // the child-pid it reports is numbered inside that namespace).
    if (!own_pid_namespace_) wait_for_sandbox_init(status);
    // bwrap reports the sandboxed child's pid once the sandbox is fully set up; without it, the
    // sandbox failed and the command never ran.
    if (status.find("\"child-pid\"") == std::string::npos && !out.timed_out && !out.cancelled) {
        std::string why = out.stderr_bytes;
        while (!why.empty() && (why.back() == '\n' || why.back() == '\r'))
            why.pop_back();
        outcome.kind = Outcome::Kind::sandbox_failed;
        outcome.message =
            "bwrap could not set up the sandbox: " + (why.empty() ? "no reason given" : why);
    } else if (out.exit_code == 1 && out.stderr_bytes.rfind("bwrap: execvp ", 0) == 0) {
        // The program vanished between lookup and exec (or is hidden inside the sandbox).
        outcome.kind = Outcome::Kind::not_found;
        outcome.message = out.stderr_bytes;
    }
    return outcome;
}

}  // namespace airlock::exec
