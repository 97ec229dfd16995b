// parse_plan: the whole plan is validated before anything runs; errors name step and pointer.
#include <doctest/doctest.h>

#include "airlock_runner.hpp"
#include "exec/plan.hpp"

using namespace airlock;
using namespace airlock::exec;
using nlohmann::json;

namespace {

ParsedPlan parse(const std::string& text) {
    static test::TempDir dir;
    return parse_plan(text, "plan.json", std::filesystem::canonical(dir.path()));
}

std::string write_step(const std::string& id, const std::string& path) {
    return R"({"id": ")" + id + R"(", "tool": "file_write", "args": {"path": ")" + path +
           R"(", "content": "x"}})";
}

}  // namespace

TEST_CASE("a valid plan parses with its steps in order") {
    auto p = parse(R"({"steps": [)" + write_step("a", "a.txt") + "," + write_step("b", "b.txt") +
                   R"(], "rollback_on_failure": true})");
    REQUIRE(p.plan);
    CHECK_FALSE(p.rejection);
    CHECK(p.plan->rollback_on_failure);
    REQUIRE(p.plan->steps.size() == 2);
    CHECK(p.plan->steps[1].id == "b");
    CHECK(p.plan->steps[1].call.path == "b.txt");
    CHECK(p.plan->steps[0].fingerprint.size() == 64);
}

TEST_CASE("a missing parameter in step 5 rejects the plan and names step and parameter") {
    std::string steps;
    for (int i = 1; i <= 4; ++i)
        steps += write_step("s" + std::to_string(i), "f" + std::to_string(i)) + ",";
    steps += R"({"id": "s5", "tool": "file_write", "args": {"content": "x"}})";
    auto p = parse(R"({"steps": [)" + steps + "]}");
    CHECK_FALSE(p.plan);
    REQUIRE(p.rejection);
    CHECK(p.rejection->step == "s5");
    CHECK(p.rejection->index == 5);
    CHECK(p.rejection->pointer == "/steps/4/args");
    CHECK(p.rejection->message.find("\"path\"") != std::string::npos);
    CHECK(p.rejection->where.rfind("plan.json:", 0) == 0);
}

TEST_CASE("a mistyped parameter is named") {
    auto p = parse(
        R"({"steps": [{"id": "t", "tool": "shell_exec", "args": {"argv": ["ls"], "timeout_ms": "9"}}]})");
    REQUIRE(p.rejection);
    CHECK(p.rejection->message.find("\"timeout_ms\" must be integer") != std::string::npos);
}

TEST_CASE("unknown fields are errors at their JSON pointer") {
    struct Case {
        std::string text, pointer;
    };
    const Case cases[] = {
        {R"({"steps": [)" + write_step("a", "a") + R"(], "rollback": true})", "/rollback"},
        {R"({"steps": [{"id": "a", "tool": "file_read", "args": {"path": "a"}, "retries": 2}]})",
         "/steps/0/retries"},
        {R"({"steps": [{"id": "a", "tool": "file_read", "args": {"path": "a"}, "expect": {"exit": 1}}]})",
         "/steps/0/expect/exit"},
        {R"({"steps": [{"id": "a", "tool": "file_read", "args": {"path": "a"},
             "expect": {"stdout_json": {"type": "object", "properties": {"x": {"enum": [1]}}}}}]})",
         "/steps/0/expect/stdout_json/properties/x/enum"},
        {R"({"steps": [{"id": "a", "tool": "file_read", "args": {"path": "a"},
             "checks": [{"file_contains": {"path": "a", "text": "x", "regex": true}}]}]})",
         "/steps/0/checks/0/file_contains/regex"},
    };
    for (const auto& c : cases) {
        auto p = parse(c.text);
        REQUIRE(p.rejection);
        CHECK(p.rejection->pointer == c.pointer);
        CHECK(p.rejection->message.find("unknown field") != std::string::npos);
    }
}

TEST_CASE("structural errors: no steps or duplicate ids or bad ids or unknown tool or bad paths") {
    CHECK(parse(R"({"steps": []})").rejection);
    CHECK(parse(R"([1])").rejection);
    CHECK(parse(R"({"steps": [)" + write_step("a", "a") + "," + write_step("a", "b") + "]}")
              .rejection->message.find("used twice") != std::string::npos);
    CHECK(parse(R"({"steps": [)" + write_step("a b", "a") + "]}").rejection->pointer ==
          "/steps/0/id");
    CHECK(parse(R"({"steps": [{"id": "a", "tool": "rm", "args": {}}]})").rejection->pointer ==
          "/steps/0/tool");
    CHECK(parse(R"({"steps": [)" + write_step("a", "../outside") + "]}").rejection->pointer ==
          "/steps/0/args/path");
    CHECK(parse(R"({"steps": [)" + write_step("a", ".airlock/runs/x") + "]}").rejection);
    CHECK(parse(R"({"steps": [{"id": "a", "tool": "file_read", "args": {"path": "a"},
                    "checks": [{"command": {"argv": ["true"], "exit_code": 300}}]}]})")
              .rejection->pointer == "/steps/0/checks/0/command/exit_code");
    CHECK(parse(R"({"steps": [{"id": "a", "tool": "file_read", "args": {"path": "a"},
                    "checks": [{"file_exists": "a", "file_contains": {}}]}]})")
              .rejection);
    CHECK(parse("{not json").rejection);
}

TEST_CASE("a fingerprint depends on tool and args and not on key order") {
    auto a = step_fingerprint("shell_exec", json::parse(R"({"argv": ["ls"], "cwd": "x"})"));
    auto b = step_fingerprint("shell_exec", json::parse(R"({"cwd": "x", "argv": ["ls"]})"));
    auto c = step_fingerprint("shell_exec", json::parse(R"({"cwd": "y", "argv": ["ls"]})"));
    auto d = step_fingerprint("file_read", json::parse(R"({"cwd": "x", "argv": ["ls"]})"));
    REQUIRE(a);
    CHECK(*a == *b);
    CHECK(*a != *c);
    CHECK(*a != *d);
}

TEST_CASE("schema subset: type and required and properties") {
    const json schema = json::parse(R"({"type": "object", "required": ["name"],
        "properties": {"name": {"type": "string"}, "tags": {"type": "array"}}})");
    CHECK_FALSE(schema_mismatch(schema, json::parse(R"({"name": "x", "tags": []})")));
    CHECK(*schema_mismatch(schema, json::parse(R"({"tags": []})")) ==
          "/: missing required property \"name\"");
    CHECK(*schema_mismatch(schema, json::parse(R"({"name": 3})")) ==
          "/name: expected string, got number");
    CHECK(schema_mismatch(schema, json::parse("[1]")));
    CHECK_FALSE(schema_mismatch(json::parse(R"({"type": "integer"})"), json(3)));
    CHECK(schema_mismatch(json::parse(R"({"type": "integer"})"), json(3.5)));
}
