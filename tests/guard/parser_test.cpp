// The shell parse: segments, quoting, redirections, wrappers, nesting and limits.
#include <doctest/doctest.h>

#include <algorithm>

#include "guard/shell_parse.hpp"

using namespace airlock::guard;
using Argv = std::vector<std::string>;

TEST_CASE("quotes and escapes are removed and argv[0] is the basename") {
    for (const char* c : {"/bin/rm -rf x", "\\rm -rf x", "\"rm\" -rf x", "r''m -rf x",
                          "$'\\x72m' -rf x", "'r'\"m\" -rf x"}) {
        CAPTURE(c);
        const auto p = parse_shell(c);
        REQUIRE(p.complete);
        REQUIRE(p.segments.size() == 1);
        CHECK(p.segments[0].argv == Argv{"rm", "-rf", "x"});
    }
    CHECK(parse_shell("/bin/rm x").segments[0].program_path == "/bin/rm");
    CHECK(parse_shell("echo 'a b' \"c $HOME\"").segments[0].argv == Argv{"echo", "a b", "c $HOME"});
    CHECK(parse_shell("echo $'a\\tb'").segments[0].argv == Argv{"echo", "a\tb"});
}

TEST_CASE("lists, pipelines and background jobs become numbered segments") {
    const auto p = parse_shell("a | b | c && d; e & f || g\nh");
    REQUIRE(p.segments.size() == 8);
    CHECK(p.segments[0].pipeline == p.segments[2].pipeline);
    CHECK(p.segments[2].pipe_position == 2);
    CHECK(p.segments[3].pipeline != p.segments[0].pipeline);
    CHECK(p.segments[4].argv == Argv{"e"});
    CHECK(p.segments[4].background);
    CHECK_FALSE(p.segments[5].background);
    CHECK(p.segments[7].argv == Argv{"h"});
}

TEST_CASE("redirections are recorded with their operator and target") {
    const auto p = parse_shell("cmd <in >out 2>&1 >>log 2>err >|force &>both <<<word");
    REQUIRE(p.segments.size() == 1);
    const auto& r = p.segments[0].redirects;
    REQUIRE(r.size() == 8);
    CHECK(r[0].op == "<");
    CHECK(r[0].target == "in");
    CHECK(r[1].op == ">");
    CHECK(r[2].op == "2>&1");
    CHECK(r[3].op == ">>");
    CHECK(r[4].op == "2>");
    CHECK(r[5].op == ">|");
    CHECK(r[6].op == "&>");
    CHECK(r[7].op == "<<<");
    CHECK(r[7].target == "word");
    CHECK(p.segments[0].argv == Argv{"cmd"});
}

TEST_CASE("here-documents: the body is skipped, or parsed when a shell runs it") {
    auto p = parse_shell("cat <<EOF\nrm -rf /\nEOF\necho after");
    REQUIRE(p.segments.size() == 2);
    CHECK(p.segments[0].redirects[0].op == "<<");
    CHECK(p.segments[1].argv == Argv{"echo", "after"});
    p = parse_shell("bash <<'EOF'\nrm -rf /\nEOF");
    REQUIRE(p.segments.size() == 2);
    CHECK(p.segments[1].argv == Argv{"rm", "-rf", "/"});
    CHECK(p.segments[1].depth == 1);
    p = parse_shell("cat <<EOF\n$(id)\nEOF");
    REQUIRE(p.segments.size() == 2);
    CHECK(std::any_of(p.segments.begin(), p.segments.end(),
                      [](const Segment& s) { return s.argv == Argv{"id"} && s.depth == 1; }));
    p = parse_shell("cat <<'EOF'\n$(id)\nEOF");  // quoted delimiter: the body is data
    CHECK(p.segments.size() == 1);
}

