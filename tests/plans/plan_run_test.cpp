// airlock run, end to end with the real binary: nothing happens before the whole plan is
// valid and allowed; failures stop the plan; rollback and resume.
#include <doctest/doctest.h>

#include "airlock_runner.hpp"
#include "plan_files.hpp"

using namespace airlock::test;
using nlohmann::json;

namespace {

json write_step(const std::string& id, const std::string& path, const std::string& content) {
    return {{"id", id}, {"tool", "file_write"}, {"args", {{"path", path}, {"content", content}}}};
}

json shell_step(const std::string& id, const std::string& command) {
    return {{"id", id}, {"tool", "shell_exec"}, {"args", {{"command", command}}}};
}

Ran run_plan(const Workspace& ws, const json& plan, std::vector<std::string> extra = {}) {
    write_text(ws.outside() / "plan.json", plan.dump(2));
    std::vector<std::string> args = {"run", (ws.outside() / "plan.json").string(), "--json",
                                     "--approve", "deny"};
    args.insert(args.end(), extra.begin(), extra.end());
    return ws.airlock(args);
}

}  // namespace

TEST_CASE("an invalid step 5 fails the plan before step 1 runs") {
    Workspace ws;
    json steps = json::array();
    for (int i = 1; i <= 4; ++i)
        steps.push_back(write_step("w" + std::to_string(i), "f" + std::to_string(i) + ".txt", "x"));
    steps.push_back({{"id", "w5"}, {"tool", "file_write"}, {"args", {{"content", "x"}}}});
    const Ran r = run_plan(ws, {{"steps", steps}});
    CHECK(r.exit_code == 126);
    const json j = r.json();
    CHECK(j["status"] == "invalid");
    CHECK(j["rejection"]["step"] == "w5");
    CHECK(j["rejection"]["message"].get<std::string>().find("\"path\"") != std::string::npos);
    CHECK(r.err.find("step 5 \"w5\"") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "f1.txt"));
    const auto records = ws.run_records(j["wal"]);
    CHECK(has_record(records, "plan_rejected"));
    CHECK(find_record(records, "plan_rejected")["data"]["status"] == "invalid");
    CHECK_FALSE(has_record(records, "call_received"));
    // Positive control: the same plan with step 5 fixed writes all five files.
    steps[4]["args"]["path"] = "f5.txt";
    CHECK(run_plan(ws, {{"steps", steps}}).exit_code == 0);
    CHECK(fs::exists(ws.path() / "f1.txt"));
    CHECK(fs::exists(ws.path() / "f5.txt"));
}

TEST_CASE("a deny anywhere fails the plan before side effects and names the step and rule") {
    Workspace ws;
    json steps = {write_step("w1", "one.txt", "1"),
                  shell_step("nuke", "rm -rf / --no-preserve-root")};
    const Ran r = run_plan(ws, {{"steps", steps}});
    CHECK(r.exit_code == 126);
    const json j = r.json();
    CHECK(j["status"] == "denied");
    CHECK(j["rejection"]["step"] == "nuke");
    CHECK_FALSE(j["rejection"]["rule"].get<std::string>().empty());
    CHECK(r.err.find("denied by policy rule") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "one.txt"));
    CHECK(find_record(ws.run_records(j["wal"]), "plan_rejected")["data"]["status"] == "denied");
    // A check command is preflighted too.
    json checked = write_step("w1", "one.txt", "1");
    checked["checks"] = {{{"command", {{"command", "rm -rf / --no-preserve-root"}}}}};
    CHECK(run_plan(ws, {{"steps", {checked}}}).json()["status"] == "denied");
    CHECK_FALSE(fs::exists(ws.path() / "one.txt"));
}

TEST_CASE(
    "expect checks exit_code and stdout_contains and stdout_json with schema and stops the plan") {
    Workspace ws;
    json exit3 = shell_step("exit3", "exit 3");
    exit3["expect"] = {{"exit_code", 3}};
    json hello = shell_step("hello", "echo hello world");
    hello["expect"] = {{"stdout_contains", "world"}};
    json jsonout = shell_step("json", R"(echo '{"name": "x", "n": 1}')");
    jsonout["expect"] = {{"stdout_json", {{"type", "object"}, {"required", {"name"}}}}};
    const Ran ok = run_plan(ws, {{"steps", {exit3, hello, jsonout}}});
    CHECK(ok.exit_code == 0);
    CHECK(ok.json()["status"] == "ok");
    CHECK(ok.out.find('\n') == ok.out.size() - 1);  // one JSON object, nothing else

    struct Case {
        json step;
        std::string kind;
    };
    json drift = shell_step("drift", "echo name=x");
    drift["expect"] = {{"stdout_json", true}};
    json schema = shell_step("schema", R"(echo '{"n": 1}')");
    schema["expect"] = {{"stdout_json", {{"required", {"name"}}}}};
    json contains = shell_step("contains", "echo hello");
    contains["expect"] = {{"stdout_contains", "bye"}};
    json code = shell_step("code", "exit 4");
    json file_check = shell_step("file-check", "true");
    file_check["checks"] = {{{"file_contains", {{"path", "none.txt"}, {"text", "x"}}}}};
    json command_check = shell_step("command-check", "true");
    command_check["checks"] = {{{"command", {{"argv", {"false"}}}}}};
    const Case cases[] = {{drift, "contract_drift"},     {schema, "schema"},
                          {contains, "stdout_contains"}, {code, "exit_code"},
                          {file_check, "check"},         {command_check, "check"}};
    for (const auto& c : cases) {
        CAPTURE(c.kind);
        const Ran r = run_plan(ws, {{"steps", {c.step, write_step("after", "after.txt", "x")}}});
        CHECK(r.exit_code == 1);
        const json j = r.json();
        CHECK(j["status"] == "failed");
        CHECK(j["steps"][0]["status"] == "failed");
        CHECK(j["steps"][0]["failure"] == c.kind);
        CHECK(j["steps"][1]["status"] == "not_run");
        CHECK_FALSE(fs::exists(ws.path() / "after.txt"));
        CHECK(find_record(ws.run_records(j["wal"]), "step_finished")["data"]["failure"]["kind"] ==
              c.kind);
    }
}

