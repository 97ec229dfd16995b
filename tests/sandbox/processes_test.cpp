// Process escapes: seeing or signalling host processes, fork bombs, runaway commands, output
// floods, and the environment airlock was started with.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "escape_harness.hpp"
#include "sandbox/landlock.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::escape;

namespace {

// A host process the test owns: blocked in pause() until killed at the end of the scope.
class HostProcess {
  public:
    HostProcess() {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            for (;;)
                ::pause();
        }
    }
    ~HostProcess() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    pid_t pid() const { return pid_; }
    bool alive() const {
        int status = 0;
        return ::waitpid(pid_, &status, WNOHANG) == 0;
    }

  private:
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("host processes are invisible: /proc and ps show only the sandbox's") {
    Scenario s;
    HostProcess host;
    const std::string pid = std::to_string(host.pid());
    auto r = s.sh("ls -d /proc/" + pid + " 2>&1; ps -e -o pid= | wc -l");
    require_sandboxed(r);
    const std::string out = field(r, "stdout");
    if (under_seccomp()) {
        // No pid namespace: host processes are visible (documented; `effective` lists no
        // namespaces). Reaching them is refused: see the kill and ptrace scenarios.
        CHECK(out.rfind("/proc/" + pid + "\n", 0) == 0);
        CHECK(effective(r)["namespaces"].empty());
        CHECK(host.alive());
        return;
    }
    CHECK(contains(out, "No such file or directory"));
    // bwrap's init, sh, ps and wc, at most: nothing of the host's.
    CHECK(std::stoi(out.substr(out.find('\n') + 1)) <= 5);
    auto ok = s.unconfined_sh("ls -d /proc/" + pid);
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "/proc/" + pid + "\n");
}

TEST_CASE("kill -9 of a host process fails and the process survives") {
    Scenario s;
    if (under_seccomp() && airlock::sandbox::probe_landlock().abi < 6) {
        // Without a pid namespace only Landlock's signal scoping (ABI 6) stops the signal.
        airlock::test::not_applicable(
            "seccomp adapter: signals to host processes refused",
            "Landlock ABI " + std::to_string(airlock::sandbox::probe_landlock().abi) + " < 6");
        return;
    }
    HostProcess host;
    const std::string pid = std::to_string(host.pid());
    auto r = s.sh("kill -9 " + pid + "; '" + s.probe_path() + "' kill " + pid);
    require_sandboxed(r);
    CHECK(r.exit_code == 1);
    // bwrap: the pid does not exist in the sandbox's pid namespace. seccomp: Landlock's signal
    // scope refuses it.
    CHECK(field(r, "stdout")
              .rfind(
                  under_seccomp() ? "refused: Operation not permitted" : "refused: No such process",
                  0) == 0);
    CHECK(host.alive());
    // Positive control: the command can signal its own processes.
    // (sleep, not cat: cat would exit at once on its /dev/null stdin and race the kill.)
    auto ok = s.sh("sleep 300 & kill -9 $! && wait $!; echo status=$?");
    CHECK(field(ok, "stdout") == "status=137\n");
    // And unconfined, the host process is reachable (signal 0 only checks).
    auto reach = s.unconfined_sh("kill -0 " + pid + " && echo reachable");
    CHECK(field(reach, "stdout") == "reachable\n");
    CHECK(host.alive());
}

TEST_CASE("ptrace of a host process is refused") {
    Scenario s;
    HostProcess host;
    auto r = s.probe({"ptrace", std::to_string(host.pid())});
    require_sandboxed(r);
    CHECK(r.exit_code == 1);
    CHECK(field(r, "stdout").rfind("refused: ", 0) == 0);
    CHECK(host.alive());
    // Positive control: in the sandbox the probe's own processes exist and respond.
    auto ok = s.sh("'" + s.probe_path() + "' ids");
    CHECK(ok.exit_code == 0);
}

