// End-to-end tests of the airlock binary: exit statuses, demo scenarios, bad input, the WAL.
#include <doctest/doctest.h>

#include <algorithm>

#include "airlock_runner.hpp"
#include "tests/support/not_applicable.hpp"

using airlock::test::find_record;
using airlock::test::has_record;
using airlock::test::process_with_marker_exists;
using airlock::test::read_text;
using airlock::test::Workspace;
using airlock::test::write_text;
namespace fs = std::filesystem;

TEST_CASE("a command's own exit status comes back, output streams through") {
    Workspace ws;
    auto ok = ws.airlock({"exec", "--", "echo", "hello"});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out == "hello\n");

    auto three = ws.airlock({"exec", "-c", "exit 3"});
    CHECK(three.exit_code == 3);

    auto json = ws.airlock({"exec", "--json", "-c", "echo out; echo err >&2; exit 5"});
    CHECK(json.exit_code == 5);
    auto j = json.json();
    CHECK(j["status"] == "failed");
    CHECK(j["exit_code"] == 5);
    CHECK(j["stdout"] == "out\n");
    CHECK(j["stderr"] == "err\n");
    CHECK(j["sandbox"]["active"] == true);
    CHECK(j["sandbox"]["adapter"] == "bwrap");
    CHECK(j["sandbox"]["effective"]["network"] == "off");
    CHECK(j["decision"]["decision"] == "allow");
    CHECK(j["risk"]["level"].is_string());
    CHECK(fs::exists(j["wal"].get<std::string>()));
}

TEST_CASE("a command killed by a signal exits 128+N") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "-c", "kill -TERM $$"});
    CHECK(r.exit_code == 128 + 15);
    CHECK(r.json()["status"] == "failed");
}

TEST_CASE("timeout: exit 124 and the command's process tree is gone") {
    Workspace ws;
    // The background child would create the file after the timeout if it survived.
    auto r = ws.airlock(
        {"exec", "--json", "--timeout", "1", "-c", "(sleep 3; touch survived) & sleep 30"});
    CHECK(r.exit_code == 124);
    CHECK(r.json()["status"] == "timeout");
    // Positive control: the same shape finishes when it has time.
    auto control = ws.airlock({"exec", "-c", "(touch control) & wait"});
    CHECK(control.exit_code == 0);
    CHECK(fs::exists(ws.path() / "control"));
    auto later = ws.airlock({"exec", "-c", "sleep 4"});  // outlives the would-be survivor
    CHECK(later.exit_code == 0);
    CHECK_FALSE(fs::exists(ws.path() / "survived"));
}

TEST_CASE("command not found exits 127, and nothing is sandboxed for it") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "--", "airlock-no-such-program"});
    CHECK(r.exit_code == 127);
    CHECK(r.json()["status"] == "failed");
    CHECK(r.err.find("airlock-no-such-program") != std::string::npos);
}

TEST_CASE("a command that looks like a bwrap option is run as a program") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "--", "--bind", "/", "/tmp/x"});
    CHECK(r.exit_code == 127);
}

TEST_CASE("demo 1: a file is written, then a command reads it") {
    Workspace ws;
    auto w = ws.airlock({"write", "notes/hello.txt"}, "hello from the agent\n");
    CHECK(w.exit_code == 0);
    CHECK(read_text(ws.path() / "notes/hello.txt") == "hello from the agent\n");
    auto r = ws.airlock({"exec", "--", "cat", "notes/hello.txt"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "hello from the agent\n");
    auto rd = ws.airlock({"read", "notes/hello.txt"});
    CHECK(rd.exit_code == 0);
    CHECK(rd.out == "hello from the agent\n");
}

TEST_CASE("demo 2: a call without a required parameter fails before anything runs") {
    Workspace ws;
    auto r = ws.airlock({"call", "--json", "file_write", R"({"content": "x"})"});
    CHECK(r.exit_code == 126);
    auto j = r.json();
    CHECK(j["status"] == "invalid");
    CHECK(j["message"].get<std::string>().find("\"path\"") != std::string::npos);
    auto records = ws.run_records(j["wal"]);
    CHECK(find_record(records, "call_finished")["data"]["status"] == "invalid");
    CHECK_FALSE(has_record(records, "file_written"));
    CHECK_FALSE(has_record(records, "policy_decided"));
}

TEST_CASE("demo 3: a policy rule denies a command, naming the rule and reason") {
    Workspace ws;
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow", "rules": [
        {"id": "no-curl", "decision": "deny", "tool": "shell_exec", "argv": ["curl"],
         "reason": "no network tools"}]})");
    auto r = ws.airlock({"exec", "--json", "--policy", (ws.outside() / "p.json").string(), "--",
                         "curl", "http://127.0.0.1:9/"});
    CHECK(r.exit_code == 126);
    auto j = r.json();
    CHECK(j["status"] == "denied");
    CHECK(j["decision"]["rule"] == "no-curl");
    CHECK(r.err.find("denied by policy rule \"no-curl\"") != std::string::npos);
    auto records = ws.run_records(j["wal"]);
    CHECK(find_record(records, "policy_decided")["data"]["decision"] == "deny");
    CHECK_FALSE(has_record(records, "exec_started"));
}

