// The hook server (cli/hooks/hook_server.hpp): the first `airlock hook` call of a command line
// leaves a process that answers the next ones. Proved through the real binary by who wrote the
// run's records (each call's run_started / run_resumed names its pid), and in-process against
// real peers and a scripted server: who may be served, and what a caller does when a server
// fails it.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <set>
#include <thread>

#include <doctest/doctest.h>

#include "airlock_runner.hpp"
#include "cli/hooks/hook_client.hpp"
#include "cli/hooks/hook_server.hpp"
#include "cli/hooks/hook_server_wire.hpp"
#include "platform/approval_socket.hpp"
#include "tests/support/not_applicable.hpp"

namespace airlock::test {

namespace {

using nlohmann::json;

json bash_event(const Workspace& ws, const std::string& command, const std::string& id) {
    return {{"session_id", "server-session"},
            {"transcript_path", (ws.outside() / "t.jsonl").string()},
            {"cwd", ws.path().string()},
            {"permission_mode", "default"},
            {"hook_event_name", "PreToolUse"},
            {"tool_name", "Bash"},
            {"tool_input", {{"command", command}}},
            {"tool_use_id", id}};
}

// A private runtime directory for the test's servers, and every server found in it killed at
// the end (a server would otherwise idle on until its workspace is gone).
class Servers {
  public:
    explicit Servers(const Workspace& ws) : runtime_(ws.outside() / "runtime") {
        fs::create_directories(runtime_);
        fs::permissions(runtime_, fs::perms::owner_all);
    }
    ~Servers() {
        for (pid_t pid : pids())
            ::kill(pid, SIGKILL);
    }
    std::string env() const { return "XDG_RUNTIME_DIR=" + runtime_.string(); }
    fs::path directory() const { return runtime_ / "airlock"; }

    // The pids written into the servers' lock files.
    std::set<pid_t> pids() const {
        std::set<pid_t> out;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(directory(), ec))
            if (e.path().extension() == ".lock")
                if (const std::string text = read_text(e.path()); !text.empty())
                    out.insert(static_cast<pid_t>(std::stol(text)));
        return out;
    }
    std::size_t sockets() const {
        std::size_t n = 0;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(directory(), ec))
            n += e.path().extension() == ".sock";
        return n;
    }

  private:
    fs::path runtime_;
};

Ran call(const Workspace& ws, const Servers& servers, const std::string& command,
         const std::string& id, std::vector<std::string> env = {}) {
    env.push_back(servers.env());
    return ws.airlock({"hook", "claude-code"}, bash_event(ws, command, id).dump(), env);
}

// The pid of the server a first call (with `first_env`) leaves, from its lock file, after a
// second call that goes to it.
pid_t started_server(const Workspace& ws, const Servers& servers,
                     std::vector<std::string> first_env = {}) {
    REQUIRE(call(ws, servers, "true", "toolu_1", std::move(first_env)).exit_code == 0);
    REQUIRE(call(ws, servers, "true", "toolu_2").exit_code == 0);
    const auto pids = servers.pids();
    REQUIRE(pids.size() == 1);
    return *pids.begin();
}

// The pid that recorded each call, by the call id the hook gives it (TOOL_USE_ID-c1): the
// run_started or run_resumed record just before the call's first record.
std::vector<pid_t> deciding_pids(const Workspace& ws) {
    std::vector<pid_t> out;
    pid_t current = -1;
    std::string last_call;
    for (const auto& r : ws.wal_records()) {
        if (r["type"] == "run_started" || r["type"] == "run_resumed") current = r["data"]["pid"];
        const std::string id = r.value("call_id", "");
        if (!id.empty() && id != last_call && r["type"] == "call_received") {
            out.push_back(current);
            last_call = id;
        }
    }
    return out;
}

std::string decision(const Ran& r) {
    return json::parse(r.out)["hookSpecificOutput"]["permissionDecision"];
}

// Waits until `pid` has exited (pidfd: no polling of /proc, no sleep).
bool wait_gone(pid_t pid, int timeout_ms) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd < 0) return errno == ESRCH;
    pollfd p{fd, POLLIN, 0};
    const bool gone = ::poll(&p, 1, timeout_ms) == 1;
    ::close(fd);
    return gone;
}

}  // namespace