TEST_CASE("rollback restores byte-identical files and modes and removes created ones") {
    Workspace ws;
    const std::string binary("a\0b\xff\n", 5);
    write_text(ws.path() / "keep.bin", binary);
    fs::permissions(ws.path() / "keep.bin", fs::perms(0640));
    write_text(ws.path() / "dir/old.txt", "old\n");
    const std::string before = tree_hash(ws.path());

    json steps = {write_step("w1", "keep.bin", "replaced"), write_step("w2", "dir/old.txt", "new"),
                  write_step("w3", "new/deep/file.txt", "created"),
                  write_step("w4", "keep.bin", "replaced twice"), shell_step("fail", "exit 7")};
    const Ran r = run_plan(ws, {{"steps", steps}, {"rollback_on_failure", true}});
    CHECK(r.exit_code == 2);
    const json j = r.json();
    CHECK(j["status"] == "rolled_back");
    CHECK(j["rollback"]["undone"].size() == 4);
    CHECK(tree_hash(ws.path()) == before);
    CHECK(read_text(ws.path() / "keep.bin") == binary);
    CHECK(mode_of(ws.path() / "keep.bin") == 0640);
    CHECK_FALSE(fs::exists(ws.path() / "new"));
    const auto undos = of_type(ws.run_records(j["wal"]), "undo");
    REQUIRE(undos.size() == 4);
    CHECK(undos[0]["data"]["target"]["call_id"] == "c4");  // newest first
    CHECK(undos[3]["data"]["target"]["call_id"] == "c1");

    // Positive control: without rollback_on_failure the writes stay.
    const Ran kept = run_plan(ws, {{"steps", steps}});
    CHECK(kept.json()["status"] == "failed");
    CHECK(tree_hash(ws.path()) != before);
    CHECK(read_text(ws.path() / "new/deep/file.txt") == "created");
}

TEST_CASE("resume skips exactly the steps that succeeded and runs the rest once") {
    Workspace ws;
    json steps = {shell_step("s1", "echo s1 >> trace"), shell_step("s2", "echo s2 >> trace"),
                  shell_step("gate", "test -f go"), shell_step("s4", "echo s4 >> trace")};
    const Ran first = run_plan(ws, {{"steps", steps}});
    CHECK(first.exit_code == 1);
    const std::string run = first.json()["run_id"];
    CHECK(read_text(ws.path() / "trace") == "s1\ns2\n");

    write_text(ws.path() / "go", "");
    const Ran second = run_plan(ws, {{"steps", steps}}, {"--resume", run});
    CHECK(second.exit_code == 0);
    const json j = second.json();
    CHECK(j["steps"][0]["status"] == "skipped_replayed");
    CHECK(j["steps"][1]["status"] == "skipped_replayed");
    CHECK(j["steps"][2]["status"] == "ok");
    CHECK(j["steps"][3]["status"] == "ok");
    CHECK(read_text(ws.path() / "trace") == "s1\ns2\ns4\n");
    // The pointer names the original step_finished record of s1.
    const json from = j["steps"][0]["replayed_from"];
    CHECK(from["run_id"] == run);
    const auto original = ws.run_records(first.json()["wal"]);
    const json& rec = original.at(from["seq"].get<std::size_t>() - 1);
    CHECK(rec["type"] == "step_finished");
    CHECK(rec["data"]["step"] == "s1");
    CHECK(rec["data"]["status"] == "ok");
    CHECK(of_type(ws.run_records(j["wal"]), "skipped_replayed").size() == 2);

    // Resuming the resumed run replays everything, pointing at the original records.
    const Ran third = run_plan(ws, {{"steps", steps}}, {"--resume", "last"});
    CHECK(third.json()["steps"][0]["replayed_from"]["run_id"] == run);
    const json third_json = third.json();  // the loop must not iterate into a temporary
    for (const auto& s : third_json["steps"])
        CHECK(s["status"] == "skipped_replayed");
    CHECK(read_text(ws.path() / "trace") == "s1\ns2\ns4\n");
}