TEST_CASE("demo 4: an allowed command cannot write outside the workspace") {
    Workspace ws;
    // A script the guard cannot see into: the policy allows it, the sandbox must hold.
    const fs::path outside = "/var/tmp/airlock-e2e-" + ws.outside().filename().string();
    write_text(ws.path() / "install.sh", "echo pwned > \"$1\"\n");
    auto r = ws.airlock({"exec", "--json", "--", "sh", "install.sh", outside.string()});
    CHECK(r.exit_code != 0);
    CHECK(r.json()["decision"]["decision"] == "allow");
    CHECK(r.json()["status"] == "failed");
    CHECK(r.json()["stderr"].get<std::string>().find("Read-only file system") != std::string::npos);
    CHECK_FALSE(fs::exists(outside));
    // Positive control: the same script writing inside the workspace works.
    auto inside = ws.airlock({"exec", "--", "sh", "install.sh", (ws.path() / "inside").string()});
    CHECK(inside.exit_code == 0);
    CHECK(read_text(ws.path() / "inside") == "pwned\n");
}

TEST_CASE("the sandboxed command cannot write the WAL") {
    Workspace ws;
    // The marker is assembled at run time so that the command line itself does not contain it.
    auto r =
        ws.airlock({"exec", "--json", "-c", "m=forg; echo ${m}ed >> .airlock/runs/*/events.jsonl"});
    CHECK(r.exit_code != 0);
    CHECK(ws.wal_text().find("forged") == std::string::npos);
    auto control = ws.airlock({"exec", "-c", "m=fi; echo ${m}ne >> notes.txt"});
    CHECK(control.exit_code == 0);
    CHECK(read_text(ws.path() / "notes.txt") == "fine\n");
}

TEST_CASE("the child sees only descriptors 0, 1 and 2") {
    Workspace ws;
    auto r = ws.airlock({"exec", "-c", "ls /proc/$$/fd"});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "0\n1\n2\n");
}

TEST_CASE("bad input: empty argv is invalid, recorded, nothing runs") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "--"});
    CHECK(r.exit_code == 126);
    auto j = r.json();
    CHECK(j["status"] == "invalid");
    auto records = ws.run_records(j["wal"]);
    CHECK(find_record(records, "call_finished")["data"]["status"] == "invalid");
    CHECK_FALSE(has_record(records, "exec_started"));
}

TEST_CASE("bad input: an unknown tool is invalid and recorded") {
    Workspace ws;
    auto r = ws.airlock({"call", "--json", "shell_eval", R"({"command": "id"})"});
    CHECK(r.exit_code == 126);
    auto j = r.json();
    CHECK(j["status"] == "invalid");
    CHECK(j["message"].get<std::string>().find("unknown tool \"shell_eval\"") != std::string::npos);
    CHECK(find_record(ws.run_records(j["wal"]), "call_finished")["data"]["status"] == "invalid");
}

TEST_CASE("bad input: malformed arguments JSON is invalid and recorded") {
    Workspace ws;
    auto r = ws.airlock({"call", "--json", "shell_exec", R"({"argv": ["id")"});
    CHECK(r.exit_code == 126);
    CHECK(r.json()["status"] == "invalid");
}