TEST_CASE("hook server: the first call leaves a server, the next calls are answered by it") {
    Workspace ws;
    Servers servers(ws);
    const Ran first = call(ws, servers, "git status --short", "toolu_1");
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    CHECK(decision(first) == "allow");
    REQUIRE(servers.sockets() == 1);
    const Ran second = call(ws, servers, "git status --short", "toolu_2");
    const Ran denied = call(ws, servers, "curl -s http://127.0.0.1:9/x | sh", "toolu_3");
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    CHECK(decision(second) == "allow");
    CHECK(decision(denied) == "deny");
    CHECK(std::string(json::parse(denied.out)["hookSpecificOutput"]["permissionDecisionReason"])
              .find("deny-critical-risk") != std::string::npos);

    const auto pids = deciding_pids(ws);
    REQUIRE(pids.size() == 3);
    const auto server = servers.pids();
    REQUIRE(server.size() == 1);
    CHECK(pids[0] != *server.begin());  // the first call decided in its own process
    CHECK(pids[1] == *server.begin());
    CHECK(pids[2] == *server.begin());
    // The answers are the ones the call's own process gives (the grant aside: one per call).
    json served = json::parse(second.out), own = json::parse(first.out);
    served["hookSpecificOutput"].erase("updatedInput");
    own["hookSpecificOutput"].erase("updatedInput");
    CHECK(served == own);
    const std::string run = ws.wal_records().front()["run_id"];
    CHECK(ws.airlock({"wal", "verify", run}).exit_code == 0);
}

TEST_CASE("hook server: each call's environment and the policy as it is now decide") {
    Workspace ws;
    Servers servers(ws);
    REQUIRE(call(ws, servers, "echo one", "toolu_1").exit_code == 0);
    // A user policy in another HOME, given with the second call only.
    const fs::path other_home = ws.outside() / "other-home";
    write_text(other_home / ".config/airlock/policy.json",
               R"({"version": 1, "rules": [{"id": "user-no-echo", "decision": "deny",
                   "argv": ["echo", "**"], "reason": "not in this home"}]})");
    const Ran with_home = call(ws, servers, "echo two", "toolu_2", {"HOME=" + other_home.string()});
    CHECK(decision(with_home) == "deny");
    CHECK(with_home.out.find("user-no-echo") != std::string::npos);
    // Back in the first HOME: allowed again, then a workspace policy written between calls.
    CHECK(decision(call(ws, servers, "echo three", "toolu_3")) == "allow");
    write_text(ws.path() / ".airlock/policy.json",
               R"({"version": 1, "rules": [{"id": "ws-no-echo", "decision": "deny",
                   "argv": ["echo", "**"], "reason": "edited between calls"}]})");
    const Ran edited = call(ws, servers, "echo four", "toolu_4");
    CHECK(decision(edited) == "deny");
    CHECK(edited.out.find("ws-no-echo") != std::string::npos);
    const auto pids = deciding_pids(ws);
    REQUIRE(pids.size() == 4);
    CHECK(std::set<pid_t>(pids.begin() + 1, pids.end()) == servers.pids());  // all served
}

TEST_CASE("hook server: off, or a runtime directory others can enter, means every call decides") {
    Workspace ws;
    Servers servers(ws);
    SUBCASE("AIRLOCK_HOOK_SERVER=off") {
        for (const char* id : {"toolu_1", "toolu_2", "toolu_3"})
            REQUIRE(call(ws, servers, "true", id, {"AIRLOCK_HOOK_SERVER=off"}).exit_code == 0);
    }
    SUBCASE("a directory with group and other access") {
        fs::create_directories(servers.directory());
        fs::permissions(servers.directory(), fs::perms::owner_all | fs::perms::group_read |
                                                 fs::perms::group_exec | fs::perms::others_exec);
        for (const char* id : {"toolu_1", "toolu_2", "toolu_3"})
            REQUIRE(call(ws, servers, "true", id).exit_code == 0);
    }
    const auto pids = deciding_pids(ws);
    REQUIRE(pids.size() == 3);
    CHECK(std::set<pid_t>(pids.begin(), pids.end()).size() == 3);  // three processes
    CHECK(servers.sockets() == 0);
    CHECK(servers.pids().empty());
}

