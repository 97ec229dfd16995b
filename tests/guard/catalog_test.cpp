// The rule catalog: its own examples, file rules and the policy extension format.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "guard/catalog_view.hpp"
#include "guard/rule_loader.hpp"
#include "test_support.hpp"

using namespace airlock::guard;
using airlock::Tool;
using airlock::ToolCall;

TEST_CASE("the catalog compiled into airlock is the one its JSON describes") {
    std::ifstream in(AIRLOCK_GUARD_CATALOG_JSON, std::ios::binary);
    REQUIRE(in.good());
    std::stringstream text;
    text << in.rdbuf();
    auto from_json = detail::load_catalog_json(text.str());
    REQUIRE_MESSAGE(from_json.ok(), (from_json.ok() ? "" : from_json.error().describe()));
    auto compiled = detail::load_builtin_catalog();
    REQUIRE(compiled.ok());
    // Field by field (every field of every rule, matcher, kind and class, and the index).
    REQUIRE(compiled->rules.size() == from_json->rules.size());
    for (std::size_t i = 0; i < compiled->rules.size(); ++i)
        CHECK_MESSAGE(compiled->rules[i] == from_json->rules[i], from_json->rules[i].info.id);
    CHECK(compiled->kinds == from_json->kinds);
    CHECK(compiled->kind_ids == from_json->kind_ids);
    CHECK(compiled->classes == from_json->classes);
    CHECK(compiled->known == from_json->known);
    CHECK(*compiled == *from_json);
    // Positive control: a difference in one matcher's field is seen.
    REQUIRE_FALSE(from_json->rules.empty());
    REQUIRE_FALSE(from_json->rules[0].any.empty());
    from_json->rules[0].any[0].min_args += 1;
    CHECK_FALSE(*compiled == *from_json);
}

TEST_CASE("a catalog built at run time keeps every field through its views") {
    // The path of a policy with a guard section: the built-in catalog thawed, extended, frozen.
    auto catalog = detail::load_builtin_catalog();
    REQUIRE(catalog.ok());
    const auto ext = nlohmann::json::parse(
        R"({"rules": [{"id": "x", "level": "high", "message": "m",
                       "match": {"program": ["@interpreter", "mytool*"], "flag": ["-x"]}}],
            "known_programs": ["frobnicate"]})");
    REQUIRE(detail::add_extensions(*catalog, ext).ok());
    const auto frozen = detail::freeze(*catalog, detail::builtin_catalog_view().rules.size());
    CHECK(detail::thaw(*frozen) == *catalog);
    CHECK(frozen->contains(frozen->known, "frobnicate"));
    const auto& builtin = detail::builtin_catalog_view();
    CHECK_FALSE(builtin.contains(builtin.known, "frobnicate"));  // control
    const auto* bash = frozen->alternatives_for("bash");
    REQUIRE(bash != nullptr);
    const auto alts = frozen->alts(bash->alts);
    REQUIRE(alts.size() > 0);
    CHECK(alts[alts.size() - 1].rule == frozen->rules.size() - 1);
    catalog->rules.back().any[0].flag.push_back("-y");
    CHECK_FALSE(detail::thaw(*frozen) == *catalog);  // positive control
}

TEST_CASE("every catalog example triggers (or does not trigger) its rule") {
    const auto& guard = test::builtin_guard();
    int checked = 0;
    for (const auto& rule : guard.rules()) {
        if (rule.tool != Tool::shell_exec) continue;
        CHECK_MESSAGE(!rule.trigger_examples.empty(), rule.id, " has no trigger example");
        for (const auto& ex : rule.trigger_examples) {
            CHECK_MESSAGE(test::has_reason(test::score_shell(ex), rule.id), rule.id,
                          " does not trigger on `", ex, "`");
            ++checked;
        }
        for (const auto& ex : rule.pass_examples) {
            CHECK_MESSAGE(!test::has_reason(test::score_shell(ex), rule.id), rule.id,
                          " triggers on `", ex, "`");
            ++checked;
        }
    }
    CHECK(checked > 100);
}