TEST_CASE("bad input: a malformed policy stops airlock with file and line (exit 125)") {
    Workspace ws;
    const fs::path policy = ws.outside() / "broken.json";
    write_text(policy, "{\n  \"version\": 1,\n  \"default\": \"allow\"\n  \"rules\": []\n}\n");
    auto r = ws.airlock({"exec", "--json", "--policy", policy.string(), "--", "touch", "ran"});
    CHECK(r.exit_code == 125);
    auto j = r.json();
    CHECK(j["status"] == "error");
    CHECK(j["message"].get<std::string>().find("broken.json:4") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    auto records = ws.run_records(j["wal"]);
    CHECK(has_record(records, "config_error"));
    CHECK(has_record(records, "run_aborted"));
}

TEST_CASE("bad input: an unknown policy field is an error, never ignored (exit 125)") {
    Workspace ws;
    const fs::path policy = ws.outside() / "typo.json";
    write_text(policy, "{\"version\": 1, \"default\": \"allow\",\n \"rulez\": []}\n");
    auto r = ws.airlock({"exec", "--json", "--policy", policy.string(), "--", "touch", "ran"});
    CHECK(r.exit_code == 125);
    CHECK(r.json()["message"].get<std::string>().find("rulez") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    CHECK(has_record(ws.run_records(r.json()["wal"]), "config_error"));
}

TEST_CASE("bad input: write to a path escaping the workspace is refused") {
    Workspace ws;
    for (const std::string path : {"../escaped.txt", "a/../../escaped.txt", "/tmp/escaped.txt"}) {
        CAPTURE(path);
        auto r = ws.airlock({"write", "--json", path}, "payload");
        CHECK(r.exit_code == 126);
        CHECK(r.json()["status"] == "invalid");
        CHECK(find_record(ws.run_records(r.json()["wal"]), "call_finished")["data"]["status"] ==
              "invalid");
    }
    CHECK_FALSE(fs::exists(ws.outside() / "escaped.txt"));
}

TEST_CASE("write through a symlink that leads outside is refused") {
    Workspace ws;
    fs::create_directories(ws.outside() / "target");
    fs::create_directory_symlink(ws.outside() / "target", ws.path() / "link");
    auto r = ws.airlock({"write", "--json", "link/file.txt"}, "payload");
    CHECK(r.exit_code == 126);
    CHECK_FALSE(fs::exists(ws.outside() / "target" / "file.txt"));
    // Positive control: a real directory of the same name works.
    fs::remove(ws.path() / "link");
    auto ok = ws.airlock({"write", "link/file.txt"}, "payload");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(ws.path() / "link/file.txt") == "payload");
}

TEST_CASE("write into airlock's own state is refused") {
    Workspace ws;
    auto r = ws.airlock({"write", "--json", ".airlock/policy.json"}, "{}");
    CHECK(r.exit_code == 126);
    CHECK_FALSE(fs::exists(ws.path() / ".airlock/policy.json"));
}

TEST_CASE("sandbox unavailable: the call is blocked, never run without it") {
    Workspace ws;
    auto seatbelt = ws.airlock({"exec", "--json", "--sandbox", "seatbelt", "--", "touch", "ran"});
    CHECK(seatbelt.exit_code == 126);
    CHECK(seatbelt.json()["status"] == "sandbox_denied");
    auto none = ws.airlock({"exec", "--json", "--sandbox", "none", "--", "touch", "ran"});
    CHECK(none.exit_code == 126);
    CHECK(none.json()["status"] == "sandbox_denied");
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
}

TEST_CASE("sandbox none runs unconfined only when the policy allows it explicitly") {
    Workspace ws;
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow",
        "sandbox": {"adapter": "none", "required": false}})");
    auto r = ws.airlock({"exec", "--json", "--no-builtin-policy", "--policy",
                         (ws.outside() / "p.json").string(), "--", "touch", "ran"});
    CHECK(r.exit_code == 0);
    CHECK(r.json()["sandbox"]["active"] == false);
    CHECK(fs::exists(ws.path() / "ran"));
}

