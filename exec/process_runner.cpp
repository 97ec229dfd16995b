#include "exec/process_runner.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "platform/unique_fd.hpp"
#include "platform/vfork_child.hpp"

namespace airlock::exec {

namespace {

// What the child reports through the error pipe when a setup step fails.
struct ChildFailure {
    int step;
    int err;
};

enum Step : int {
    kCgroup = 1,
    kSetsid,
    kSetns,
    kSignals,
    kStdin,
    kDup2,
    kPassFds,
    kChdir,
    kRlimit,
    kCloseRange,
    kPreExec,
    kParentDeath,
    kExecve
};

const char* step_call(int step) {
    switch (step) {
        case kSetsid:
            return "setsid";
        case kSetns:
            return "setns";
        case kSignals:
            return "sigaction";
        case kStdin:
            return "open(/dev/null)";
        case kDup2:
            return "dup2";
        case kPassFds:
            return "fcntl(F_DUPFD)";
        case kChdir:
            return "chdir";
        case kRlimit:
            return "setrlimit";
        case kCloseRange:
            return "close_range";
        case kPreExec:
            return "sandbox setup";
        case kParentDeath:
            return "prctl(PR_SET_PDEATHSIG)";
        case kExecve:
            return "execve";
    }
    return "child setup";
}

[[noreturn]] void child_fail(int error_fd, int step) {
    const ChildFailure f{step, errno};
    ssize_t ignored = ::write(error_fd, &f, sizeof f);
    (void)ignored;
    ::_exit(127);
}

// The child's parent as airlock sees pids, or -1. The init of a PID namespace of its own gets 0
// from getppid(); /proc (airlock's, from airlock's namespace) still names the parent. Only
// async-signal-safe calls.
pid_t current_parent(bool own_pid_namespace) {
    if (!own_pid_namespace) return ::getppid();
    const int fd = ::open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    char buf[512];
    const ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n <= 0) return -1;
    // "pid (comm) state ppid ...": comm may hold anything, so parse from its last ')'.
    const char* p = nullptr;
    for (ssize_t i = 0; i < n; ++i)
        if (buf[i] == ')') p = buf + i;
    if (p == nullptr || p + 4 >= buf + n || p[1] != ' ' || p[3] != ' ') return -1;
    pid_t ppid = 0;
    for (p += 4; p < buf + n && *p >= '0' && *p <= '9'; ++p)
        ppid = ppid * 10 + (*p - '0');
    return ppid;
}

// Only async-signal-safe calls from here to execve.
[[noreturn]] void child_main(const ProcessSpec& spec, char* const* argv, char* const* envp,
                             int out_fd, int err_fd, int error_fd, pid_t parent) {
    // Join the cgroup first, so everything from here on is counted and can be killed.
    if (spec.cgroup_procs_fd >= 0 && ::write(spec.cgroup_procs_fd, "0", 1) != 1)
        child_fail(error_fd, kCgroup);
    if (::setsid() < 0) child_fail(error_fd, kSetsid);
    // Before the descriptors are moved (their numbers change) and before a change of user (it
    // needs CAP_SYS_ADMIN over the namespaces).
    if (spec.join_userns_fd >= 0 && ::setns(spec.join_userns_fd, CLONE_NEWUSER) != 0)
        child_fail(error_fd, kSetns);
    if (spec.join_netns_fd >= 0 && ::setns(spec.join_netns_fd, CLONE_NEWNET) != 0)
        child_fail(error_fd, kSetns);

    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        ::sigaction(sig, &dfl, nullptr);  // EINVAL for reserved signals is fine
    }
    sigset_t none;
    sigemptyset(&none);
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) child_fail(error_fd, kSignals);

    const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) child_fail(error_fd, kStdin);

    // Move passed fds out of the way first so the dup2s below cannot clobber one of them.
    int moved[64];
    const std::size_t n_pass = spec.pass_fds.size() < 64 ? spec.pass_fds.size() : 64;
    for (std::size_t i = 0; i < n_pass; ++i) {
        moved[i] = ::fcntl(spec.pass_fds[i], F_DUPFD_CLOEXEC, 100);
        if (moved[i] < 0) child_fail(error_fd, kPassFds);
    }
    if (::dup2(null_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0)
        child_fail(error_fd, kDup2);
    for (std::size_t i = 0; i < n_pass; ++i) {
        if (::dup2(moved[i], static_cast<int>(3 + i)) < 0) child_fail(error_fd, kDup2);
    }
    if (!spec.cwd.empty() && ::chdir(spec.cwd.c_str()) != 0) child_fail(error_fd, kChdir);
    if (spec.memory_bytes != 0) {
        const struct rlimit lim { spec.memory_bytes, spec.memory_bytes };
        if (::setrlimit(RLIMIT_AS, &lim) != 0) child_fail(error_fd, kRlimit);
    }
    if (spec.max_processes != 0) {
        const struct rlimit nproc { spec.max_processes, spec.max_processes };
        if (::setrlimit(RLIMIT_NPROC, &nproc) != 0) child_fail(error_fd, kRlimit);
    }
    const struct rlimit no_core { 0, 0 };
    if (::setrlimit(RLIMIT_CORE, &no_core) != 0) child_fail(error_fd, kRlimit);
    // Everything above the passed fds is marked close-on-exec (not closed: the error pipe must
    // stay open until execve succeeds).
    if (::close_range(static_cast<unsigned>(3 + n_pass), ~0U, CLOSE_RANGE_CLOEXEC) != 0)
        child_fail(error_fd, kCloseRange);
    if (spec.pre_exec != nullptr) {
        const int err = spec.pre_exec(spec.pre_exec_context);
        if (err != 0) {
            errno = err;
            child_fail(error_fd, kPreExec);
        }
    }
    // Dies with airlock (set last: a change of user in the pre-exec hook clears it). If airlock
    // died before this, the signal was never sent and never will be: the child has a new parent
    // by now, and stops here rather than run its command unwatched.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) child_fail(error_fd, kParentDeath);
    if (current_parent(spec.own_pid_namespace) != parent) ::_exit(127);
    ::execve(spec.program.c_str(), argv, envp);
    child_fail(error_fd, kExecve);
}

