#include "tests/load/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace airlock::load {

namespace {

sigset_t blocked_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGPIPE);
    return set;
}

UniqueFd& sigchld_fd() {
    static UniqueFd fd;
    return fd;
}

Exit decode(int wstatus) {
    if (WIFSIGNALED(wstatus)) return {128 + WTERMSIG(wstatus), true};
    return {WEXITSTATUS(wstatus), false};
}

// Waits for a SIGCHLD until `deadline`; false when the deadline passed.
bool wait_sigchld(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{sigchld_fd().get(), POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left.count()) + 1);
    if (n > 0) {
        signalfd_siginfo info{};
        while (::read(sigchld_fd().get(), &info, sizeof info) == sizeof info) {
        }
    }
    return true;
}

std::vector<ProcessInfo> our_children() {
    std::vector<ProcessInfo> out;
    for (const auto& p : list_processes())
        if (p.ppid == ::getpid()) out.push_back(p);
    return out;
}

}  // namespace

Result<void> prepare_supervisor() {
    const sigset_t set = blocked_signals();
    if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
        return sys_error("load", "cannot block SIGCHLD", "sigprocmask");
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigchld_fd().reset(::signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!sigchld_fd().valid()) return sys_error("load", "cannot watch SIGCHLD", "signalfd");
    if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        return sys_error("load", "cannot become a child subreaper", "prctl");
    return {};
}

Result<Child> spawn(const SpawnOptions& options) {
    if (options.argv.empty()) return make_error("load", "no command to start");
    int in_pipe[2] = {-1, -1};
    int out_pipe[2] = {-1, -1};
    if (options.pipe_stdio &&
        (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0))
        return sys_error("load", "cannot create the stdio pipes", "pipe2");
    UniqueFd child_in(in_pipe[0]), parent_in(in_pipe[1]);
    UniqueFd parent_out(out_pipe[0]), child_out(out_pipe[1]);

    // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
    std::vector<char*> argv;
    for (const auto& a : options.argv)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    UniqueFd out_file, err_file;
    if (!options.stdout_path.empty()) {
        out_file.reset(
            ::open(options.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!out_file.valid())
            return sys_error("load", "cannot open " + options.stdout_path, "open");
    }
    if (!options.stderr_path.empty()) {
        err_file.reset(
            ::open(options.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!err_file.valid())
            return sys_error("load", "cannot open " + options.stderr_path, "open");
    }
    sigset_t empty;
    sigemptyset(&empty);

    const pid_t pid = ::fork();
    if (pid < 0) return sys_error("load", "cannot start " + options.argv[0], "fork");
    if (pid == 0) {
        ::sigprocmask(SIG_SETMASK, &empty, nullptr);
        if (options.pipe_stdio) {
            ::dup2(child_in.get(), 0);
            ::dup2(child_out.get(), 1);
        } else if (out_file.valid()) {
            ::dup2(out_file.get(), 1);
        }
        if (err_file.valid()) ::dup2(err_file.get(), 2);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    Child child;
    child.pid = pid;
    if (options.pipe_stdio) {
        if (::fcntl(parent_in.get(), F_SETFL, O_NONBLOCK) != 0 ||
            ::fcntl(parent_out.get(), F_SETFL, O_NONBLOCK) != 0)
            return sys_error("load", "cannot make the stdio pipes non-blocking", "fcntl");
        child.to_stdin = std::move(parent_in);
        child.from_stdout = std::move(parent_out);
    }
    return child;
}

std::optional<Exit> wait_for(pid_t pid, std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        int wstatus = 0;
        const pid_t r = ::waitpid(pid, &wstatus, WNOHANG);
        if (r == pid) return decode(wstatus);
        if (r < 0 && errno != EINTR) return Exit{255, false};  // not our child: nothing to wait for
        if (!wait_sigchld(deadline)) return std::nullopt;
    }
}

std::size_t reap_exited_orphans(pid_t keep) {
    std::size_t reaped = 0;
    for (;;) {
        siginfo_t info{};
        if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0 ||
            info.si_pid == keep)
            return reaped;
        int wstatus = 0;
        if (::waitpid(info.si_pid, &wstatus, 0) == info.si_pid) ++reaped;
    }
}

Orphans reap_orphans(std::chrono::milliseconds grace) {
    Orphans result;
    const auto deadline = std::chrono::steady_clock::now() + grace;
    // Known before they are reaped, so that what exited can be named.
    std::vector<ProcessInfo> seen = our_children();
    auto name_of = [&](pid_t pid) {
        for (const auto& p : seen)
            if (p.pid == pid) return p;
        return ProcessInfo{pid, ::getpid(), 'Z', "?", {}};
    };
    for (;;) {
        int wstatus = 0;
        const pid_t r = ::waitpid(-1, &wstatus, WNOHANG);
        if (r > 0) {
            result.exited.push_back(name_of(r));
            continue;
        }
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return result;  // ECHILD: nothing left
        for (const auto& p : our_children())
            seen.push_back(p);
        if (!wait_sigchld(deadline)) break;
    }
    result.leftovers = our_children();
    for (auto& p : result.leftovers)
        p.detail = detail_of(p.pid);
    for (const auto& p : result.leftovers)
        ::kill(p.pid, SIGKILL);
    for (const auto& p : result.leftovers) {
        int wstatus = 0;
        while (::waitpid(p.pid, &wstatus, 0) < 0 && errno == EINTR) {
        }
    }
    return result;
}

}  // namespace airlock::load
