#include <doctest/doctest.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "exec/command_lookup.hpp"
#include "exec/process_runner.hpp"
#include "exec/tool_schema.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock;
using namespace airlock::exec;
namespace fs = std::filesystem;

namespace {
ProcessSpec sh(const std::string& script) {
    ProcessSpec s;
    s.program = "/bin/sh";
    s.argv = {"sh", "-c", script};
    s.envp = {"PATH=/usr/bin:/bin"};
    return s;
}
}  // namespace

TEST_CASE("run_process captures output and the exit status") {
    auto r = run_process(sh("echo out; echo err >&2; exit 7"), {});
    REQUIRE(r.ok());
    CHECK(r->exit_code == 7);
    CHECK(r->stdout_bytes == "out\n");
    CHECK(r->stderr_bytes == "err\n");
    CHECK_FALSE(r->timed_out);
}

TEST_CASE("run_process caps output and keeps draining") {
    RunLimits limits;
    limits.output_bytes = 1000;
    auto r = run_process(sh("head -c 5000000 /dev/zero; echo done >&2"), limits);
    REQUIRE(r.ok());
    CHECK(r->exit_code == 0);  // the child was not blocked on a full pipe
    CHECK(r->stdout_bytes.size() == 1000);
    CHECK(r->stdout_truncated);
    CHECK(r->stdout_dropped == 5000000 - 1000);  // what was cut is counted
    CHECK(r->stderr_bytes == "done\n");
    CHECK_FALSE(r->stderr_truncated);
    CHECK(r->stderr_dropped == 0);
}

TEST_CASE("run_process timeout kills the process group, even with the pipe held open") {
    RunLimits limits;
    limits.timeout = std::chrono::milliseconds(300);
    auto r = run_process(sh("sleep 30 & sleep 30"), limits);
    REQUIRE(r.ok());
    CHECK(r->timed_out);
    CHECK(r->exit_code == 128 + SIGKILL);
    CHECK(r->seconds < 10);
}

TEST_CASE("run_process passes exactly the environment it is given") {
    ProcessSpec s = sh("env");
    s.envp = {"ONLY=this"};
    auto r = run_process(s, {});
    REQUIRE(r.ok());
    // sh may add PWD; nothing of airlock's own environment may appear.
    CHECK(r->stdout_bytes.find("ONLY=this") != std::string::npos);
    CHECK(r->stdout_bytes.find("HOME=") == std::string::npos);
}

TEST_CASE("run_process: the child inherits no descriptor but 0, 1, 2 and the passed ones") {
    const int leaked = ::open("/dev/null", O_RDONLY);  // deliberately not CLOEXEC
    REQUIRE(leaked >= 0);
    auto r = run_process(sh("ls /proc/$$/fd"), {});
    REQUIRE(r.ok());
    CHECK(r->stdout_bytes == "0\n1\n2\n");

    ProcessSpec pass = sh("ls /proc/$$/fd");
    pass.pass_fds = {leaked};
    auto p = run_process(pass, {});
    REQUIRE(p.ok());
    CHECK(p->stdout_bytes == "0\n1\n2\n3\n");  // positive control: passing works
    ::close(leaked);
}

TEST_CASE("run_process: a failing setup step means the program never runs") {
    ProcessSpec s = sh("touch ran");
    s.cwd = "/nonexistent/airlock/dir";
    auto r = run_process(s, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().call == "chdir");
    CHECK(r.error().err_no == ENOENT);

    ProcessSpec hook = sh("echo should-not-run");
    hook.pre_exec = [](const void*) { return EPERM; };
    auto h = run_process(hook, {});
    REQUIRE_FALSE(h.ok());
    CHECK(h.error().call == "sandbox setup");
}