TEST_CASE("here-strings: data, or parsed when a shell reads its script from them") {
    auto p = parse_shell("cat <<< 'rm -rf /'");
    REQUIRE(p.segments.size() == 1);
    CHECK(p.segments[0].redirects[0].op == "<<<");
    p = parse_shell("bash <<< 'rm -rf /'; echo after");
    REQUIRE(p.segments.size() == 3);
    CHECK(p.segments[1].argv == Argv{"rm", "-rf", "/"});
    CHECK(p.segments[1].depth == 1);
    CHECK(p.segments[1].wrappers == Argv{"bash"});
    CHECK(p.segments[1].parent == -1);  // not a substitution of the next command
    CHECK(p.segments[2].argv == Argv{"echo", "after"});
    p = parse_shell("bash script.sh <<< 'rm -rf /'");  // the script is a file: stdin is data
    CHECK(p.segments.size() == 1);
    p = parse_shell("sh <<< \"$X\"");  // built at run time: nothing to parse
    REQUIRE(p.segments.size() == 1);
    CHECK(p.segments[0].dynamic);
}

TEST_CASE("words spelled with $'...' character escapes mark their segment") {
    CHECK(parse_shell("echo $'\\x72\\x6d'").segments[0].escaped);
    CHECK(parse_shell("echo $'\\162\\155'").segments[0].escaped);
    CHECK(parse_shell("echo $'\\u0072'").segments[0].escaped);
    CHECK(parse_shell("echo $'\\x72\\x6d'").segments[0].argv == Argv{"echo", "rm"});
    CHECK_FALSE(parse_shell("echo $'a\\tb'").segments[0].escaped);  // positive control
    CHECK_FALSE(parse_shell("echo '\\x72'").segments[0].escaped);
}

TEST_CASE("assignments before a command are keys, not the program") {
    const auto p = parse_shell("A=1 B=\"x y\" make -j2");
    REQUIRE(p.segments.size() == 1);
    CHECK(p.segments[0].argv == Argv{"make", "-j2"});
    CHECK(p.segments[0].assignment_keys == Argv{"A", "B"});
}

TEST_CASE("substitutions become deeper segments with their parent") {
    const auto p = parse_shell("echo $(id -u) `whoami` <(ls) ${X:-$(date)} $((1+$(nproc)))");
    REQUIRE(p.segments.size() == 6);
    const auto& echo = p.segments.back();
    CHECK(echo.argv[0] == "echo");
    CHECK(echo.dynamic);
    for (std::size_t i = 0; i + 1 < p.segments.size(); ++i) {
        CHECK(p.segments[i].depth == 1);
        CHECK(p.segments[i].parent == 5);
    }
}

TEST_CASE("dynamic program names are flagged") {
    auto p = parse_shell("$CMD arg");
    CHECK(p.segments[0].program_dynamic);
    CHECK(p.segments[0].dynamic);
    p = parse_shell("echo $X");
    CHECK_FALSE(p.segments[0].program_dynamic);
    CHECK(p.segments[0].dynamic);
}

TEST_CASE("wrappers are stripped and recorded outermost first") {
    auto p = parse_shell("sudo -u root env -i X=1 nice -n 5 timeout 5 nohup /bin/rm -rf x");
    REQUIRE(p.segments.size() == 1);
    CHECK(p.segments[0].argv == Argv{"rm", "-rf", "x"});
    CHECK(p.segments[0].wrappers == Argv{"sudo", "env", "nice", "timeout", "nohup"});
    CHECK(p.segments[0].assignment_keys == Argv{"X"});
    p = parse_shell("xargs -0 -n1 rm -f");
    CHECK(p.segments[0].argv == Argv{"rm", "-f"});
    p = parse_shell("command -v git");
    CHECK(p.segments[0].argv == Argv{"command", "-v", "git"});
    p = parse_shell("sudo -i");
    CHECK(p.segments[0].argv == Argv{"sudo", "-i"});
}

TEST_CASE("find -exec reveals the command it runs, {} standing for the start path") {
    const auto p = parse_shell("find /srv -name x -exec rm -f {} \\;");
    REQUIRE(p.segments.size() == 2);
    CHECK(p.segments[0].argv[0] == "find");
    CHECK(p.segments[1].argv == Argv{"rm", "-f", "/srv"});
    CHECK(p.segments[1].wrappers == Argv{"find"});
}

