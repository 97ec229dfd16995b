#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "approvals/exec_provider.hpp"
#include "platform/unique_fd.hpp"
#include "test_support.hpp"

using namespace airlock;
using namespace airlock::approvals;
using namespace airlock::approvals::test;
using namespace std::chrono_literals;

namespace {

ApprovalAnswer ask_with(const std::string& program,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto provider = make_exec_provider(program, timeout);
    REQUIRE_MESSAGE(provider.ok(), (provider.ok() ? "" : provider.error().describe()));
    return (*provider)->ask(request_for(shell_call({"rm", "-rf", "build"}), {"PATH"}));
}

std::string answer_script(const TempDir& dir, const std::string& answer) {
    return dir.script("answer.sh", "cat >/dev/null\nprintf '%s\\n' '" + answer + "'");
}

}  // namespace

TEST_CASE("exec provider: a program that cannot run is a config error at make time") {
    TempDir dir;
    ProviderOptions options;
    auto missing = make_provider("exec:" + (dir.path() / "nope").string(), options);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().stage == "config");
    CHECK(missing.error().message.find("nope") != std::string::npos);

    const std::string not_executable = dir.script("plain.sh", "exit 0");
    ::chmod(not_executable.c_str(), 0644);
    auto plain = make_provider("exec:" + not_executable, options);
    REQUIRE_FALSE(plain.ok());
    CHECK(plain.error().stage == "config");

    CHECK_FALSE(make_provider("exec:" + dir.path().string(), options).ok());  // a directory
    CHECK_FALSE(make_provider("exec:", options).ok());
    CHECK_FALSE(make_provider("exec:airlock-no-such-program-xyz", options).ok());

    // Positive controls: an executable path and a name found in PATH.
    CHECK(make_provider("exec:" + dir.script("ok.sh", "exit 0"), options).ok());
    CHECK(make_provider("exec:true", options).ok());
}

TEST_CASE("provider factory: unknown names and bad timeouts are config errors") {
    auto unknown = make_provider("slack", {});
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().stage == "config");
    CHECK(unknown.error().message.find("slack") != std::string::npos);
    CHECK_FALSE(make_provider("Deny", {}).ok());
    ProviderOptions zero;
    zero.timeout_seconds = 0;
    CHECK_FALSE(make_provider("deny", zero).ok());
}

TEST_CASE("static providers: deny denies, allow approves") {
    auto deny = make_provider("deny", {});
    REQUIRE(deny.ok());
    const auto request = request_for(shell_call({"ls"}));
    CHECK((*deny)->ask(request).decision == ApprovalDecision::denied);
    CHECK((*deny)->name() == "deny");
    auto allow = make_provider("allow", {});
    REQUIRE(allow.ok());
    const ApprovalAnswer a = (*allow)->ask(request);
    CHECK(a.decision == ApprovalDecision::approved);
    CHECK(a.provider == "allow");
}

TEST_CASE("exec provider: valid answers") {
    TempDir dir;
    const ApprovalAnswer a =
        ask_with(answer_script(dir, R"({"decision":"approved","reason":"ok by alice"})"));
    CHECK(a.decision == ApprovalDecision::approved);
    CHECK(a.reason == "ok by alice");
    CHECK(a.provider.rfind("exec:", 0) == 0);
    CHECK(ask_with(answer_script(dir, R"( {"decision":"approved_for_session"} )")).decision ==
          ApprovalDecision::approved_for_session);
    CHECK(ask_with(answer_script(dir, R"({"decision":"denied","reason":"no"})")).decision ==
          ApprovalDecision::denied);
    CHECK(ask_with(answer_script(dir, R"({"decision":"abort"})")).decision ==
          ApprovalDecision::abort);
}

TEST_CASE("exec provider: the request arrives on stdin as JSON") {
    TempDir dir;
    const auto seen = dir.path() / "request.json";
    const std::string program =
        dir.script("record.sh", "cat >'" + seen.string() + "'\necho '{\"decision\":\"denied\"}'");
    auto provider = make_exec_provider(program, 20s);
    REQUIRE(provider.ok());
    ToolCall call = shell_call({"rm", "-rf", "build"}, "src");
    const auto request = request_for(call, {"HOME", "PATH"});
    CHECK((*provider)->ask(request).decision == ApprovalDecision::denied);
    const auto doc = nlohmann::json::parse(read_file(seen));
    CHECK(doc["version"] == 1);
    CHECK(doc["tool"] == "shell_exec");
    CHECK(doc["cwd"] == "src");
    CHECK(doc["request"]["argv"] == nlohmann::json({"rm", "-rf", "build"}));
    CHECK(doc["request"]["env_keys"] == nlohmann::json({"HOME", "PATH"}));
    CHECK(doc["key"] == request.key);
    CHECK(doc["risk"]["level"] == "high");
    CHECK(doc["policy"]["decision"] == "ask");
    CHECK(doc["policy"]["rule"] == "ask-rm");
}

