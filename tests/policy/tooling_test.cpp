#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "policy/lint.hpp"
#include "policy/replay.hpp"
#include "policy_test_support.hpp"

using namespace policy_test;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "airlock-policy-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() { fs::remove_all(path); }
    fs::path write(const std::string& name, const std::string& text) const {
        fs::create_directories((path / name).parent_path());
        std::ofstream(path / name) << text;
        return path / name;
    }
};

bool has_finding(const std::vector<airlock::policy::Finding>& fs, const std::string& code,
                 const std::string& field) {
    for (const auto& f : fs)
        if (f.code == code && f.field == field) return true;
    return false;
}

struct Run {
    int status = -1;
    std::string out;
};

// Runs the airlock binary with a clean user configuration; captures stdout and stderr.
Run run_airlock(const std::string& args, const fs::path& home) {
    const std::string cmd =
        "XDG_CONFIG_HOME='" + home.string() + "' '" AIRLOCK_BIN "' " + args + " 2>&1";
    Run r;
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
        r.out.append(buf, n);
    const int st = ::pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

const char* kOld = R"({"version": 1, "default": "allow", "rules": [
  {"id": "no-curl", "decision": "deny", "argv": ["curl"]}]})";
const char* kNew = R"({"version": 1, "default": "allow", "rules": [
  {"id": "no-curl", "decision": "deny", "argv": ["curl"]},
  {"id": "ask-push", "decision": "ask", "argv": ["git", "push"], "reason": "pushes are reviewed"},
  {"id": "env-files", "decision": "deny", "path": "**/.env"}]})";

}  // namespace

TEST_CASE("lint: shadowed allows, over-broad allows, clean files") {
    const std::string text = R"({"version": 1, "default": "ask", "rules": [
      {"id": "no-git", "decision": "deny", "argv": ["git"]},
      {"id": "git-status", "decision": "allow", "argv": ["git", "status"]},
      {"id": "ask-npm", "decision": "ask", "argv": ["npm", "*"]},
      {"id": "npm-test", "decision": "allow", "argv": ["npm", "test"], "exact": true},
      {"id": "make-ok", "decision": "allow", "argv": ["make", "test"]},
      {"id": "anything", "decision": "allow", "argv": ["**"]},
      {"id": "shells", "decision": "allow", "argv": [["bash", "ls"]]},
      {"id": "sudo-exact", "decision": "allow", "argv": ["sudo", "-v"], "exact": true},
      {"id": "all-writes", "decision": "allow", "tool": "file_write"},
      {"id": "esc-deny", "decision": "deny", "argv": ["rm"], "require_escalated": true}]})";
    const auto f = airlock::policy::lint_policy(text, "p.json", test_workspace());
    CHECK(has_finding(f, "shadowed", "rules[1]"));
    CHECK(has_finding(f, "shadowed", "rules[3]"));
    CHECK_FALSE(has_finding(f, "shadowed", "rules[4]"));  // positive control
    CHECK(has_finding(f, "over-broad", "rules[5]"));
    CHECK(has_finding(f, "over-broad", "rules[6]"));
    CHECK_FALSE(has_finding(f, "over-broad", "rules[7]"));  // exact, narrow
    CHECK(has_finding(f, "over-broad", "rules[8]"));
    CHECK(has_finding(f, "no-effect", "rules[9].require_escalated"));
    CHECK_FALSE(airlock::policy::has_errors(f));

    const auto clean = airlock::policy::lint_policy(kNew, "n.json", test_workspace());
    CHECK(clean.empty());
    const auto broken =
        airlock::policy::lint_policy("{\"version\": 1, \"x\": 1}", "b.json", test_workspace());
    REQUIRE(broken.size() == 1);
    CHECK(broken[0].render() ==
          "b.json:1:21: x: unknown field; expected one of: version, default, "
          "rules, guard, sandbox, limits, approvals, env, wal");
}

