#include "approvals/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/close_range.h>
#endif

#include <array>
#include <cerrno>
#include <vector>

#include "platform/unique_fd.hpp"

extern char** environ;

namespace airlock::approvals {

namespace {

constexpr const char* kStage = "approvals";

Result<std::array<UniqueFd, 2>> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error(kStage, "cannot create a pipe", "pipe2");
    return std::array<UniqueFd, 2>{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Blocks SIGPIPE in the calling thread for the lifetime of the object, so that writing to a
// child that closed its stdin yields EPIPE instead of killing airlock; a SIGPIPE raised
// meanwhile is consumed before the mask is restored.
class SigpipeBlocked {
  public:
    SigpipeBlocked() {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_only, &old_);
    }
    ~SigpipeBlocked() {
        if (!was_pending_) {
            sigset_t pipe_only;
            sigemptyset(&pipe_only);
            sigaddset(&pipe_only, SIGPIPE);
            const timespec zero{0, 0};
            while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

  private:
    sigset_t old_{};
    bool was_pending_ = false;
};

// Only async-signal-safe calls between fork and exec: airlock may be multi-threaded.
[[noreturn]] void exec_child(const char* program, int stdin_fd, int stdout_fd, int error_fd,
                             int max_fd, pid_t parent) {
    ::setpgid(0, 0);
#ifdef __linux__
    // Dies with airlock: nobody would read its answer. If airlock died before this, the signal
    // was never sent: the child has a new parent by now, and stops here.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || ::getppid() != parent) {
        const int err = errno != 0 ? errno : ESRCH;
        (void)!::write(error_fd, &err, sizeof err);
        ::_exit(127);
    }
#else
    (void)parent;
#endif
    if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0) {
        const int err = errno;
        (void)!::write(error_fd, &err, sizeof err);
        ::_exit(127);
    }
    // Every descriptor above stderr closes at exec, including error_fd (which reports an exec
    // failure until then) and whatever another thread opened without O_CLOEXEC.
    bool marked = false;
#ifdef __linux__
    marked = ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0;
#endif
    if (!marked) {
        for (int fd = 3; fd < max_fd; ++fd)
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::pthread_sigmask(SIG_SETMASK, &none, nullptr);
    char* const argv[] = {const_cast<char*>(program), nullptr};
    ::execve(program, argv, environ);
    const int err = errno;
    (void)!::write(error_fd, &err, sizeof err);
    ::_exit(127);
}

// Readable once the child exits; -1 where unsupported (then stdout's EOF has to do).
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

void set_nonblocking(int fd) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Reaps the child on every path; kills its process group first unless it already exited.
class ChildGuard {
  public:
    explicit ChildGuard(pid_t pid) : pid_(pid) {}
    ~ChildGuard() {
        if (pid_ > 0) {
            kill_group();
            reap();
        }
    }
    ChildGuard(const ChildGuard&) = delete;
    ChildGuard& operator=(const ChildGuard&) = delete;

    void kill_group() {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);  // in case setpgid did not happen yet
    }
    int reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return status;
    }

  private:
    pid_t pid_;
};

}  // namespace

Result<ChildRun> run_child(const std::string& program, const std::string& input,
                           std::chrono::milliseconds timeout, std::size_t max_output) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto in = make_pipe();
    if (!in) return in.error();
    auto out = make_pipe();
    if (!out) return out.error();
    auto exec_error = make_pipe();
    if (!exec_error) return exec_error.error();

    rlimit nofile{};
    int max_fd = 1024;
    if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
        max_fd = static_cast<int>(std::min<rlim_t>(nofile.rlim_cur, 1 << 20));

    SigpipeBlocked sigpipe_blocked;
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) return sys_error(kStage, "cannot start approval program " + program, "fork");
    if (pid == 0) {
        exec_child(program.c_str(), (*in)[0].get(), (*out)[1].get(), (*exec_error)[1].get(), max_fd,
                   parent);
    }
    ChildGuard child(pid);
    (*in)[0].reset();
    (*out)[1].reset();
    (*exec_error)[1].reset();

    int exec_errno = 0;
    ssize_t got = 0;
    do {
        got = ::read((*exec_error)[0].get(), &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        return sys_error(kStage, "cannot run approval program " + program, "execve", exec_errno);
    }

    UniqueFd to_child = std::move((*in)[1]);
    UniqueFd from_child = std::move((*out)[0]);
    set_nonblocking(to_child.get());
    set_nonblocking(from_child.get());
    UniqueFd exited(open_pidfd(pid));
    bool child_exited = false;

    ChildRun run;
    std::size_t written = 0;
    if (input.empty()) to_child.reset();
    // With a pidfd, wait for the exit itself (the program may close stdout and keep running);
    // without one, stdout's end of file is the best sign of it.
    for (;;) {
        if (child_exited || (!from_child.valid() && !exited.valid())) break;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            child.kill_group();
            child.reap();
            run.end = ChildRun::End::timed_out;
            return run;
        }
        std::vector<pollfd> fds;
        if (from_child.valid()) fds.push_back({from_child.get(), POLLIN, 0});
        if (to_child.valid()) fds.push_back({to_child.get(), POLLOUT, 0});
        if (exited.valid()) fds.push_back({exited.get(), POLLIN, 0});
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
        if (ready < 0) {
            if (errno == EINTR) continue;
            return sys_error(kStage, "waiting for approval program " + program, "poll");
        }
        for (const auto& p : fds) {
            if (p.revents == 0) continue;
            if (p.fd == to_child.get()) {
                const ssize_t n =
                    ::write(to_child.get(), input.data() + written, input.size() - written);
                if (n > 0) written += static_cast<std::size_t>(n);
                // EPIPE: the program does not want (more of) the request; that is its choice.
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size())
                    to_child.reset();
            } else if (p.fd == exited.get()) {
                child_exited = true;
            }
        }
        // Read after noting an exit so that everything written before exiting is collected.
        while (from_child.valid()) {
            char buffer[4096];
            const ssize_t n = ::read(from_child.get(), buffer, sizeof buffer);
            if (n > 0) {
                run.output.append(buffer, static_cast<std::size_t>(n));
                if (run.output.size() > max_output) {
                    run.output.resize(max_output);
                    child.kill_group();
                    child.reap();
                    run.end = ChildRun::End::too_much_output;
                    return run;
                }
                continue;
            }
            if (n == 0) from_child.reset();
            if (n < 0 && errno == EINTR) continue;
            break;  // EOF or EAGAIN (a process the program started may still hold stdout)
        }
    }

    const int status = child.reap();
    if (WIFSIGNALED(status)) {
        run.end = ChildRun::End::signalled;
        run.term_signal = WTERMSIG(status);
    } else {
        run.end = ChildRun::End::exited;
        run.exit_code = WEXITSTATUS(status);
    }
    return run;
}

}  // namespace airlock::approvals
