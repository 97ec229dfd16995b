#include "child_probe.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace airlock::test {
namespace {

void write_all(int fd, const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ::_exit(3);
        done += static_cast<std::size_t>(n);
    }
}

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

}  // namespace

Outcome call_result(long ret) {
    Outcome out;
    out.ret = ret;
    out.err = ret == -1 ? errno : 0;
    return out;
}

Outcome in_grandchild(const std::function<void()>& body) {
    const pid_t pid = ::fork();
    if (pid < 0) return call_result(-1);
    if (pid == 0) {
        body();
        ::_exit(0);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return call_result(-1);
    }
    Outcome out;
    if (WIFSIGNALED(status)) {
        out.signal = WTERMSIG(status);
        out.ret = -1;
    } else {
        out.ret = WEXITSTATUS(status);
    }
    return out;
}

ChildReport run_probes_in_child(const std::function<int()>& setup,
                                const std::vector<Probe>& probes) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    // The test process is single-threaded, so the child may allocate freely.
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::close(fds[0]);
        const int err = setup();
        write_all(fds[1], "setup " + std::to_string(err) + " 0 0\n");
        if (err != 0) ::_exit(1);
        for (const Probe& probe : probes) {
            const Outcome o = probe.second();
            write_all(fds[1], probe.first + " " + std::to_string(o.ret) + " " +
                                  std::to_string(o.err) + " " + std::to_string(o.signal) + "\n");
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    ChildReport report;
    report.raw = read_all(fds[0]);
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    std::istringstream lines(report.raw);
    std::string name;
    Outcome o;
    while (lines >> name >> o.ret >> o.err >> o.signal) {
        if (name == "setup") {
            report.setup_error = static_cast<int>(o.ret);
        } else {
            report.outcomes[name] = o;
        }
    }
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && report.setup_error == 0)) {
        report.raw += "\n[child did not exit cleanly, status " + std::to_string(status) + "]";
        report.setup_error = report.setup_error != 0 ? report.setup_error : -1;
    }
    return report;
}

}  // namespace airlock::test