// What the child needs, prepared by the parent: the child allocates nothing.
struct ChildArgs {
    const ProcessSpec* spec;
    char* const* argv;
    char* const* envp;
    int out_fd, err_fd, error_fd;
    pid_t parent;  // airlock's pid: the child's parent until airlock dies
};

int child_entry(void* p) {
    const auto* a = static_cast<const ChildArgs*>(p);
    child_main(*a->spec, a->argv, a->envp, a->out_fd, a->err_fd, a->error_fd, a->parent);
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (const auto& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

Result<std::array<UniqueFd, 2>> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error("exec", "cannot create a pipe", "pipe2");
    return std::array<UniqueFd, 2>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Appends what is readable on `fd` to `keep` (up to `cap` bytes, counting the rest in
// `dropped`); returns false at EOF.
bool drain(int fd, std::string& keep, bool& truncated, std::uint64_t& dropped, std::uint64_t cap,
           int forward_to) {
    char buf[65536];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) return errno == EINTR || errno == EAGAIN;
    if (n == 0) return false;
    const std::size_t got = static_cast<std::size_t>(n);
    const std::size_t room = keep.size() < cap ? static_cast<std::size_t>(cap - keep.size()) : 0;
    const std::size_t take = got < room ? got : room;
    keep.append(buf, take);
    if (take < got) {
        truncated = true;
        dropped += got - take;
    }
    if (forward_to >= 0 && take > 0) {
        std::size_t off = 0;
        while (off < take) {
            const ssize_t w = ::write(forward_to, buf + off, take - off);
            if (w <= 0) break;  // airlock's own stdout went away: keep capturing regardless
            off += static_cast<std::size_t>(w);
        }
    }
    return true;
}

int wait_status_to_code(int status, int& term_signal) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        term_signal = WTERMSIG(status);
        return 128 + term_signal;
    }
    return 125;
}

}  // namespace

