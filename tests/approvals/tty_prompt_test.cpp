// The tty prompt end to end: the driver runs on a pseudo-terminal, the test types at it.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "approvals/approvals.hpp"
#include "platform/unique_fd.hpp"

using namespace airlock;
using namespace airlock::approvals;

namespace {

constexpr auto kFailureBound = std::chrono::seconds(20);  // only ever reached by a broken test

termios default_pty_settings() {
    int master = -1, slave = -1;
    REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
    termios t{};
    REQUIRE(::tcgetattr(slave, &t) == 0);
    ::close(master);
    ::close(slave);
    return t;
}

bool same_settings(const termios& a, const termios& b) {
    return a.c_iflag == b.c_iflag && a.c_oflag == b.c_oflag && a.c_lflag == b.c_lflag &&
           a.c_cflag == b.c_cflag && a.c_cc[VMIN] == b.c_cc[VMIN] &&
           a.c_cc[VTIME] == b.c_cc[VTIME] && a.c_cc[VINTR] == b.c_cc[VINTR];
}

// The driver on the slave side of a fresh pseudo-terminal with known settings.
class PtySession {
  public:
    explicit PtySession(int timeout_seconds, const char* term = "dumb")
        : initial_(default_pty_settings()) {
        winsize size{40, 120, 0, 0};
        termios settings = initial_;
        int master = -1;
        pid_ = ::forkpty(&master, nullptr, &settings, &size);
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            ::setenv("TERM", term, 1);
            ::unsetenv("NO_COLOR");
            const std::string timeout = std::to_string(timeout_seconds);
            ::execl(AIRLOCK_TTY_PROMPT_DRIVER, AIRLOCK_TTY_PROMPT_DRIVER, timeout.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
        master_.reset(master);
    }
    ~PtySession() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }

    // Reads until `needle` appears (after `from`); returns its position or npos at EOF/bound.
    std::size_t wait_for(const std::string& needle, std::size_t from = 0) {
        const auto deadline = std::chrono::steady_clock::now() + kFailureBound;
        for (;;) {
            if (auto at = output_.find(needle, from); at != std::string::npos) return at;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return std::string::npos;
            pollfd p{master_.get(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
            char buffer[4096];
            const ssize_t n = ::read(master_.get(), buffer, sizeof buffer);
            if (n <= 0) return std::string::npos;  // EIO once the driver is gone
            output_.append(buffer, static_cast<std::size_t>(n));
        }
    }

    void type(const std::string& keys) {
        REQUIRE(::write(master_.get(), keys.data(), keys.size()) ==
                static_cast<ssize_t>(keys.size()));
    }

    // The decision line the driver prints after ask() returned.
    std::string decision() {
        const auto at = wait_for("decision=");
        if (at == std::string::npos) return "<none>";
        const auto end = wait_for("\n", at);
        if (end == std::string::npos) return "<none>";
        std::string value = output_.substr(at + 9, end - at - 9);
        if (!value.empty() && value.back() == '\r') value.pop_back();
        return value;
    }

    termios current_settings() const {
        termios t{};
        REQUIRE(::tcgetattr(master_.get(), &t) == 0);  // a pty master reports the slave's
        return t;
    }

    int finish() {
        type("\n");
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
        return status;
    }

    const termios& initial() const { return initial_; }
    const std::string& output() const { return output_; }

  private:
    termios initial_;
    UniqueFd master_;
    pid_t pid_ = -1;
    std::string output_;
};

void answer_and_check(const std::string& keys, const std::string& expected) {
    PtySession session(300);
    REQUIRE(session.wait_for("Allow?") != std::string::npos);
    // Positive control: while prompting, the terminal is in key-at-a-time mode, so the
    // restore check below can fail.
    CHECK_FALSE(same_settings(session.current_settings(), session.initial()));
    CHECK((session.current_settings().c_lflag & ICANON) == 0);
    session.type(keys);
    CHECK(session.decision() == expected);
    CHECK(same_settings(session.current_settings(), session.initial()));
    const int status = session.finish();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace

TEST_CASE("tty prompt: y approves once") {
    answer_and_check("y", "approved");
}
TEST_CASE("tty prompt: s approves for the session") {
    answer_and_check("s", "approved_for_session");
}
TEST_CASE("tty prompt: n denies") {
    answer_and_check("n", "denied");
}
TEST_CASE("tty prompt: a aborts") {
    answer_and_check("a", "abort");
}
TEST_CASE("tty prompt: Ctrl-C aborts and restores the terminal") {
    answer_and_check("\x03", "abort");
}
TEST_CASE("tty prompt: Enter and unknown keys are not answers") {
    answer_and_check("\rqYx n", "denied");
}

TEST_CASE("tty prompt: the prompt shows the request, escaped, without colour on a dumb terminal") {
    PtySession session(300);
    REQUIRE(session.wait_for("Allow?") != std::string::npos);
    const std::string& shown = session.output();
    CHECK(shown.find("shell_exec") != std::string::npos);
    CHECK(shown.find("rm -rf build") != std::string::npos);
    CHECK(shown.find("src") != std::string::npos);
    CHECK(shown.find("high") != std::string::npos);
    CHECK(shown.find("rm_recursive") != std::string::npos);
    CHECK(shown.find("ask-rm") != std::string::npos);
    CHECK(shown.find("\\x1b[2K") != std::string::npos);  // shown as text...
    CHECK(shown.find('\x1b') == std::string::npos);      // ...never sent as a control sequence
    session.type("n");
    CHECK(session.decision() == "denied");
    session.finish();
}

TEST_CASE("tty prompt: colour on a capable terminal") {
    PtySession session(300, "xterm-256color");
    REQUIRE(session.wait_for("Allow?") != std::string::npos);
    CHECK(session.output().find("\x1b[") != std::string::npos);
    session.type("n");
    CHECK(session.decision() == "denied");
    session.finish();
}

TEST_CASE("tty prompt: ? shows details, then y approves") {
    PtySession session(300);
    const auto first = session.wait_for("Allow?");
    REQUIRE(first != std::string::npos);
    session.type("?");
    const auto details = session.wait_for("details", first);
    REQUIRE(details != std::string::npos);
    const std::string key = approval_key(
        [] {
            ToolCall call;
            call.argv = {"rm", "-rf", "build", "\x1b[2K"};
            call.cwd = "src";
            return call;
        }(),
        {"HOME", "PATH"});
    REQUIRE(session.wait_for("Allow?", details) != std::string::npos);
    CHECK(session.output().find(key, details) != std::string::npos);  // the full key
    CHECK(session.output().find("HOME PATH", details) != std::string::npos);
    session.type("y");
    CHECK(session.decision() == "approved");
    CHECK(same_settings(session.current_settings(), session.initial()));
    session.finish();
}

TEST_CASE("tty prompt: no answer in time is timed_out, and the terminal is restored") {
    PtySession session(1);
    REQUIRE(session.wait_for("Allow?") != std::string::npos);
    CHECK(session.decision() == "timed_out");
    CHECK(same_settings(session.current_settings(), session.initial()));
    session.finish();
}

TEST_CASE("tty provider: no controlling terminal is a config error, and the default is deny") {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // A new session has no controlling terminal: /dev/tty cannot be opened.
        if (::setsid() < 0) ::_exit(10);
        auto provider = make_provider("tty", {});
        if (provider.ok()) ::_exit(11);
        if (provider.error().stage != "config") ::_exit(12);
        if (default_provider_spec() != "deny") ::_exit(13);
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