TEST_CASE("exec provider: failures are denials with a clear reason") {
    TempDir dir;
    SUBCASE("crash") {
        const auto a = ask_with(dir.script("crash.sh", "cat >/dev/null\nkill -SEGV $$"));
        CHECK(a.decision == ApprovalDecision::denied);
        CHECK(a.reason.find("signal 11") != std::string::npos);
    }
    SUBCASE("non-zero exit, even with an approving answer") {
        const auto a = ask_with(
            dir.script("exit3.sh", "cat >/dev/null\necho '{\"decision\":\"approved\"}'\nexit 3"));
        CHECK(a.decision == ApprovalDecision::denied);
        CHECK(a.reason.find("status 3") != std::string::npos);
    }
    SUBCASE("malformed answers") {
        for (const std::string bad :
             {"yes", "", "[1]", R"({"decision":"maybe"})", R"({"decision":"Approved"})",
              R"({"decision":1})", R"({"reason":"no decision"})",
              R"({"decision":"approved","x":1})", R"({"decision":"approved","reason":7})",
              R"({"decision":"approved"}{"decision":"approved"})"}) {
            CAPTURE(bad);
            const auto a = ask_with(answer_script(dir, bad));
            CHECK(a.decision == ApprovalDecision::denied);
            CHECK(a.reason.find("malformed") != std::string::npos);
        }
    }
    SUBCASE("too much output") {
        const auto a = ask_with(dir.script("flood.sh", "cat >/dev/null\nexec yes"));
        CHECK(a.decision == ApprovalDecision::denied);
        CHECK(a.reason.find("more than") != std::string::npos);
    }
}

TEST_CASE("exec provider: a program that does not answer in time is killed: timed_out") {
    TempDir dir;
    const auto started = std::chrono::steady_clock::now();
    const auto a = ask_with(dir.script("slow.sh", "exec sleep 60"), 300ms);
    CHECK(a.decision == ApprovalDecision::timed_out);
    CHECK_FALSE(grants(a.decision));
    CHECK(a.reason.find("did not answer within 300 ms") != std::string::npos);
    // Failure bound, not a timing assertion: a hang would be a bug.
    CHECK(std::chrono::steady_clock::now() - started < 30s);
}

TEST_CASE("exec provider: closing stdout early does not end the wait for the answer") {
    TempDir dir;
    // Closes stdout, then runs past the timeout: still a timeout, not a hang or an answer.
    const auto a = ask_with(dir.script("closer.sh", "exec >&-\nexec sleep 60"), 300ms);
    CHECK(a.decision == ApprovalDecision::timed_out);
}

TEST_CASE("exec provider: a program that ignores its stdin still answers (no SIGPIPE)") {
    TempDir dir;
    auto provider =
        make_exec_provider(dir.script("deaf.sh", "echo '{\"decision\":\"approved\"}'"), 20s);
    REQUIRE(provider.ok());
    // A request far bigger than a pipe buffer, so that writing it hits a closed pipe.
    const auto request = request_for(shell_call({"echo", std::string(4 << 20, 'x')}));
    CHECK((*provider)->ask(request).decision == ApprovalDecision::approved);
}

TEST_CASE("exec provider: the program inherits no descriptor besides stdin, stdout, stderr") {
    TempDir dir;
    const auto listing = dir.path() / "fds.txt";
    // Deliberately inheritable (no O_CLOEXEC), at a number nothing else uses.
    const int leaked = ::fcntl(STDERR_FILENO, F_DUPFD, 57);
    REQUIRE(leaked >= 57);
    const auto a = ask_with(dir.script("fds.sh", "ls /proc/self/fd >'" + listing.string() +
                                                     "'\necho '{\"decision\":\"denied\"}'"));
    ::close(leaked);
    CHECK(a.decision == ApprovalDecision::denied);
    std::istringstream in(read_file(listing));
    std::set<std::string> fds;
    for (std::string fd; in >> fd;)
        fds.insert(fd);
    CHECK(fds.contains("0"));  // positive control: the listing works
    CHECK_FALSE(fds.contains(std::to_string(leaked)));
    for (const auto& fd : fds)
        CHECK_MESSAGE(std::stoi(fd) <= 3, "inherited fd " << fd);
}

TEST_CASE("exec provider: the program dies with the process that asked (no orphaned prompt)") {
    TempDir dir;
    const auto fifo = dir.path() / "pid";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // Says its pid (the writer blocks until the test reads), then waits for an answer nobody
    // will read: long past the test.
    const std::string program =
        dir.script("asks.sh", "echo $$ >'" + fifo.string() + "'\nexec sleep 600");
    // The asking process, as airlock would be: it is killed while the program runs.
    const pid_t asker = ::fork();
    REQUIRE(asker >= 0);
    if (asker == 0) {
        auto provider = make_exec_provider(program, 600s);
        if (!provider.ok()) ::_exit(2);
        (*provider)->ask(request_for(shell_call({"rm", "-rf", "build"})));
        ::_exit(0);
    }
    std::string pid_text;
    {
        std::ifstream in(fifo);  // blocks until the program has started and written
        in >> pid_text;
    }
    REQUIRE_FALSE(pid_text.empty());
    const pid_t program_pid = static_cast<pid_t>(std::stol(pid_text));
    UniqueFd program_fd(static_cast<int>(::syscall(SYS_pidfd_open, program_pid, 0)));
    REQUIRE(program_fd.valid());
    pollfd alive{program_fd.get(), POLLIN, 0};
    CHECK(::poll(&alive, 1, 0) == 0);  // positive control: it runs while the asker lives

    REQUIRE(::kill(asker, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(asker, &status, 0) == asker);
    pollfd gone{program_fd.get(), POLLIN, 0};
    const int ended = ::poll(&gone, 1, 20000);  // a failure bound: without the fix, 600 s
    if (ended != 1) ::kill(program_pid, SIGKILL);
    CHECK(ended == 1);
}
