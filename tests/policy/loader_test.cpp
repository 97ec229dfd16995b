#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>

#include "policy/policy.hpp"
#include "policy_test_support.hpp"

using namespace policy_test;
namespace fs = std::filesystem;

TEST_CASE("the built-in policy loads and has the documented settings") {
    auto p = load({{"builtin", std::string(airlock::policy::builtin_policy_text())}});
    CHECK(p.sandbox().adapter == "auto");
    CHECK(p.sandbox().required);
    CHECK_FALSE(p.sandbox().network);
    CHECK(p.limits().timeout_seconds == 120);
    CHECK(p.approvals().max_repeated_denials == 2);
    const auto& allow = p.env().allow;
    for (const char* key : {"PATH", "HOME", "LANG", "LC_ALL", "TERM", "TZ", "USER"})
        CHECK(std::find(allow.begin(), allow.end(), key) != allow.end());
    CHECK(p.layer_names() == std::vector<std::string>{"builtin"});
}

TEST_CASE("the built-in policy's examples hold (the suite checks them, not every start)") {
    const std::string text(airlock::policy::builtin_policy_text());
    // Under another name the layer is an ordinary file: its examples are checked at load.
    CHECK(load({{"default.json", text}}).layer_names() == std::vector<std::string>{"default.json"});
    // Positive control: a failing example is reported, also for a changed text named builtin.
    std::string broken = text;
    const std::string example = R"("match": [".git/hooks/pre-commit"])";
    const auto at = broken.find(example);
    REQUIRE(at != std::string::npos);
    broken.replace(at, example.size(), R"("match": ["src/main.c"])");
    CHECK(load_error({{"default.json", broken}}).find("is not matched by rule") !=
          std::string::npos);
    CHECK(load_error({{"builtin", broken}}).find("is not matched by rule") != std::string::npos);
}

TEST_CASE("load errors name file, line, column and field") {
    struct Case {
        const char* text;
        const char* error;
    };
    const Case cases[] = {
        {"{\"version\": 1, \"rules\": [], \"colour\": 1}",
         "p.json:1:39: colour: unknown field; expected one of: version, default, rules, guard, "
         "sandbox, limits, approvals, env, wal"},
        {"{\"rules\": []}", "p.json:1:1: version: missing; write \"version\": 1"},
        {"{\"version\": 2}",
         "p.json:1:13: version: unsupported version; this airlock reads version 1"},
        {"{\"version\": 1, \"default\": \"maybe\"}",
         "p.json:1:27: default: \"maybe\" is not allow, ask or deny"},
        {"{\"version\": 1,\n \"rules\": [\n  {\"id\": \"r\", \"decision\": \"nope\"}]}",
         "p.json:3:27: rules[0].decision: \"nope\" is not allow, ask or deny"},
        {"{\"version\": 1, \"rules\": [{\"decision\": \"deny\"}]}",
         "p.json:1:26: rules[0]: missing \"id\""},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\"}]}",
         "p.json:1:26: rules[0]: missing \"decision\" (allow, ask or deny)"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"argv\": "
         "[\"git\"], "
         "\"prefix\": true}]}",
         "p.json:1:85: rules[0].prefix: unknown field; expected one of: id, decision, tool, "
         "reason, "
         "argv, exact, path, risk_at_least, risk_reason, require_escalated, agent_tool, examples"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"a\", \"decision\": \"deny\"}, {\"id\": \"a\", "
         "\"decision\": \"ask\"}]}",
         "p.json:1:66: rules[1].id: duplicate id \"a\" (first used by rules[0])"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"tool\": "
         "\"ftp\"}]}",
         "p.json:1:66: rules[0].tool: \"ftp\" is not shell_exec, file_write, file_read or \"*\""},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"argv\": []}]}",
         "p.json:1:58: rules[0].argv: expected a non-empty array of tokens (at most 256)"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"argv\": "
         "[\"/usr/bin/git\"]}]}",
         "p.json:1:67: rules[0].argv[0]: the first token is matched against the program's name "
         "without its directory; write \"git\""},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"argv\": [\"git\", "
         "[\"**\"]]}]}",
         "p.json:1:75: rules[0].argv[1][0]: \"**\" cannot be an alternative; use it as a token of "
         "its own"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"argv\": "
         "[\"a[b\"]}]}",
         "p.json:1:67: rules[0].argv[0]: unterminated '[' in glob \"a[b\""},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"exact\": true}]}",
         "p.json:1:67: rules[0].exact: \"exact\" needs an \"argv\" pattern"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"path\": "
         "\"~bob/x\"}]}",
         "p.json:1:66: rules[0].path: only \"~/\" (the current user's home) is supported"},
        {"{\"version\": 1, \"rules\": [{\"id\": \"r\", \"decision\": \"deny\", \"risk_at_least\": "
         "\"severe\"}]}",
         "p.json:1:75: rules[0].risk_at_least: \"severe\" is not low, medium, high or critical"},
        {"{\"version\": 1, \"sandbox\": {\"network\": true}}",
         "p.json:1:39: sandbox.network: expected a string"},
        {"{\"version\": 1, \"sandbox\": {\"adapter\": \"docker\"}}",
         "p.json:1:39: sandbox.adapter: \"docker\" is not auto, bwrap, seccomp, seatbelt or none"},
        {"{\"version\": 1, \"limits\": {\"timeout_seconds\": 0}}",
         "p.json:1:46: limits.timeout_seconds: 0 is out of range; expected 1 to 604800"},
        {"{\"version\": 1, \"limits\": {\"output_bytes\": -1}}",
         "p.json:1:43: limits.output_bytes: expected a whole number between 1 and 1099511627776"},
        {"{\"version\": 1, \"approvals\": {\"timeout_seconds\": \"soon\"}}",
         "p.json:1:49: approvals.timeout_seconds: expected a whole number between 1 and 86400"},
        {"{\"version\": 1, \"env\": {\"allow\": [\"PATH\", \"BAD-NAME\"]}}",
         "p.json:1:42: env.allow[1]: \"BAD-NAME\" is not a variable name"},
        {"{\"version\": 1, \"env\": {\"set\": {\"A\": 5}}}",
         "p.json:1:37: env.set.A: expected a string value"},
        {"{\"version\": 1,}", "p.json:1:15: trailing comma before '}'"},
        {"[]", "p.json:1:1: a policy must be a JSON object"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        CHECK(load_error({{"p.json", c.text}}) == c.error);
    }
}