namespace {
// How many of 30 children ran at the same time under max_processes 10: each marks itself
// in the workspace and stays alive until the sandbox ends (a fork failure may end the shell,
// so the host counts the marks). A safe check that the limit binds before anything explosive.
int children_started_under_limit(Scenario& s, int max_processes = 10) {
    fs::remove_all(s.ws() / "started");
    fs::create_directories(s.ws() / "started");
    s.sh(
        "i=0; while [ $i -lt 30 ]; do (touch started/$i; exec sleep 60) 2>/dev/null & "
        "i=$((i+1)); done; until [ $(ls started | wc -l) -ge 30 ]; do :; done",
        R"("limits": {"timeout_seconds": 5, "max_processes": )" + std::to_string(max_processes) +
            "}");
    int n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(s.ws() / "started"))
        ++n;
    return n;
}
// How many processes this user has on the host (dying ones included, until reaped).
int processes_of_this_user() {
    int n = 0;
    const std::string uid = std::to_string(::getuid());
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        const std::string status = read_text(entry.path() / "status");
        const auto at = status.find("\nUid:\t");
        if (at != std::string::npos && status.compare(at + 6, uid.size() + 1, uid + "\t") == 0) ++n;
    }
    return n;
}

// RLIMIT_NPROC (the limit without a pids cgroup) counts every process of the user, killed ones
// too until they are reaped: waits, bounded and without sleeping, for the count to settle.
void wait_for_user_processes_at_most(int count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (processes_of_this_user() > count && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
}

}  // namespace

TEST_CASE("the process limit binds: no more than max_processes at once") {
    Scenario s;
    auto r = s.sh("true", R"("limits": {"max_processes": 10})");
    const auto processes = result(r)["sandbox"]["effective"]["limits"]["processes"];
    INFO("effective.limits.processes: " << processes.dump());
    CHECK(processes["max"] == 10);
    if (processes["enforced_by"] == "none") {
        airlock::test::not_applicable("the process limit", processes["why"].dump());
        return;
    }
    // The result claims a limit: 30 children must not all run at once.
    CHECK(children_started_under_limit(s) <= 12);
    // Positive control: with room for them, the same 30 children all run.
    auto ok = s.sh(
        "i=0; while [ $i -lt 30 ]; do sleep 60 & i=$((i+1)); done; "
        "n=0; for p in /proc/[0-9]*; do n=$((n+1)); done; [ $n -ge 31 ] && echo done",
        R"("limits": {"timeout_seconds": 20, "max_processes": 200})");
    CHECK(field(ok, "stdout") == "done\n");
}

TEST_CASE("a fork bomb is contained, reported, and cleaned up") {
    Scenario s;
    auto probe = s.sh("true", R"("limits": {"max_processes": 64})");
    const auto claimed = result(probe)["sandbox"]["effective"]["limits"]["processes"];
    if (claimed["enforced_by"] == "none") {
        airlock::test::not_applicable("containing a fork bomb", claimed["why"].dump());
        return;
    }
    // Never set off a bomb the sandbox cannot contain: it would take the whole host down.
    const int started = children_started_under_limit(s);
    REQUIRE_MESSAGE(started <= 12, "the claimed process limit ("
                                       << claimed.dump()
                                       << ") does not bind: with max_processes 10, " << started
                                       << " processes ran at once");
    const int before = processes_of_this_user();
    const std::string marker = "bomb-" + s.outside().filename().string();
    write_text(s.ws() / (marker + ".sh"), "f(){ f | f & }; f; wait\n");
    auto r =
        s.exec({"sh", marker + ".sh"}, R"("limits": {"timeout_seconds": 5, "max_processes": 64})");
    require_sandboxed(r);
    const auto processes = result(r)["sandbox"]["effective"]["limits"]["processes"];
    CHECK(processes["max"] == 64);
    CHECK_FALSE(process_with_marker_exists(marker));
    if (claimed["enforced_by"] == "rlimit") wait_for_user_processes_at_most(before);
    // Positive control: a command that forks a few dozen processes under the same limits works.
    auto ok = s.sh("i=0; while [ $i -lt 30 ]; do true & i=$((i+1)); done; wait; echo done",
                   R"("limits": {"timeout_seconds": 20, "max_processes": 64})");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "done\n");
}