TEST_CASE("cases files: calls, expectations and unreadable lines with their number") {
    TempDir dir;
    const auto file =
        dir.write("cases.jsonl",
                  "# comment\n"
                  "{\"argv\": [\"git\", \"push\"], \"expect\": \"ask\", \"name\": \"push\"}\n"
                  "\n"
                  "{\"tool\": \"file_read\", \"path\": \"a/.env\", \"expect\": \"deny\"}\n"
                  "not json\n"
                  "{\"argv\": [\"ls\"], \"expect\": \"maybe\"}\n"
                  "{\"tool\": \"ftp\", \"argv\": [\"x\"]}\n");
    auto r = airlock::policy::read_cases(file);
    REQUIRE(r.ok());
    REQUIRE(r->calls.size() == 2);
    CHECK(r->calls[0].name == "push");
    CHECK(r->calls[0].origin == file.string() + ":2");
    CHECK(r->calls[1].call.tool == Tool::file_read);
    REQUIRE(r->problems.size() == 3);
    CHECK(r->problems[0] == file.string() + ":5: not valid JSON");
    CHECK(r->problems[1] == file.string() + ":6: expect: must be allow, ask or deny");
    CHECK(r->problems[2].rfind(file.string() + ":7: tool:", 0) == 0);
}

TEST_CASE("diff on a WAL directory lists the calls whose decision changes") {
    TempDir dir;
    auto event = [](int seq, const std::string& type, const std::string& data) {
        return "{\"v\":1,\"seq\":" + std::to_string(seq) +
               ",\"ts\":\"t\",\"run_id\":\"r\",\"type\":\"" + type +
               "\",\"call_id\":\"c1\",\"data\":" + data + ",\"prev\":\"x\"}\n";
    };
    dir.write("ws/.airlock/runs/r1/events.jsonl",
              event(1, "call_received", R"({"tool":"shell_exec","argv":["git","push"],"cwd":""})") +
                  event(2, "policy_decided", R"({"decision":"allow"})") +
                  event(3, "call_received", R"({"tool":"shell_exec","argv":["ls"]})"));
    dir.write("ws/.airlock/runs/r2/events.jsonl",
              event(1, "call_received",
                    R"({"tool":"file_write","path":"app/.env","size":3,"sha256":"ab"})") +
                  event(2, "call_received", R"({"tool":"shell_exec","argv":["curl","x"]})"));
    auto input = airlock::policy::read_wal_calls(dir.path);
    REQUIRE(input.ok());
    CHECK(input->problems.empty());
    REQUIRE(input->calls.size() == 4);
    auto before = load({{"old", kOld}});
    auto after = load({{"new", kNew}});
    auto d = airlock::policy::diff_policies(before, after, input->calls);
    CHECK(d.total == 4);
    REQUIRE(d.changes.size() == 2);
    CHECK(d.stricter == 2);
    CHECK(d.changes[0].after.rule == "ask-push");
    CHECK(d.changes[0].before.decision == Decision::allow);
    CHECK(d.changes[1].after.rule == "env-files");
    CHECK(d.changes[1].recorded.origin.find("r2/events.jsonl:1") != std::string::npos);
    // Positive control: a policy against itself changes nothing.
    CHECK(airlock::policy::diff_policies(after, after, input->calls).changes.empty());
}