TEST_CASE("every error of a file is reported, and the stack is never partial") {
    const std::string text =
        "{\"version\": 1, \"rules\": [{\"id\": \"ok\", \"decision\": \"deny\", \"argv\": "
        "[\"rm\"]},\n"
        " {\"id\": \"bad1\", \"decision\": \"x\"},\n {\"id\": \"bad2\", \"decision\": \"y\"}]}";
    auto r = PolicyStack::from_texts({{"p.json", text}}, test_workspace());
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().stage == "policy");
    CHECK(r.error().message ==
          "p.json:2:29: rules[1].decision: \"x\" is not allow, ask or deny\n"
          "p.json:3:29: rules[2].decision: \"y\" is not allow, ask or deny");
}

TEST_CASE("an error in a later layer fails the whole stack") {
    const std::string good = "{\"version\": 1, \"default\": \"allow\"}";
    CHECK(load_error({{"builtin", std::string(airlock::policy::builtin_policy_text())},
                      {"good.json", good},
                      {"bad.json", "{\"version\": 1, \"rulez\": []}"}})
              .rfind("bad.json:1:16: rulez: unknown field", 0) == 0);
}

TEST_CASE("examples are validated at load and a failing one names rule and example") {
    const std::string ok =
        R"({"version": 1, "rules": [{"id": "no-push", "decision": "deny", "argv": ["git", "push"],
           "examples": {"match": [["git", "push", "origin"]], "not_match": [["git", "pull"]]}}]})";
    CHECK(load_error({{"p.json", ok}}) == "<loaded>");

    const std::string bad_match =
        "{\"version\": 1, \"rules\": [{\"id\": \"no-push\", \"decision\": \"deny\", \"argv\": "
        "[\"git\", \"push\"],\n \"examples\": {\"match\": [[\"git\", \"pull\"]]}}]}";
    CHECK(load_error({{"p.json", bad_match}}) ==
          "p.json:2:25: rules[0].examples.match[0]: example [\"git\",\"pull\"] is not matched by "
          "rule \"no-push\"");

    const std::string bad_not_match =
        "{\"version\": 1, \"rules\": [{\"id\": \"no-push\", \"decision\": \"deny\", \"argv\": "
        "[\"git\", \"push\"],\n \"examples\": {\"not_match\": [[\"git\", \"push\", \"-f\"]]}}]}";
    CHECK(load_error({{"p.json", bad_not_match}}) ==
          "p.json:2:29: rules[0].examples.not_match[0]: example [\"git\",\"push\",\"-f\"] is "
          "matched by rule \"no-push\"");

    const std::string file_example =
        R"({"version": 1, "rules": [{"id": "env", "decision": "deny", "tool": "file_read",
           "path": "**/.env", "examples": {"match": ["a/.env"], "not_match": ["a/env"]}}]})";
    CHECK(load_error({{"p.json", file_example}}) == "<loaded>");

    const std::string malformed =
        R"({"version": 1, "rules": [{"id": "r", "decision": "deny", "argv": ["x"],
           "examples": {"match": [42]}}]})";
    CHECK(load_error({{"p.json", malformed}}).find("rules[0].examples.match[0]: an example is") !=
          std::string::npos);
}