TEST_CASE("an ask answered by the deny provider is approval_denied") {
    Workspace ws;
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow", "rules": [
        {"id": "ask-touch", "decision": "ask", "tool": "shell_exec", "argv": ["touch"],
         "reason": "touching needs a yes"}]})");
    auto r = ws.airlock({"exec", "--json", "--approve", "deny", "--policy",
                         (ws.outside() / "p.json").string(), "--", "touch", "ran"});
    CHECK(r.exit_code == 126);
    auto j = r.json();
    CHECK(j["status"] == "approval_denied");
    CHECK(j["approval"]["provider"] == "deny");
    CHECK(j["approval"]["key"].get<std::string>().size() == 64);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    auto allowed = ws.airlock({"exec", "--json", "--approve", "allow", "--policy",
                               (ws.outside() / "p.json").string(), "--", "touch", "ran"});
    CHECK(allowed.exit_code == 0);
    CHECK(fs::exists(ws.path() / "ran"));
}

TEST_CASE("the WAL records every stage and never env values or file contents") {
    Workspace ws;
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow",
        "env": {"allow": ["PATH", "AIRLOCK_TEST_SECRET"]}})");
    // Checks the variable's length, so that its value never appears on the command line.
    auto r = ws.airlock(
        {"exec", "--json", "--no-builtin-policy", "--policy", (ws.outside() / "p.json").string(),
         "--", "sh", "-c", "test \"${#AIRLOCK_TEST_SECRET}\" = 16"},
        "", {"AIRLOCK_TEST_SECRET=s3cr3t-env-value"});
    CHECK(r.exit_code == 0);  // the variable reached the command...
    auto w = ws.airlock({"write", "secret.txt"}, "s3cr3t-file-content");
    CHECK(w.exit_code == 0);
    const std::string wal = ws.wal_text();
    CHECK(wal.find("s3cr3t-env-value") == std::string::npos);  // ...but not the log
    CHECK(wal.find("s3cr3t-file-content") == std::string::npos);

    auto records = ws.run_records(r.json()["wal"]);
    std::vector<std::string> types;
    for (const auto& rec : records)
        types.push_back(rec["type"]);
    for (const char* t :
         {"run_started", "call_received", "risk_scored", "policy_decided", "sandbox_prepared",
          "exec_started", "exec_finished", "call_finished", "run_finished"})
        CHECK_MESSAGE(std::find(types.begin(), types.end(), t) != types.end(), t);
    for (std::size_t i = 0; i < records.size(); ++i) {
        CHECK(records[i]["seq"] == i + 1);
        CHECK(records[i]["run_id"] == r.json()["run_id"]);
    }
}

TEST_CASE("--dry-run --json prints the plan and runs nothing") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--dry-run", "--json", "--", "touch", "ran"});
    CHECK(r.exit_code == 0);
    auto plan = nlohmann::json::parse(r.json()["stdout"].get<std::string>());
    CHECK(plan["profile"]["adapter"] == "bwrap");
    auto cmd = plan["command"];
    CHECK(cmd[0] == "bwrap");
    CHECK(cmd[cmd.size() - 2] == "touch");
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    CHECK_FALSE(fs::exists(ws.path() / ".airlock" / "runs"));
}

TEST_CASE("the sandboxed child runs with seccomp, no_new_privs and no capabilities") {
    Workspace ws;
    // Positive control: this test process itself is not already confined, so the values
    // below can only come from airlock's sandbox.
    const std::string own = read_text("/proc/self/status");
    REQUIRE(own.find("Seccomp:\t0") != std::string::npos);
    auto r = ws.airlock(
        {"exec", "--", "grep", "-E", "^(Seccomp|NoNewPrivs|CapEff):", "/proc/self/status"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("Seccomp:\t2") != std::string::npos);
    CHECK(r.out.find("NoNewPrivs:\t1") != std::string::npos);
    CHECK(r.out.find("CapEff:\t0000000000000000") != std::string::npos);
}

TEST_CASE("nothing the command started is left running, not even a setsid daemon") {
    Workspace ws;
    const std::string marker = "airlock-daemon-marker-" + ws.outside().filename().string();
    // The daemon announces itself before the command exits: proof that it did start.
    const std::string script = "setsid sh -c 'touch started; sleep 300; :' " + marker +
                               " </dev/null >/dev/null 2>&1 & until [ -e started ]; do :; done";
    for (const std::string adapter : {"bwrap", "none"}) {
        CAPTURE(adapter);
        fs::remove(ws.path() / "started");
        write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow",
            "sandbox": {"adapter": ")" + adapter +
                                                R"(", "required": false}})");
        auto r = ws.airlock({"exec", "--json", "--no-builtin-policy", "--policy",
                             (ws.outside() / "p.json").string(), "--", "sh", "-c", script});
        CHECK(r.exit_code == 0);
        CHECK(fs::exists(ws.path() / "started"));
        CHECK_FALSE(process_with_marker_exists(marker));
    }
}