TEST_CASE("airlock policy: exit codes and output of check, lint, test and diff") {
    TempDir dir;
    const auto old_file = dir.write("old.json", kOld);
    const auto new_file = dir.write("new.json", kNew);
    const auto bad_file = dir.write(
        "bad.json", "{\"version\": 1,\n  \"rules\": [{\"id\": \"x\", \"decision\": \"nah\"}]}");
    const auto cases = dir.write("cases.jsonl",
                                 "{\"argv\": [\"git\", \"push\"], \"expect\": \"ask\"}\n"
                                 "{\"argv\": [\"curl\", \"x\"], \"expect\": \"deny\"}\n");
    const auto failing =
        dir.write("failing.jsonl", "{\"argv\": [\"git\", \"push\"], \"expect\": \"allow\"}\n");
    const auto broken =
        dir.write("broken.jsonl", "{\"argv\": [\"curl\"], \"expect\": \"deny\"}\n{oops\n");
    const std::string ws = " --workspace '" + dir.path.string() + "'";
    const fs::path home = dir.path / "config";

    auto check = run_airlock("policy check --json --no-builtin-policy --policy '" +
                                 new_file.string() + "'" + ws + " -- git push origin",
                             home);
    CHECK(check.status == 0);
    CHECK(check.out.find("\"decision\": \"ask\"") != std::string::npos);
    CHECK(check.out.find("\"rule\": \"ask-push\"") != std::string::npos);
    CHECK(check.out.find("\"segments\"") != std::string::npos);

    auto bad = run_airlock("policy check --policy '" + bad_file.string() + "' -- ls", home);
    CHECK(bad.status == 125);
    CHECK(bad.out.find("bad.json:2:37: rules[0].decision: \"nah\" is not allow, ask or deny") !=
          std::string::npos);

    CHECK(run_airlock("policy lint '" + new_file.string() + "'", home).status == 0);
    CHECK(run_airlock("policy lint '" + bad_file.string() + "'", home).status == 125);

    auto pass = run_airlock(
        "policy test '" + new_file.string() + "' --cases '" + cases.string() + "'", home);
    CHECK(pass.status == 0);
    CHECK(pass.out.find("2 of 2 cases pass") != std::string::npos);
    auto fail = run_airlock(
        "policy test '" + new_file.string() + "' --cases '" + failing.string() + "'", home);
    CHECK(fail.status == 1);
    CHECK(fail.out.find("expected allow, got ask by rule ask-push") != std::string::npos);
    auto unreadable = run_airlock(
        "policy test '" + new_file.string() + "' --cases '" + broken.string() + "'", home);
    CHECK(unreadable.status == 125);
    CHECK(unreadable.out.find("broken.jsonl:2: not valid JSON") != std::string::npos);
    auto skipped = run_airlock(
        "policy test '" + new_file.string() + "' --keep-going --cases '" + broken.string() + "'",
        home);
    CHECK(skipped.status == 0);
    CHECK(skipped.out.find("1 lines skipped") != std::string::npos);

    auto diff = run_airlock("policy diff '" + old_file.string() + "' '" + new_file.string() +
                                "' --cases '" + cases.string() + "'" + ws,
                            home);
    CHECK(diff.status == 1);
    CHECK(diff.out.find("allow -> ask  (old: <default>; new: ask-push") != std::string::npos);
    CHECK(diff.out.find("1 of 2 calls change: 1 stricter, 0 looser") != std::string::npos);
    auto same = run_airlock("policy diff '" + new_file.string() + "' '" + new_file.string() +
                                "' --cases '" + cases.string() + "'",
                            home);
    CHECK(same.status == 0);
}

TEST_CASE("airlock policy check --host: the network rules' answer, bad input refused") {
    TempDir dir;
    const auto net =
        dir.write("net.json",
                  R"({"version": 1, "sandbox": {"network": {"allow": ["pypi.org", "*.npmjs.org",
           "127.0.0.1:8080"], "deny": ["bad.npmjs.org"], "unknown": "ask"}}})");
    const fs::path home = dir.path / "config";
    const std::string base = "policy check --no-builtin-policy --policy '" + net.string() + "' ";
    auto allow = run_airlock(base + "--host pypi.org", home);
    CHECK(allow.status == 0);
    CHECK(allow.out.find("pypi.org:443: allow") != std::string::npos);
    auto deny = run_airlock(base + "--json --host bad.npmjs.org:443", home);
    CHECK(deny.status == 0);
    CHECK(deny.out.find("\"decision\": \"deny\"") != std::string::npos);
    CHECK(deny.out.find("\"rule\": \"deny \\\"bad.npmjs.org\\\"\"") != std::string::npos);
    CHECK(run_airlock(base + "--host example.com", home).out.find(": ask") != std::string::npos);
    // A name allowed by name, resolving to loopback, needs the address entry (with its port).
    auto loop = run_airlock(base + "--host registry.npmjs.org:8080 --address 127.0.0.1", home);
    CHECK(loop.out.find(": allow") != std::string::npos);
    loop = run_airlock(base + "--host registry.npmjs.org:443 --address 127.0.0.1", home);
    CHECK(loop.out.find(": deny") != std::string::npos);
    CHECK(loop.out.find("loopback") != std::string::npos);
    // Bad input: exit 125 with a message, nothing decided.
    for (const std::string bad :
         {"--host 'a.org:0'", "--host 'a.org:x'", "--host '[::1'", "--host a.org --address nope",
          "--address 1.2.3.4 -- ls", "--host a.org -- ls"})
        CHECK_MESSAGE(run_airlock(base + bad, home).status == 125, bad);
}