Result<ProcessOutcome> run_process(const ProcessSpec& spec, const RunLimits& limits) {
    if (spec.program.empty() || spec.program[0] != '/')
        return make_error("exec", "program path must be absolute: \"" + spec.program + "\"");
    if (spec.argv.empty()) return make_error("exec", "empty argv");
    if (spec.pass_fds.size() > 64) return make_error("exec", "too many descriptors to pass");

    auto out = make_pipe();
    if (!out) return out.error();
    auto err = make_pipe();
    if (!err) return err.error();
    auto status = make_pipe();
    if (!status) return status.error();

    // Everything the child touches is allocated before fork.
    const std::vector<char*> argv = c_strings(spec.argv);
    const std::vector<char*> envp = c_strings(spec.envp);

    const auto started = std::chrono::steady_clock::now();
    ChildArgs args{&spec,           argv.data(),        envp.data(), (*out)[1].get(),
                   (*err)[1].get(), (*status)[1].get(), ::getpid()};
    // The child shares airlock's memory until it execs (platform/vfork_child.hpp).
    const pid_t pid = clone_vfork(child_entry, &args, spec.own_pid_namespace ? CLONE_NEWPID : 0);
    if (pid < 0) return sys_error("exec", "cannot start the child process", "clone");
    (*out)[1].reset();
    (*err)[1].reset();
    (*status)[1].reset();

    // Setup report: EOF without data means execve succeeded.
    ChildFailure failure{};
    ssize_t got;
    do {
        got = ::read((*status)[0].get(), &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof failure)) {
        int ignored;
        while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
        }
        return Error{"exec", "the child process could not be set up; the command did not run",
                     step_call(failure.step), failure.err};
    }

    ProcessOutcome outcome;
    if (spec.on_started && !spec.on_started()) {
        // The child holds its command back until released: killed there, it never ran.
        ::kill(-pid, SIGKILL);
        ::kill(pid, SIGKILL);
        if (spec.kill_descendants) spec.kill_descendants();
        int ignored;
        while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
        }
        outcome.withheld = true;
        outcome.exit_code = 128 + SIGKILL;
        outcome.term_signal = SIGKILL;
        return outcome;
    }
    const auto deadline = started + limits.timeout;
    // A pidfd lets one poll() wait for output, exit and the deadline together.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    int out_fd = (*out)[0].get();
    int err_fd = (*err)[0].get();
    bool out_open = true, err_open = true, exited = false, descendants_killed = false;
    int wait_status = 0;

    for (;;) {
        if (!exited && ::waitpid(pid, &wait_status, WNOHANG) == pid) exited = true;
        if (exited) {
            ::kill(-pid, SIGKILL);  // background jobs left in the child's session go too
            if (spec.kill_descendants && !descendants_killed) {
                spec.kill_descendants();
                descendants_killed = true;
            }
            if (!out_open && !err_open) break;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline) {
            if (exited) break;  // a descendant that left the session still holds a pipe
            if (!outcome.timed_out) {
                outcome.timed_out = true;
                ::kill(-pid, SIGKILL);
                ::kill(pid, SIGKILL);
                if (spec.kill_descendants) spec.kill_descendants();
            }
        }
        int wait_ms = -1;
        if (!outcome.timed_out) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1;
            wait_ms = static_cast<int>(std::min<long long>(left, 1000LL * 3600));
        }
        if (!pidfd.valid() && !exited) wait_ms = wait_ms < 0 ? 20 : std::min(wait_ms, 20);
        std::array<pollfd, 4> pfds{pollfd{out_open ? out_fd : -1, POLLIN, 0},
                                   pollfd{err_open ? err_fd : -1, POLLIN, 0},
                                   pollfd{exited ? -1 : pidfd.get(), POLLIN, 0},
                                   pollfd{outcome.cancelled ? -1 : limits.cancel_fd, POLLIN, 0}};
        const int r = ::poll(pfds.data(), pfds.size(), wait_ms);
        if (r < 0 && errno != EINTR) break;
        if (!outcome.cancelled && (pfds[3].revents & (POLLIN | POLLHUP | POLLERR))) {
            outcome.cancelled = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            if (spec.kill_descendants) spec.kill_descendants();
        }
        if (out_open && (pfds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            out_open = drain(out_fd, outcome.stdout_bytes, outcome.stdout_truncated,
                             outcome.stdout_dropped, limits.output_bytes,
                             limits.passthrough ? STDOUT_FILENO : -1);
        if (err_open && (pfds[1].revents & (POLLIN | POLLHUP | POLLERR)))
            err_open = drain(err_fd, outcome.stderr_bytes, outcome.stderr_truncated,
                             outcome.stderr_dropped, limits.output_bytes,
                             limits.passthrough ? STDERR_FILENO : -1);
    }
    if (!exited) {
        while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
        }
    }
    outcome.exit_code = wait_status_to_code(wait_status, outcome.term_signal);
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return outcome;
}

}  // namespace airlock::exec