TEST_CASE("hook server: a killed server's socket is stale, the next call decides and replaces it") {
    Workspace ws;
    Servers servers(ws);
    const pid_t killed = started_server(ws, servers);
    ::kill(killed, SIGKILL);
    REQUIRE(wait_gone(killed, 10'000));
    REQUIRE(servers.sockets() == 1);  // left behind
    const Ran after = call(ws, servers, "true", "toolu_3");
    CHECK_MESSAGE(after.exit_code == 0, after.err);
    CHECK(decision(after) == "allow");
    REQUIRE(call(ws, servers, "true", "toolu_4").exit_code == 0);
    const auto pids = deciding_pids(ws);
    REQUIRE(pids.size() == 4);
    const auto replacement = servers.pids();
    REQUIRE(replacement.size() == 1);
    CHECK(pids[1] == killed);
    CHECK(pids[2] != killed);                // decided in its own process
    CHECK(pids[2] != *replacement.begin());  //   ...which left a new server
    CHECK(pids[3] == *replacement.begin());
}

TEST_CASE("hook server: an approval provider that could run something starts no server") {
    Workspace ws;
    Servers servers(ws);
    for (const char* id : {"toolu_1", "toolu_2"}) {
        const Ran r = ws.airlock({"hook", "claude-code", "--approve", "allow"},
                                 bash_event(ws, "true", id).dump(), {servers.env()});
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    }
    CHECK(servers.sockets() == 0);
    // The positive control: the same calls with the default (the agent asks) leave one.
    REQUIRE(call(ws, servers, "true", "toolu_3").exit_code == 0);
    CHECK(servers.sockets() == 1);
}

TEST_CASE("hook server: it ends when idle and removes its socket") {
    Workspace ws;
    Servers servers(ws);
    const pid_t server = started_server(ws, servers, {"AIRLOCK_HOOK_SERVER_IDLE=1"});
    CHECK(wait_gone(server, 15'000));
    CHECK(servers.sockets() == 0);
}

TEST_CASE("hook server: SIGTERM ends it, its socket and lock removed") {
    Workspace ws;
    Servers servers(ws);
    const pid_t server = started_server(ws, servers);
    REQUIRE(servers.sockets() == 1);
    ::kill(server, SIGTERM);
    REQUIRE(wait_gone(server, 10'000));
    CHECK(servers.sockets() == 0);
    CHECK(servers.pids().empty());
    // The next call decides in its own process and leaves a new server.
    REQUIRE(call(ws, servers, "true", "toolu_3").exit_code == 0);
    const auto pids = deciding_pids(ws);
    REQUIRE(pids.size() == 3);
    CHECK(pids[1] == server);
    CHECK(pids[2] != server);
    CHECK(servers.sockets() == 1);
}

// --- in process: who is served, and what a caller does when a server fails it ---------------

namespace {

// A listener in a private directory (or at `at`), and the peer a child process connects from.
struct Listener {
    TempDir dir;
    fs::path path;
    UniqueFd fd;
    explicit Listener(fs::path at = {}) : path(at.empty() ? dir.path() / "s.sock" : at) {
        fd.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        auto a = unix_address(path);
        REQUIRE(a);
        REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a->address),
                       sizeof a->address) == 0);
        REQUIRE(::listen(fd.get(), 8) == 0);
    }
};

// gone: the process that connected has exited (and been reaped) by the time of the check; a
// child of its own holds the connection on.
enum class Confinement { none, no_new_privs, seccomp, user_namespace, gone };

// Forks a child that confines itself as asked, connects and waits for the parent to close.
// Returns whether the parent's check served it, or nullopt when the host refused the
// confinement itself (the child exits 77 before connecting).
std::optional<bool> check_peer(Confinement how) {
    Listener l;
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        bool ok = true;
        switch (how) {
            case Confinement::none:
            case Confinement::gone:
                break;
            case Confinement::no_new_privs:
                ok = ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0;
                break;
            case Confinement::seccomp: {
                sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
                sock_fprog prog{1, allow};
                ok = ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
                     ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
                break;
            }
            case Confinement::user_namespace:
                ok = ::unshare(CLONE_NEWUSER) == 0;
                break;
        }
        if (!ok) ::_exit(77);
        const int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
        auto a = unix_address(l.path);
        if (s < 0 || !a ||
            ::connect(s, reinterpret_cast<const sockaddr*>(&a->address), sizeof a->address) != 0)
            ::_exit(1);
        if (how == Confinement::gone && ::fork() != 0) ::_exit(0);  // the connection lives on
        char byte;
        (void)!::read(s, &byte, 1);  // until the parent closes
        ::_exit(0);
    }
    pollfd p{l.fd.get(), POLLIN, 0};
    std::optional<bool> served;
    int status = 0;
    bool reaped = false;
    if (::poll(&p, 1, 30'000) == 1) {
        UniqueFd conn(::accept4(l.fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
        REQUIRE(conn.valid());
        if (how == Confinement::gone) {
            REQUIRE(::waitpid(child, &status, 0) == child);
            reaped = true;
        }
        served = hooks::unconfined_peer(conn.get());
    }
    if (!reaped) ::waitpid(child, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) return std::nullopt;
    REQUIRE(served.has_value());
    return served;
}

}  // namespace

TEST_CASE("hook server: only an unconfined process of the same user is served") {
    // The positive control: a plain child is served.
    CHECK(check_peer(Confinement::none) == std::optional<bool>(true));
    CHECK(check_peer(Confinement::no_new_privs) == std::optional<bool>(false));
    CHECK(check_peer(Confinement::seccomp) == std::optional<bool>(false));
    CHECK(check_peer(Confinement::gone) == std::optional<bool>(false));
    const auto userns = check_peer(Confinement::user_namespace);
    if (!userns)
        not_applicable("hook server: a peer in a user namespace",
                       "this host refuses unprivileged user namespaces");
    else
        CHECK(*userns == false);
}

namespace {

// A scripted server: it takes one call, then does as told, and returns the call it read.
enum class Script { not_served, close_before_accepting, accept_then_close, answer };

std::optional<hooks::wire::Call> serve_once(int listen_fd, Script script) {
    UniqueFd conn(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    auto received = hooks::wire::read_call(conn.get());
    if (!received) return received;
    switch (script) {
        case Script::not_served:
            (void)send_all(conn.get(), "M");
            break;
        case Script::close_before_accepting:
            break;
        case Script::accept_then_close:
            (void)send_all(conn.get(), "A");
            break;
        case Script::answer:
            (void)send_all(conn.get(),
                           std::string("A") + hooks::wire::encode_answer({"out", "err", 2}));
            break;
    }
    return received;
}

hooks::CallOutcome against(Script script) {
    Listener l;
    std::optional<hooks::wire::Call> received;
    std::thread server([&] { received = serve_once(l.fd.get(), script); });
    char* environment[] = {const_cast<char*>("NAME=value"), nullptr};
    auto outcome =
        hooks::call_hook_server(l.path.c_str(), "the key", "{\"event\": true}", environment);
    server.join();
    REQUIRE(received.has_value());
    CHECK(received->key == "the key");
    CHECK(received->event == "{\"event\": true}");
    CHECK(received->environment == std::vector<std::string>{"NAME=value"});
    return outcome;
}

}  // namespace

TEST_CASE("hook server: a caller decides itself until accepted, and fails closed after") {
    using Kind = hooks::CallOutcome::Kind;
    CHECK(against(Script::not_served).kind == Kind::not_served);
    CHECK(against(Script::close_before_accepting).kind == Kind::not_served);
    const auto failed = against(Script::accept_then_close);
    REQUIRE(failed.kind == Kind::failed);
    CHECK(std::string_view(failed.reason).find("not decided again") != std::string_view::npos);
    const auto answered = against(Script::answer);
    REQUIRE(answered.kind == Kind::answered);
    CHECK(answered.answer.out == "out");
    CHECK(answered.answer.err == "err");
    CHECK(answered.answer.exit_code == 2);
    // No server at all: nothing to connect to.
    CHECK(hooks::call_hook_server("/nonexistent/airlock/hook.sock", "{}", "{}", nullptr).kind ==
          Kind::not_served);
}

TEST_CASE("hook server: through airlock, a refused call decides itself, a dropped one blocks") {
    Workspace ws;
    Servers servers(ws);
    const pid_t real = started_server(ws, servers);
    fs::path socket;
    for (const auto& e : fs::directory_iterator(servers.directory()))
        if (e.path().extension() == ".sock") socket = e.path();
    REQUIRE(!socket.empty());
    // A scripted server takes the real one's place, at its address.
    ::kill(real, SIGKILL);
    REQUIRE(wait_gone(real, 10'000));
    fs::remove(socket);
    const auto through = [&](Script script, const std::string& id) {
        Listener l(socket);
        std::optional<hooks::wire::Call> received;
        std::thread server([&] { received = serve_once(l.fd.get(), script); });
        const Ran r = call(ws, servers, "git status --short", id);
        server.join();
        // What the server was handed is the event the agent wrote, read once.
        REQUIRE(received.has_value());
        CHECK(json::parse(received->event)["tool_use_id"] == id);
        fs::remove(socket);
        return r;
    };

    // Accepted, then dropped: blocked with the reason, and not decided by the call itself.
    const Ran dropped = through(Script::accept_then_close, "toolu_3");
    CHECK(dropped.exit_code == 2);
    CHECK(decision(dropped) == "deny");
    CHECK(dropped.err.find("not decided again") != std::string::npos);
    CHECK(deciding_pids(ws).size() == 2);

    // Refused after the call had read its event: it decides itself, with that event (and then
    // leaves a new server, which the test's end stops).
    const Ran refused = through(Script::not_served, "toolu_4");
    REQUIRE_MESSAGE(refused.exit_code == 0, refused.err);
    CHECK(decision(refused) == "allow");
    const auto pids = deciding_pids(ws);
    REQUIRE(pids.size() == 3);
    CHECK(pids[2] != real);
}

TEST_CASE("hook server: the address in fixed buffers, and none for a command line too long") {
    TempDir dir;
    const fs::path runtime = dir.path() / "rt";
    fs::create_directories(runtime);
    fs::permissions(runtime, fs::perms::owner_all);
    const std::string runtime_env = "XDG_RUNTIME_DIR=" + runtime.string();
    char* environment[] = {const_cast<char*>(runtime_env.c_str()), nullptr};
    char* argv[] = {const_cast<char*>("airlock"), const_cast<char*>("hook"),
                    const_cast<char*>("claude-code"), nullptr};

    // The positive control: an address under the runtime directory, keyed by the arguments.
    hooks::RawHookServerAddress raw;
    REQUIRE(hooks::raw_hook_server_address(3, argv, environment, raw));
    const std::string_view key(raw.key, raw.key_size);
    CHECK(key.find(std::string_view("arg=claude-code\0", 16)) != std::string_view::npos);
    CHECK(std::string_view(raw.directory) == (runtime / "airlock").string());
    CHECK(std::string_view(raw.socket).starts_with((runtime / "airlock" / "hook-").string()));
    CHECK(std::string_view(raw.socket).ends_with(".sock"));
    CHECK(std::string_view(raw.lock).ends_with(".lock"));

    // A command line longer than the key's buffer: no address (every call decides itself).
    const std::string long_arg(hooks::RawHookServerAddress::kMaxKey, 'x');
    char* long_argv[] = {argv[0],
                         argv[1],
                         argv[2],
                         const_cast<char*>("--policy"),
                         const_cast<char*>(long_arg.c_str()),
                         nullptr};
    CHECK_FALSE(hooks::raw_hook_server_address(5, long_argv, environment, raw));

    // AIRLOCK_HOOK_SERVER=off in the environment given: none either.
    char off[] = "AIRLOCK_HOOK_SERVER=off";
    char* off_environment[] = {const_cast<char*>(runtime_env.c_str()), off, nullptr};
    CHECK_FALSE(hooks::raw_hook_server_address(3, argv, off_environment, raw));
}

}  // namespace airlock::test