namespace {
// The status a command gets when its parent, the process that called run_process, dies in the
// child's set-up (before PR_SET_PDEATHSIG): this process adopts the child (a subreaper) and
// reaps it. `orphan` false is the positive control: the parent lives and the command runs.
// The child and this process take turns through two pipes (a child in a PID namespace of its
// own cannot name its parent by pid).
struct Orphaning {
    bool orphan = false;
    int ready_fd = -1;   // the child writes: it is in its set-up now
    int resume_fd = -1;  // the child reads: its parent is dead and reaped
};
int wait_to_be_orphaned(const void* p) {
    const auto* o = static_cast<const Orphaning*>(p);
    if (!o->orphan) return 0;
    char byte = 'x';
    if (::write(o->ready_fd, &byte, 1) != 1 || ::read(o->resume_fd, &byte, 1) != 1) return EIO;
    return 0;
}
int status_of_orphaned_command(bool own_pid_namespace, bool orphan) {
    int ready[2], resume[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(resume) == 0);
    REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
    const pid_t caller = ::fork();
    REQUIRE(caller >= 0);
    if (caller == 0) {
        Orphaning o{orphan, ready[1], resume[0]};
        ProcessSpec s = sh("exit 7");
        s.own_pid_namespace = own_pid_namespace;
        s.pre_exec = wait_to_be_orphaned;
        s.pre_exec_context = &o;
        auto r = run_process(s, {});
        ::_exit(r.ok() ? r->exit_code : 99);
    }
    int status = 0, command_status = -1;
    if (orphan) {
        char byte = 0;
        REQUIRE(::read(ready[0], &byte, 1) == 1);
        ::kill(caller, SIGKILL);
        REQUIRE(::waitpid(caller, &status, 0) == caller);  // reaped: the child has a new parent
        CHECK(WIFSIGNALED(status));
        REQUIRE(::write(resume[1], &byte, 1) == 1);
        int adopted = 0;
        REQUIRE(::waitpid(-1, &adopted, 0) > 0);
        command_status = WIFEXITED(adopted) ? WEXITSTATUS(adopted) : 128 + WTERMSIG(adopted);
    } else {
        REQUIRE(::waitpid(caller, &status, 0) == caller);
        REQUIRE(WIFEXITED(status));
        command_status = WEXITSTATUS(status);
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
    for (int fd : {ready[0], ready[1], resume[0], resume[1]})
        ::close(fd);
    return command_status;
}
}  // namespace

TEST_CASE("run_process: a child whose parent died during its set-up never runs its command") {
    CHECK(status_of_orphaned_command(false, false) == 7);  // positive control
    CHECK(status_of_orphaned_command(false, true) == 127);
    if (::geteuid() != 0) {
        test::not_applicable("an orphaned child in a PID namespace of its own",
                             "creating one needs root");
        return;
    }
    CHECK(status_of_orphaned_command(true, false) == 7);  // positive control
    CHECK(status_of_orphaned_command(true, true) == 127);
}

TEST_CASE("find_program follows PATH and never the current directory") {
    CHECK(find_program("sh", "/usr/bin:/bin", "/").path.has_value());
    CHECK_FALSE(find_program("airlock-no-such", "/usr/bin:/bin", "/").path.has_value());
    CHECK(find_program("/bin/sh", "", "/").path == fs::path("/bin/sh"));
    // An empty or relative PATH entry is not searched.
    CHECK_FALSE(find_program("sh", ":bin", "/").path.has_value());
}

TEST_CASE("decode_tool_call validates against the declared schemas") {
    using nlohmann::json;
    auto ok = decode_tool_call("shell_exec", json{{"argv", {"ls", "-la"}}, {"cwd", "src"}});
    REQUIRE(ok.ok());
    CHECK(ok->argv == std::vector<std::string>{"ls", "-la"});
    CHECK(ok->cwd == "src");
    auto cmd = decode_tool_call("shell_exec", json{{"command", "make test"}, {"timeout_ms", 500}});
    REQUIRE(cmd.ok());
    CHECK(*cmd->shell == "make test");
    CHECK(*cmd->timeout_ms == 500);

    struct Bad {
        const char* tool;
        json args;
        const char* says;
    };
    const Bad bad[] = {
        {"shell_eval", json::object(), "unknown tool"},
        {"shell_exec", json::object(), "missing required parameter"},
        {"shell_exec", json{{"argv", json::array()}}, "empty"},
        {"shell_exec", json{{"argv", {"ls"}}, {"command", "ls"}}, "not both"},
        {"shell_exec", json{{"argv", "ls"}}, "must be array"},
        {"shell_exec", json{{"argv", {"ls", 3}}}, "must be a string"},
        {"shell_exec", json{{"command", "ls"}, {"timeout_ms", 0}}, "minimum"},
        {"file_write", json{{"content", "x"}}, "\"path\""},
        {"file_write", json{{"path", "a"}, {"content", "x"}, {"mode", 7}}, "unknown parameter"},
        {"file_read", json{{"path", 5}}, "must be string"},
        {"file_read", json::array(), "JSON object"},
    };
    for (const auto& b : bad) {
        CAPTURE(b.args.dump());
        auto r = decode_tool_call(b.tool, b.args);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().stage == "input");
        CHECK(r.error().message.find(b.says) != std::string::npos);
    }
}
