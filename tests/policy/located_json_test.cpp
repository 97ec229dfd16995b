#include <doctest/doctest.h>

#include "platform/located_json.hpp"

using airlock::parse_located_json;

TEST_CASE("located json: values, comments and locations") {
    const char* text =
        "// leading comment\n"
        "{\n"
        "  \"a\": 1, /* block\n comment */ \"b\": [true, null, \"x\\u00e9\"],\n"
        "  \"c\": {\"d\": -2.5e1}\n"
        "}\n";
    auto r = parse_located_json(text, "f.json");
    REQUIRE(r.ok());
    CHECK(r->value["a"] == 1);
    CHECK(r->value["b"][2] == "x\xc3\xa9");
    CHECK(r->value["c"]["d"] == -25.0);
    CHECK(r->where("/a") == "f.json:3:8");
    CHECK(r->where("/b/1") == "f.json:4:25");
    CHECK(r->where("/b") == "f.json:4:13");  // a container is located at its key
    CHECK(r->where("/c/d") == "f.json:5:14");
    CHECK(r->where("/c/zzz") == "f.json:5:3");  // nearest known ancestor
}

TEST_CASE("located json: errors name file, line and column") {
    struct Case {
        const char* text;
        const char* message;
    };
    const Case cases[] = {
        {"{\"a\": 1, \"a\": 2}", "f.json:1:10: duplicate key \"a\""},
        {"{\"a\": 1} x", "f.json:1:10: unexpected text after the JSON value"},
        {"{\"a\": 1,}", "f.json:1:9: trailing comma before '}'"},
        {"[1, 2,]", "f.json:1:7: trailing comma before ']'"},
        {"{\n  \"a\": tru }", "f.json:2:8: unexpected character 't'; expected a value"},
        {"\"abc", "f.json:1:1: unterminated string"},
        {"/* never closed", "f.json:1:1: unterminated /* comment"},
        {"", "f.json:1:1: empty document; expected a JSON value"},
        {"{\"a\": 01}", "f.json:1:8: expected ',' or '}' in object"},
        {"\"\\x\"", "f.json:1:3: bad escape sequence in string"},
        {"\"\xff\"", "f.json:1:2: invalid UTF-8 in string"},
        {"\"\\ud800\"", "f.json:1:8: lone surrogate in \\u escape"},
        {"99999999999999999999999", "f.json:1:24: integer out of range"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        auto r = parse_located_json(c.text, "f.json");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message == c.message);
        CHECK(r.error().stage == "config");
    }
}

TEST_CASE("located json: nesting depth is bounded") {
    std::string deep(200, '[');
    deep += std::string(200, ']');
    auto r = parse_located_json(deep, "d.json");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("nesting deeper than") != std::string::npos);
    std::string ok(100, '[');
    ok += std::string(100, ']');
    CHECK(parse_located_json(ok, "d.json").ok());
}

TEST_CASE("located json: pointer tokens are escaped") {
    auto r = parse_located_json("{\"a/b\": {\"~\": 1}}", "f.json");
    REQUIRE(r.ok());
    CHECK(r->locations().count("/a~1b/~0") == 1);
}