TEST_CASE("settings merge strictest-wins across layers") {
    const std::string base = R"({"version": 1,
        "sandbox": {"adapter": "auto", "required": false, "network": "on",
                    "writable_roots": ["/opt/cache", "/var/tmp"], "deny_read": ["~/.ssh"]},
        "limits": {"timeout_seconds": 100, "output_bytes": 5000},
        "approvals": {"max_repeated_denials": 5},
        "env": {"allow": ["PATH", "HOME", "LANG"], "set": {"CI": "1"}}})";
    const std::string overlay = R"({"version": 1,
        "sandbox": {"adapter": "none", "required": true, "network": "off",
                    "writable_roots": ["/var/tmp", "/"], "deny_read": ["~/.aws"]},
        "limits": {"timeout_seconds": 500, "output_bytes": 10, "max_processes": 8},
        "approvals": {"max_repeated_denials": 9, "timeout_seconds": 60},
        "env": {"allow": ["PATH", "LANG", "AWS_SECRET_ACCESS_KEY"], "set": {"CI": "1", "X": "y"}}})";
    auto p = load({{"base", base}, {"overlay", overlay}});
    CHECK(p.sandbox().adapter == "auto");  // "none" cannot weaken an earlier choice
    CHECK(p.sandbox().required);
    CHECK_FALSE(p.sandbox().network);
    CHECK(p.sandbox().writable_roots == std::vector<std::string>{"/var/tmp"});
    CHECK(p.sandbox().deny_read == std::vector<std::string>{"~/.ssh", "~/.aws"});
    CHECK(p.limits().timeout_seconds == 100);
    CHECK(p.limits().output_bytes == 10);
    CHECK(p.limits().max_processes == 8);
    CHECK(p.approvals().max_repeated_denials == 5);
    CHECK(p.approvals().timeout_seconds == 60);
    CHECK(p.env().allow == std::vector<std::string>{"LANG", "PATH"});
    CHECK(p.env().set == std::map<std::string, std::string>{{"CI", "1"}, {"X", "y"}});

    // Positive control: a single layer keeps what it says.
    auto single = load({{"base", base}});
    CHECK(single.sandbox().network);
    CHECK_FALSE(single.sandbox().required);
    CHECK(single.limits().timeout_seconds == 100);
}

TEST_CASE("settings with no strictest answer are errors") {
    CHECK(load_error({{"a", R"({"version": 1, "sandbox": {"adapter": "bwrap"}})"},
                      {"b", R"({"version": 1, "sandbox": {"adapter": "seccomp"}})"}}) ==
          "b: sandbox.adapter: \"seccomp\" conflicts with \"bwrap\" chosen by a");
    const std::string err =
        load_error({{"a", R"({"version": 1, "env": {"set": {"K": "secret1"}}})"},
                    {"b", R"({"version": 1, "env": {"set": {"K": "secret2"}}})"}});
    CHECK(err == "b: env.set.K: set to a different value by a");
    CHECK(err.find("secret") == std::string::npos);  // values are never echoed
}

TEST_CASE("load(): missing user/workspace files are skipped, a missing --policy file is an error") {
    const fs::path dir =
        fs::temp_directory_path() / ("airlock-policy-load-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    airlock::policy::LoadOptions o;
    o.user_file = dir / "nope-user.json";
    o.workspace_file = dir / "nope-ws.json";
    o.workspace = dir;
    auto ok = PolicyStack::load(o);
    REQUIRE(ok.ok());
    CHECK(ok->layer_names() == std::vector<std::string>{"builtin"});

    o.files.push_back(dir / "missing.json");
    auto missing = PolicyStack::load(o);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().message == (dir / "missing.json").string() + ": policy file not found");

    o.files = {dir / "extra.json"};
    std::ofstream(dir / "extra.json") << "{\"version\": 1, \"default\": \"ask\"}";
    std::ofstream(dir / "nope-ws.json") << "{\"version\": 1}";
    auto layered = PolicyStack::load(o);
    REQUIRE(layered.ok());
    CHECK(layered->layer_names() == std::vector<std::string>{"builtin",
                                                             (dir / "nope-ws.json").string(),
                                                             (dir / "extra.json").string()});
    o.builtin = false;
    auto bare = PolicyStack::load(o);
    REQUIRE(bare.ok());
    CHECK(bare->layer_names().size() == 2);
    fs::remove_all(dir);
}
