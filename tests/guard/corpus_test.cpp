// Runs the labelled corpus: every command must get exactly its expected level.
#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "test_support.hpp"

using namespace airlock::guard;

namespace {

std::string expand_newlines(const std::string& s) {
    static const std::string kMarker = "\xE2\x8F\x8E";  // the ⏎ character
    std::string out;
    for (std::size_t i = 0; i < s.size();) {
        if (s.compare(i, kMarker.size(), kMarker) == 0) {
            out.push_back('\n');
            i += kMarker.size();
        } else {
            out.push_back(s[i++]);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("corpus: every command scores its expected level") {
    std::ifstream in(AIRLOCK_GUARD_CORPUS);
    REQUIRE(in.good());
    std::string line;
    int lineno = 0, cases = 0;
    int per_level[4] = {0, 0, 0, 0};
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty() || line[0] == '#') continue;
        const auto space = line.find(' ');
        REQUIRE_MESSAGE(space != std::string::npos, "corpus line ", lineno);
        const auto expected = parse_level(line.substr(0, space));
        REQUIRE_MESSAGE(expected.has_value(), "corpus line ", lineno, ": bad level");
        const std::string command = expand_newlines(line.substr(space + 1));
        const auto a = test::score_shell(command);
        std::string ids;
        for (const auto& r : a.reasons)
            ids += r.id + " ";
        CHECK_MESSAGE(a.level == *expected, "corpus line ", lineno, ": `", command, "` scored ",
                      level_name(a.level), " (", ids, "), expected ", level_name(*expected));
        ++cases;
        ++per_level[static_cast<int>(*expected)];
    }
    CHECK(cases >= 300);
    for (int count : per_level)
        CHECK(count >= 30);  // every level is exercised
}

TEST_CASE("benign everyday commands never score high") {
    for (const char* c : {"make", "cmake --build build", "npm test", "pytest -q",
                          "git commit -m \"fix: the thing\"", "ls -la", "cat README.md",
                          "git status", "git diff", "go test ./...", "cargo build"}) {
        CAPTURE(c);
        CHECK(test::score_shell(c).level < Level::high);
    }
    // Positive control: the same harness does see danger.
    CHECK(test::score_shell("rm -rf /").level == Level::critical);
}