TEST_CASE("a timeout kills the whole tree, setsid daemons included") {
    Scenario s;
    const std::string marker = "runaway-" + s.outside().filename().string();
    fs::copy_file("/bin/sleep", s.ws() / marker);
    const std::string m = "./" + marker;
    // 3 s, not 1: on a loaded host (or a sanitized build) starting the sandbox alone can take
    // most of a second, and the tree must have started before the timeout fires.
    auto r = s.sh("setsid " + m + " 300 & " + m + " 300 & touch started; " + m + " 300",
                  R"("limits": {"timeout_seconds": 3})");
    require_sandboxed(r);
    CHECK(r.exit_code == 124);
    CHECK(field(r, "status") == "timeout");
    // Without a pid namespace the process group is what gets killed: the seccomp adapter's
    // filter refuses to leave it.
    if (under_seccomp()) CHECK(contains(field(r, "stderr"), "setsid"));
    CHECK(fs::exists(s.ws() / "started"));
    CHECK_FALSE(process_with_marker_exists(marker));
    // Positive control: the same program finishes normally when it has time.
    auto ok = s.sh(m + " 0 && echo done", R"("limits": {"timeout_seconds": 3})");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "done\n");
}

TEST_CASE("an output flood is capped and marked truncated, and airlock returns") {
    Scenario s;
    const std::string limits = R"("limits": {"output_bytes": 65536, "timeout_seconds": 60})";
    auto r =
        s.sh("head -c 50000000 /dev/zero | tr '\\0' x; head -c 50000000 /dev/zero >&2", limits);
    require_sandboxed(r);
    const auto j = result(r);
    CHECK(j["truncated"]["stdout"] == true);
    CHECK(j["truncated"]["stderr"] == true);
    CHECK(j["stdout"].get<std::string>().size() <= 65536);
    CHECK(j["stderr"].get<std::string>().size() <= 65536);
    CHECK(j["sandbox"]["effective"]["limits"]["output_bytes_per_stream"] == 65536);
    // Positive control: output under the cap comes back whole.
    auto ok = s.sh("head -c 1000 /dev/zero | tr '\\0' x", limits);
    CHECK(result(ok)["truncated"]["stdout"] == false);
    CHECK(field(ok, "stdout") == std::string(1000, 'x'));
}

TEST_CASE("an endless writer is stopped (by the timeout) and airlock returns") {
    Scenario s;
    auto r = s.exec({"yes"}, R"("limits": {"output_bytes": 4096, "timeout_seconds": 2})");
    require_sandboxed(r);
    CHECK(result(r)["truncated"]["stdout"] == true);
    CHECK(field(r, "stdout").size() <= 4096);
    CHECK(r.exit_code != 0);
    auto ok = s.exec({"echo", "y"}, R"("limits": {"output_bytes": 4096, "timeout_seconds": 2})");
    CHECK(field(ok, "stdout") == "y\n");
}

TEST_CASE("environment secrets: only allowlisted variables reach the command") {
    Scenario s;
    const std::vector<std::string> env = {"AIRLOCK_ESCAPE_SECRET=s3cr3t-escape-value",
                                          "AWS_SECRET_ACCESS_KEY=s3cr3t-aws-value"};
    // Also looks at pid 1's environment and its parent's (airlock itself under the seccomp
    // adapter, bwrap's init under bwrap): nothing of airlock's leaks there.
    const std::string script =
        "env; tr '\\0' '\\n' < /proc/1/environ; tr '\\0' '\\n' < /proc/$PPID/environ; true";
    const std::vector<std::string> attack = {"sh", "-c", script};
    auto r = s.exec(attack, "", env);
    require_sandboxed(r);
    CHECK(r.exit_code == 0);
    const std::string out = field(r, "stdout");
    CHECK_FALSE(contains(out, "s3cr3t"));
    CHECK_FALSE(contains(out, "AIRLOCK_ESCAPE_SECRET"));
    CHECK_FALSE(contains(out, "AWS_SECRET_ACCESS_KEY"));
    CHECK(contains(out, "PATH="));
    // Positive control: unconfined, the parent (airlock) environment gives the secret away.
    auto leak = s.exec(attack, kUnconfined, env);
    CHECK(contains(field(leak, "stdout"), "s3cr3t-escape-value"));
    // Positive control: once allowlisted, the variable is there (its length is checked, so
    // that the value never appears on a command line).
    auto ok = s.exec({"sh", "-c", "echo ${#AIRLOCK_ESCAPE_SECRET}"},
                     R"("env": {"allow": ["PATH", "AIRLOCK_ESCAPE_SECRET"]})", env);
    CHECK(field(ok, "stdout") == "19\n");
}