TEST_CASE("a rolled-back run has nothing to resume") {
    Workspace ws;
    json steps = {write_step("w1", "a.txt", "a"), shell_step("gate", "test -f go")};
    const Ran first = run_plan(ws, {{"steps", steps}, {"rollback_on_failure", true}});
    CHECK(first.json()["status"] == "rolled_back");
    write_text(ws.path() / "go", "");
    const Ran second = run_plan(ws, {{"steps", steps}}, {"--resume", first.json()["run_id"]});
    CHECK(second.json()["steps"][0]["status"] == "ok");
    CHECK(read_text(ws.path() / "a.txt") == "a");
}

TEST_CASE("the WAL never contains file content old or new") {
    Workspace ws;
    const std::string old_marker = "old-content-7f3a91c2";
    const std::string new_marker = "new-content-b81e44d0";
    write_text(ws.path() / "secret.txt", old_marker);
    const Ran r = run_plan(
        ws, {{"steps", {write_step("w", "secret.txt", new_marker), shell_step("fail", "exit 1")}},
             {"rollback_on_failure", true}});
    CHECK(r.json()["status"] == "rolled_back");
    CHECK(read_text(ws.path() / "secret.txt") == old_marker);
    const std::string wal = ws.wal_text();
    CHECK_FALSE(wal.empty());
    CHECK(wal.find(old_marker) == std::string::npos);
    CHECK(wal.find(new_marker) == std::string::npos);
    // Positive control: the old content is kept, in a blob beside the log, mode 0600.
    const fs::path blobs = fs::path(r.json()["wal"].get<std::string>()).parent_path() / "blobs";
    bool found = false;
    for (const auto& e : fs::directory_iterator(blobs))
        if (read_text(e.path()) == old_marker) {
            found = true;
            CHECK(mode_of(e.path()) == 0600);
        }
    CHECK(found);
}

TEST_CASE("progress and summaries stay off stdout without --json") {
    Workspace ws;
    write_text(ws.outside() / "plan.json",
               json({{"steps", {shell_step("say", "echo should-not-appear")}}}).dump());
    const Ran r = ws.airlock({"run", (ws.outside() / "plan.json").string()});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
}

TEST_CASE("--approve-upfront asks every ask before the first step, and uses each answer once") {
    Workspace ws;
    // An exec provider that counts how often it is asked and approves once each time.
    write_text(ws.outside() / "approver.sh",
               "#!/bin/sh\ncat >/dev/null\necho asked >> \"$0.count\"\n"
               "echo '{\"decision\": \"approved\", \"reason\": \"test\"}'\n");
    fs::permissions(ws.outside() / "approver.sh", fs::perms::owner_all);
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow", "rules": [
        {"id": "ask-touch", "decision": "ask", "tool": "shell_exec", "argv": ["touch"],
         "reason": "touching needs a yes"}]})");
    const json plan = {{"steps",
                        {write_step("w1", "one.txt", "1"), shell_step("t1", "touch two.txt"),
                         shell_step("t2", "touch three.txt")}}};
    write_text(ws.outside() / "plan.json", plan.dump(2));
    auto args = [&](const std::string& provider) {
        return std::vector<std::string>{
            "run",      (ws.outside() / "plan.json").string(), "--json",    "--approve-upfront",
            "--policy", (ws.outside() / "p.json").string(),    "--approve", provider};
    };
    // Denied up front: nothing runs, not even the unasked first step.
    const Ran denied = ws.airlock(args("deny"));
    CHECK(denied.exit_code == 126);
    CHECK(denied.json()["status"] == "approval_denied");
    CHECK(denied.json()["rejection"]["step"] == "t1");
    CHECK_FALSE(fs::exists(ws.path() / "one.txt"));

    // Approved up front: the provider is asked exactly twice, before any step, and each
    // approval is used by its own step.
    const Ran ok = ws.airlock(args("exec:" + (ws.outside() / "approver.sh").string()));
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(ws.path() / "two.txt"));
    CHECK(fs::exists(ws.path() / "three.txt"));
    CHECK(read_text(ws.outside() / "approver.sh.count") == "asked\nasked\n");
    const auto records = ws.run_records(ok.json()["wal"]);
    std::size_t first_step = records.size(), last_answer = 0, in_advance_used = 0;
    for (std::size_t i = 0; i < records.size(); ++i) {
        const auto& r = records[i];
        if (r["type"] == "step_started" && first_step == records.size()) first_step = i;
        if (r["type"] == "approval_answered" && r["call_id"] == "") last_answer = i;
        if (r["type"] == "approval_answered" && r["call_id"] != "" &&
            r["data"].value("in_advance", false))
            ++in_advance_used;
    }
    CHECK(last_answer < first_step);
    CHECK(in_advance_used == 2);
}
