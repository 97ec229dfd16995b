#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "platform/canonical_json.hpp"

using airlock::canonical_json;
using airlock::is_valid_utf8;
using nlohmann::json;

namespace {
std::string canon(const json& v) {
    auto r = canonical_json(v);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().describe()));
    return *r;
}
}  // namespace

TEST_CASE("canonical json: keys sorted by UTF-8 bytes, no whitespace, nested") {
    const json v = json::parse(R"({ "b": 1, "a": [3, 2, {"z": null, "y": true}], "A": false,
                                   "\u00e9": "x", "z": {} })");
    // "é" is C3 A9 in UTF-8, above every ASCII key.
    CHECK(canon(v) ==
          "{\"A\":false,\"a\":[3,2,{\"y\":true,\"z\":null}],\"b\":1,\"z\":{},"
          "\"\xc3\xa9\":\"x\"}");
}

TEST_CASE("canonical json: byte order, not UTF-16 order, for characters above the BMP") {
    // U+FF61 (EF BD A1) sorts before U+1F600 (F0 9F 98 80) by bytes; UTF-16 order is the reverse.
    json v;
    v["\xf0\x9f\x98\x80"] = 1;
    v["\xef\xbd\xa1"] = 2;
    CHECK(canon(v) == "{\"\xef\xbd\xa1\":2,\"\xf0\x9f\x98\x80\":1}");
}

TEST_CASE("canonical json: numbers") {
    CHECK(canon(json(3.0)) == "3");
    CHECK(canon(json(-0.0)) == "0");
    CHECK(canon(json(-12)) == "-12");
    CHECK(canon(json(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
    CHECK(canon(json(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
    CHECK(canon(json(2.5)) == "2.5");
    CHECK(canon(json(0.1)) == "0.1");
    CHECK(canon(json(1e300)) == "1e+300");
    CHECK_FALSE(canonical_json(json(std::nan(""))).ok());
    CHECK_FALSE(canonical_json(json(std::numeric_limits<double>::infinity())).ok());
}

TEST_CASE("canonical json: string escapes") {
    CHECK(canon(json(std::string("q\"b\\n\nt\tc\x01/\x7f"))) ==
          "\"q\\\"b\\\\n\\nt\\tc\\u0001/\x7f\"");
    CHECK(canon(json("\b\f\r\x1f")) == "\"\\b\\f\\r\\u001f\"");
    CHECK(canon(json(std::string("nul\0x", 5))) == "\"nul\\u0000x\"");
    // Non-ASCII stays as UTF-8, including U+2028.
    CHECK(canon(json("\xe2\x80\xa8\xc3\xa9")) == "\"\xe2\x80\xa8\xc3\xa9\"");
}

TEST_CASE("canonical json: invalid UTF-8 is an error naming where") {
    json v = {{"a", {"ok", std::string("bad\xff")}}};
    auto r = canonical_json(v);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().stage == "canonical_json");
    CHECK(r.error().message.find("\"/a/1\"") != std::string::npos);
    CHECK(r.error().message.find("UTF-8") != std::string::npos);

    json bad_key;
    bad_key[std::string("k\xc0\x80")] = 1;
    auto rk = canonical_json(bad_key);
    REQUIRE_FALSE(rk.ok());
    CHECK(rk.error().message.find("key") != std::string::npos);
}

TEST_CASE("canonical json: strict UTF-8 validation") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));  // é € 😀
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));                      // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xc0\x80"));                        // overlong NUL
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));                    // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));                    // surrogate
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));                // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\x80"));                            // lone continuation
    CHECK_FALSE(is_valid_utf8("\xc3"));                            // truncated
    CHECK_FALSE(is_valid_utf8("\xf8\x88\x80\x80\x80"));            // 5-byte form
}

TEST_CASE("canonical json: the same value gives the same text however it was built") {
    json a = json::parse(R"({"x":1,"y":[1,2]})");
    json b;
    b["y"] = {1, 2};
    b["x"] = 1.0;
    CHECK(canon(a) == canon(b));
}