TEST_CASE("rule ids are unique per tool and every rule has a level and message") {
    const auto& rules = test::builtin_guard().rules();
    for (std::size_t i = 0; i < rules.size(); ++i) {
        CHECK(!rules[i].message.empty());
        for (std::size_t j = i + 1; j < rules.size(); ++j)
            CHECK_FALSE((rules[i].id == rules[j].id && rules[i].tool == rules[j].tool));
    }
}

namespace {
Assessment file_call(Tool tool, std::string path, std::string content = {}) {
    ToolCall call;
    call.tool = tool;
    call.path = std::move(path);
    call.content = std::move(content);
    return test::builtin_guard().assess(call, "/ws");
}
}  // namespace

TEST_CASE("file_write rules") {
    CHECK(file_call(Tool::file_write, "src/main.cpp", "int main() {}").level == Level::low);
    CHECK(file_call(Tool::file_write, "/etc/passwd").level == Level::critical);
    CHECK(file_call(Tool::file_write, "../outside.txt").level == Level::critical);
    CHECK(file_call(Tool::file_write, "a/../../x").level == Level::critical);
    CHECK(file_call(Tool::file_write, "a/../b.txt").level == Level::low);
    CHECK(file_call(Tool::file_write, ".git/hooks/pre-commit").level == Level::high);
    CHECK(file_call(Tool::file_write, ".env").level == Level::high);
    CHECK(file_call(Tool::file_write, "config/.env.production").level == Level::high);
    CHECK(file_call(Tool::file_write, ".airlock/policy.json").level == Level::high);
    CHECK(file_call(Tool::file_write, "home/.bashrc").level == Level::high);
    CHECK(file_call(Tool::file_write, "run.sh", "#!/bin/sh\necho hi\n").level == Level::medium);
    CHECK(file_call(Tool::file_write, "tool",
                    std::string("\x7f"
                                "ELF\x02\x01",
                                6))
              .level == Level::medium);
    CHECK(file_call(Tool::file_write, "big.bin", std::string(1024 * 1024 + 1, 'x')).level ==
          Level::medium);
    CHECK(file_call(Tool::file_write, "ok.bin", std::string(1024 * 1024, 'x')).level == Level::low);
    CHECK(file_call(Tool::file_write, "").level == Level::high);
    CHECK(file_call(Tool::file_read, "README.md").level == Level::low);
    CHECK(file_call(Tool::file_read, ".ssh/id_rsa").level == Level::high);
}

TEST_CASE("policy extensions add rules and known programs") {
    const auto ext = nlohmann::json::parse(R"({
        "rules": [
          {"id": "deploy", "level": "high", "message": "deploys", "argv": ["make", "deploy"]},
          {"id": "tf_apply", "level": "critical", "message": "applies infrastructure",
           "match": {"program": ["terraform"], "subcommand": ["apply", "destroy"]}}
        ],
        "known_programs": ["frobnicate"]
    })");
    auto guard = Guard::create(&ext);
    REQUIRE(guard.ok());
    CHECK(test::has_reason(test::score_shell("make deploy", *guard), "deploy"));
    CHECK(test::score_shell("sudo make deploy", *guard).level == Level::high);
    CHECK(test::score_shell("make test", *guard).level == Level::low);
    CHECK(test::score_shell("bash -c 'terraform destroy'", *guard).level == Level::critical);
    CHECK(test::score_shell("frobnicate", *guard).level == Level::low);
    CHECK(test::score_shell("frobnicate").level == Level::medium);  // builtin alone: unknown
    bool listed = false;
    for (const auto& r : guard->rules())
        listed = listed || (r.id == "deploy" && r.source == "policy");
    CHECK(listed);
}