TEST_CASE("sh -c and friends are parsed recursively, one level deeper") {
    for (const char* c : {"sh -c 'git push'", "bash -lc 'git push'", "zsh -c 'git push'",
                          "/bin/dash -ec \"git push\"", "bash -o pipefail -c 'git push'"}) {
        CAPTURE(c);
        const auto p = parse_shell(c);
        REQUIRE(p.segments.size() == 1);
        CHECK(p.segments[0].argv == Argv{"git", "push"});
        CHECK(p.segments[0].depth == 1);
    }
    const auto p = parse_shell("bash script.sh");
    CHECK(p.segments[0].argv == Argv{"bash", "script.sh"});
}

TEST_CASE("parse_argv unwraps the same wrappers as the shell form") {
    auto p = parse_argv({"env", "X=1", "git", "push"});
    REQUIRE(p.segments.size() == 1);
    CHECK(p.segments[0].argv == Argv{"git", "push"});
    CHECK(p.segments[0].assignment_keys == Argv{"X"});
    p = parse_argv({"bash", "-lc", "git push && rm -rf /"});
    REQUIRE(p.segments.size() == 2);
    CHECK(p.segments[0].argv == Argv{"git", "push"});
    CHECK(p.segments[1].argv == Argv{"rm", "-rf", "/"});
    // argv words are literal: no quote removal, no expansion.
    p = parse_argv({"/usr/bin/echo", "$HOME", "'x'"});
    CHECK(p.segments[0].argv == Argv{"echo", "$HOME", "'x'"});
    CHECK_FALSE(p.segments[0].dynamic);
}

TEST_CASE("compound commands: groups, if, for, case, functions") {
    auto p = parse_shell("if a; then b; elif c; then d; else e; fi; while f; do g; done");
    REQUIRE(p.segments.size() == 7);
    CHECK(p.segments[6].argv == Argv{"g"});
    p = parse_shell("for x in $(ls); do rm \"$x\"; done");
    REQUIRE(p.segments.size() == 2);
    CHECK(p.segments[1].argv[0] == "rm");
    p = parse_shell("case $1 in a|b) one;; (c) two;; esac");
    REQUIRE(p.segments.size() == 2);
    CHECK(p.segments[1].argv == Argv{"two"});
    p = parse_shell("f() { g | h & }; f");
    REQUIRE(p.segments.size() == 3);
    CHECK(p.segments[0].function == "f");
    CHECK(p.segments[2].function.empty());
    CHECK(p.functions == Argv{"f"});
    p = parse_shell("(a; b) > out");
    REQUIRE(p.segments.size() == 3);
    CHECK(p.segments[2].argv.empty());
    CHECK(p.segments[2].redirects[0].target == "out");
}

TEST_CASE("unterminated input is incomplete") {
    for (const char* c : {"echo 'x", "echo \"x", "echo $(x", "echo `x", "echo ${x", "(a", "{ a;",
                          "echo $'x", "a |", "a &&", "a ||", "case x in"}) {
        CAPTURE(c);
        CHECK_FALSE(parse_shell(c).complete);
    }
    CHECK(parse_shell("echo ok # it's fine").complete);
}

TEST_CASE("nesting is bounded") {
    std::string deep = "x";
    for (int i = 0; i < kMaxDepth + 2; ++i)
        deep = "$(" + deep + ")";
    auto p = parse_shell("echo " + deep);
    CHECK_FALSE(p.complete);
    std::string shallow = "x";
    for (int i = 0; i < kMaxDepth - 1; ++i)
        shallow = "$(" + shallow + ")";
    CHECK(parse_shell("echo " + shallow).complete);  // positive control

    std::string nested = "rm -rf /";
    for (int i = 0; i < kMaxDepth + 2; ++i) {
        std::string quoted;
        for (char c : nested)
            quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        nested = "sh -c '" + quoted + "'";
    }
    CHECK_FALSE(parse_shell(nested).complete);

    std::string groups(static_cast<std::size_t>(kMaxNesting) + 5, '(');
    CHECK_FALSE(parse_shell(groups + "a").complete);
}