TEST_CASE("a fork bomb is contained and cleaned up") {
    Workspace ws;
    const std::string script = "bomb-" + ws.outside().filename().string() + ".sh";
    write_text(ws.path() / script, "f(){ f | f & }; f; wait\n");
    auto r = ws.airlock({"exec", "--json", "--timeout", "5", "--", "sh", script});
    const auto processes = r.json()["sandbox"]["effective"]["limits"]["processes"];
    CHECK(processes["max"].get<int>() > 0);
    if (processes["enforced_by"] == "none")
        airlock::test::not_applicable("a pids cgroup for the fork bomb", processes["why"].dump());
    // Whatever the bomb did, none of its processes outlive the call.
    CHECK_FALSE(process_with_marker_exists(script));
    auto after = ws.airlock({"exec", "--", "true"});  // positive control: the machine still works
    CHECK(after.exit_code == 0);
}

TEST_CASE("a token on the command line is redacted in the WAL, not in the caller's result") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "--", "echo", "AKIAIOSFODNN7EXAMPLE"});
    CHECK(r.exit_code == 0);
    CHECK(r.json()["stdout"] == "AKIAIOSFODNN7EXAMPLE\n");  // the caller gets its own output
    const std::string wal = ws.wal_text();
    CHECK(wal.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
    CHECK(wal.find("[REDACTED:aws-access-key-id]") != std::string::npos);
    // The redacted log still verifies: the chain is computed over what was written.
    auto verify = ws.airlock({"wal", "verify", r.json()["wal"].get<std::string>()});
    CHECK(verify.exit_code == 0);
}

TEST_CASE("the policy's own secret patterns are redacted in the WAL, and a bad one stops airlock") {
    Workspace ws;
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow",
        "wal": {"redact": ["corp-secret-[0-9]+"]}})");
    auto r = ws.airlock({"exec", "--json", "--policy", (ws.outside() / "p.json").string(), "--",
                         "echo", "corp-secret-4242", "plain-word"});
    CHECK(r.exit_code == 0);
    const std::string wal = ws.wal_text();
    CHECK(wal.find("corp-secret-4242") == std::string::npos);
    CHECK(wal.find("[REDACTED:policy]") != std::string::npos);
    CHECK(wal.find("plain-word") != std::string::npos);  // positive control: the rest is kept

    write_text(ws.outside() / "bad.json",
               "{\"version\": 1, \"default\": \"allow\",\n"
               " \"wal\": {\"redact\": [\"(unclosed\"]}}\n");
    auto bad = ws.airlock(
        {"exec", "--json", "--policy", (ws.outside() / "bad.json").string(), "--", "touch", "ran"});
    CHECK(bad.exit_code == 125);
    CHECK(bad.json()["message"].get<std::string>().find("bad.json:2") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
}

TEST_CASE("the run's first record names version, host, user, workspace and policy digest") {
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "--", "true"});
    const auto records = ws.run_records(r.json()["wal"]);
    REQUIRE_FALSE(records.empty());
    const auto& first = records.front();
    CHECK(first["type"] == "run_started");
    for (const char* key : {"airlock_version", "host", "user", "workspace"})
        CHECK_MESSAGE(first["data"][key].is_string(), key);
    CHECK(first["data"]["policy_digest"].get<std::string>().size() == 64);
    CHECK(records.back()["type"] == "run_finished");
}