TEST_CASE("policy extensions can use the catalog's kinds") {
    const auto ext = nlohmann::json::parse(R"({
        "rules": [{"id": "tool_decoded_input", "level": "critical", "message": "m",
                   "match": {"program": ["mytool"], "stdin_from_kind": "decoding"}},
                  {"id": "tool_decoded_code", "level": "high", "message": "m",
                   "match": {"program": ["mytool"], "code_from_kind": "decoding"}}],
        "known_programs": ["mytool"]
    })");
    auto guard = Guard::create(&ext);
    REQUIRE(guard.ok());
    CHECK(test::score_shell("echo aWQ= | base64 -d | mytool", *guard).level == Level::critical);
    CHECK(test::score_shell("cat x | mytool", *guard).level == Level::low);  // positive control
    CHECK(test::score_shell("mytool --script \"$(xxd -r -p x)\"", *guard).level == Level::high);
    CHECK(test::score_shell("mytool run.txt \"$(xxd -r -p x)\"", *guard).level == Level::low);
}

TEST_CASE("policy extensions are validated strictly") {
    const char* bad[] = {
        R"({"rulez": []})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "argv": ["a"], "extra": 1}]})",
        R"({"rules": [{"id": "x", "level": "severe", "message": "m", "argv": ["a"]}]})",
        R"({"rules": [{"id": "x", "level": "high", "argv": ["a"]}]})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m"}]})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "argv": []}]})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "match": {"programme": ["a"]}}]})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "match": {"arg": ["a"]}}]})",
        R"({"rules": [{"id": "rm", "level": "high", "message": "m", "argv": ["a"]}]})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "match": {"program": ["@nope"]}}]})",
        R"({"known_programs": "ls"})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "match": {"program": ["a"], "stdin_from_kind": "nope"}}]})",
        R"({"rules": [{"id": "x", "level": "high", "message": "m", "match": {"program": ["a"], "child_kind": ["decoding"]}}]})",
        R"({"kinds": {"x": [{"program": ["a"]}]}})",
        R"([])",
    };
    for (const char* text : bad) {
        CAPTURE(text);
        const auto j = nlohmann::json::parse(text);
        auto guard = Guard::create(&j);
        REQUIRE_FALSE(guard.ok());
        CHECK(guard.error().stage == "policy");
        CHECK(guard.error().message.find("guard") != std::string::npos);
    }
    const auto good = nlohmann::json::parse(R"({"rules": []})");
    CHECK(Guard::create(&good).ok());  // positive control
}

TEST_CASE("the assessment serialises with segments") {
    const auto j = to_json(test::score_shell("sudo rm -rf / > log"));
    CHECK(j["level"] == "critical");
    CHECK(j["score"].get<int>() >= 75);
    REQUIRE(j["segments"].size() == 1);
    CHECK(j["segments"][0]["argv"] == nlohmann::json::array({"rm", "-rf", "/"}));
    CHECK(j["segments"][0]["wrappers"] == nlohmann::json::array({"sudo"}));
    CHECK(j["segments"][0]["redirects"][0]["target"] == "log");
    CHECK(j["reasons"][0].contains("segment"));
}

TEST_CASE("scores grow with level and reasons and stay within 0..100") {
    CHECK(test::score_shell("ls").score == 0);
    const int medium = test::score_shell("mv a b").score;
    const int high = test::score_shell("rm -rf build").score;
    const int critical = test::score_shell("rm -rf /").score;
    CHECK(medium >= 25);
    CHECK(medium < 50);
    CHECK(high >= 50);
    CHECK(high < 75);
    CHECK(critical >= 75);
    CHECK(critical <= 100);
    CHECK(test::score_shell("rm -rf /; mkfs /dev/sda; reboot").score > critical);
}

TEST_CASE("incomplete parses are at least high with reason unparsed") {
    const auto a = test::score_shell("ls 'unterminated");
    CHECK(a.level >= Level::high);
    CHECK(test::has_reason(a, "unparsed"));
    CHECK(test::score_argv({}).level >= Level::high);
    CHECK(test::score_argv({"ls", "-la"}).level == Level::low);  // positive control
}
