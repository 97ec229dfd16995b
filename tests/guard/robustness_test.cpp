// Arbitrary input never crashes the guard; huge input is handled (its speed is a benchmark
// matter, not asserted here).
#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "guard/shell_parse.hpp"
#include "test_support.hpp"

using namespace airlock::guard;

namespace {
// Deterministic generator so that failures reproduce.
struct XorShift {
    std::uint64_t s;
    std::uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
};
}  // namespace

TEST_CASE("pseudo-random bytes: no crash, never low when not understood") {
    XorShift rng{0x9E3779B97F4A7C15ull};
    static const std::string kShellish = "'\"\\$`(){}[]<>|&;#\n\t =*~!-cfr/";
    for (int round = 0; round < 3000; ++round) {
        std::string input;
        const std::size_t len = rng.next() % 200;
        const bool shellish = round % 2 == 0;
        for (std::size_t i = 0; i < len; ++i) {
            const auto r = rng.next();
            input += shellish ? kShellish[r % kShellish.size()] : static_cast<char>(r & 0xFF);
        }
        const auto a = test::score_shell(input);
        CHECK(a.score >= 0);
        CHECK(a.score <= 100);
        if (!a.parse.complete) CHECK(a.level >= Level::high);
        for (const auto& r : a.reasons)
            CHECK(r.segment < static_cast<int>(a.parse.segments.size()));
    }
}

TEST_CASE("a 1 MiB command is scored, a larger one is rejected as incomplete") {
    std::string big = "echo ";
    while (big.size() < kMaxScriptBytes - 32)
        big += "abcdefgh ";
    big += "; rm -rf /";
    auto a = test::score_shell(big);
    CHECK(a.parse.complete);
    CHECK(a.level == Level::critical);

    std::string huge(kMaxScriptBytes + 1, 'a');
    a = test::score_shell(huge);
    CHECK_FALSE(a.parse.complete);
    CHECK(a.level >= Level::high);

    // Many commands: the segment cap turns the rest into "incomplete", never silence.
    std::string many;
    while (many.size() < kMaxScriptBytes - 4)
        many += "a;";
    a = test::score_shell(many);
    CHECK_FALSE(a.parse.complete);
    CHECK(a.parse.segments.size() <= kMaxSegments);
    CHECK(a.level >= Level::high);

    // Deep nesting of open parentheses and substitutions.
    std::string parens(kMaxScriptBytes / 2, '(');
    CHECK_FALSE(parse_shell(parens).complete);
    std::string subs;
    for (int i = 0; i < 100000; ++i)
        subs += "$(";
    CHECK_FALSE(parse_shell(subs).complete);
}
