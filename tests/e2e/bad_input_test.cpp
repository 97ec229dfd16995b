// The bad-input table (RELIABILITY.md) through the CLI: every row gets a clear error naming what
// was wrong and where, the documented exit status, runs nothing, and is in the run's WAL.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "airlock_runner.hpp"
#include "exec/tool_schema_input.hpp"

using airlock::test::find_record;
using airlock::test::has_record;
using airlock::test::Ran;
using airlock::test::read_text;
using airlock::test::Workspace;
using airlock::test::write_text;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// The checks every refused row shares: exit status and JSON status, a message naming the
// fault, the refusal recorded as the run's only call, and no record of anything carried out.
void check_refused(const Workspace& ws, const Ran& r, const std::string& says,
                   const std::string& status = "invalid", int exit_code = 126) {
    CAPTURE(r.out);
    CAPTURE(r.err);
    REQUIRE(r.exit_code == exit_code);
    const auto j = r.json();
    CHECK(j["status"] == status);
    CHECK(contains(j["message"].get<std::string>(), says));
    CHECK(contains(r.err, says));  // the one line on stderr names it too
    const auto records = ws.run_records(j["wal"]);
    CHECK(find_record(records, "call_finished")["data"]["status"] == status);
    CHECK(contains(find_record(records, "call_finished")["data"]["message"].get<std::string>(),
                   says));
    for (const char* done : {"policy_decided", "exec_started", "file_written", "file_read"})
        CHECK_MESSAGE(!has_record(records, done), done);
}

}  // namespace

TEST_CASE("bad input: malformed JSON names line, column and byte, never quoting the text") {
    Workspace ws;
    auto r = ws.airlock({"call", "--json", "shell_exec", R"({"argv": ["touch", "marker")"});
    check_refused(ws, r,
                  "arguments: not valid JSON at line 1, column 28 (byte 27): syntax error while "
                  "parsing array - unexpected end of input; expected ']'");
    // On stdin, over several lines: the line is the one with the fault. The bad literal is
    // not quoted back (it could be a file's content).
    auto multi = ws.airlock({"call", "--json", "file_write", "-"},
                            "{\"path\": \"marker\",\n \"content\": s3cr3t-literal}");
    check_refused(ws, multi, "arguments: not valid JSON at line 2, column 13");
    CHECK_FALSE(contains(multi.out, "s3cr3t"));
    CHECK_FALSE(contains(ws.wal_text(), "s3cr3t"));
    // stdin closed in the middle of the arguments.
    check_refused(ws,
                  ws.airlock({"call", "--json", "shell_exec", "-"}, R"({"argv": ["touch", "mar)"),
                  "arguments: not valid JSON at line 1, column 24 (byte 23): syntax error while "
                  "parsing value - invalid string: missing closing quote");
    // Nesting deeper than 128 levels is refused before it is parsed.
    check_refused(ws,
                  ws.airlock({"call", "--json", "shell_exec", "-"},
                             "{\"argv\": " + std::string(200, '[') + std::string(200, ']') + "}"),
                  "arguments: at line 1, column 137 (byte 136): nesting deeper than 128 levels");
    // A number no double holds: the number is not quoted back either.
    check_refused(ws,
                  ws.airlock({"call", "--json", "shell_exec",
                              R"({"argv": ["touch", "marker"], "timeout_ms": 1e999})"}),
                  "arguments: not valid JSON: a number is out of range");
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
    // Positive control: the same call, well-formed, runs.
    auto ok = ws.airlock({"call", "--json", "shell_exec", R"({"argv": ["touch", "marker"]})"});
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(ws.path() / "marker"));
}

TEST_CASE("bad input: wrong types name the parameter and its JSON pointer") {
    Workspace ws;
    const std::vector<std::pair<std::string, std::string>> rows = {
        {R"({"argv": "touch marker"})", "parameter \"argv\" must be array, got string (at /argv)"},
        {R"({"argv": ["touch", 5]})",
         "every element of \"argv\" must be a string, got integer (at /argv/1)"},
        {R"({"command": "touch marker", "timeout_ms": "5"})",
         "parameter \"timeout_ms\" must be integer, got string (at /timeout_ms)"},
        {R"({"command": "touch marker", "timeout_ms": 0})",
         "parameter \"timeout_ms\" is below its minimum 1 (at /timeout_ms)"},
        {R"({"command": "touch marker", "sudo": true})", "unknown parameter \"sudo\" (at /sudo)"},
        {R"(["touch", "marker"])", "arguments must be a JSON object"},
    };
    for (const auto& row : rows) {
        const auto& args = row.first;  // a named variable: clang 14 cannot capture a binding
        CAPTURE(args);
        check_refused(ws, ws.airlock({"call", "--json", "shell_exec", args}), row.second);
    }
    check_refused(
        ws, ws.airlock({"call", "--json", "file_write", R"({"path": "marker", "content": 5})"}),
        "parameter \"content\" must be string, got integer (at /content)");
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
}

TEST_CASE("bad input: missing fields name the parameter") {
    Workspace ws;
    check_refused(ws, ws.airlock({"call", "--json", "shell_exec", "{}"}),
                  "missing required parameter \"command\" or \"argv\"");
    check_refused(ws, ws.airlock({"call", "--json", "file_write", R"({"path": "marker"})"}),
                  "missing required parameter \"content\"");
    check_refused(ws, ws.airlock({"call", "--json", "file_read", "{}"}),
                  "missing required parameter \"path\"");
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
}

TEST_CASE("bad input: empty argv or command, on every interface") {
    Workspace ws;
    check_refused(ws, ws.airlock({"call", "--json", "shell_exec", R"({"argv": []})"}),
                  "\"argv\" is empty (at /argv)");
    check_refused(ws, ws.airlock({"call", "--json", "shell_exec", R"({"command": ""})"}),
                  "\"command\" is empty (at /command)");
    check_refused(ws, ws.airlock({"exec", "--json", "-c", ""}), "empty command string");
    check_refused(ws, ws.airlock({"exec", "--json", "--", ""}), "argv[0] is empty");
}

TEST_CASE("bad input: a NUL byte in an argument, a command, a path or a cwd") {
    Workspace ws;
    const std::vector<std::vector<std::string>> rows = {
        {"shell_exec", R"({"argv": ["touch", "marker\u0000x"]})",
         "shell_exec: /argv/1 contains a NUL byte at offset 6"},
        {"shell_exec", R"({"command": "touch marker\u0000; id"})",
         "shell_exec: /command contains a NUL byte at offset 12"},
        {"shell_exec", R"({"argv": ["touch", "marker"], "cwd": "a\u0000"})",
         "shell_exec: /cwd contains a NUL byte at offset 1"},
        {"file_write", R"({"path": "marker\u0000.txt", "content": "x"})",
         "file_write: /path contains a NUL byte at offset 6"},
        {"file_read", R"({"path": "notes\u0000.txt"})",
         "file_read: /path contains a NUL byte at offset 5"},
    };
    for (const auto& row : rows) {
        CAPTURE(row[1]);
        check_refused(ws, ws.airlock({"call", "--json", row[0], row[1]}), row[2]);
    }
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
    // A NUL cannot reach `airlock exec` or `write` through the command line: the kernel ends
    // every argument at its first NUL.
}

TEST_CASE("bad input: invalid UTF-8 is refused, the WAL stays valid JSON and verifies") {
    Workspace ws;
    const std::string bad = "marker\xff\xfe";
    check_refused(ws, ws.airlock({"exec", "--json", "--", "touch", bad}),
                  "shell_exec: /argv/1 is not valid UTF-8 at offset 6");
    check_refused(ws, ws.airlock({"exec", "--json", "-c", "touch " + bad}),
                  "shell_exec: /command is not valid UTF-8 at offset 12");
    check_refused(ws, ws.airlock({"exec", "--json", "--cwd", "\xc0\xaf", "--", "touch", "marker"}),
                  "shell_exec: /cwd is not valid UTF-8 at offset 0");  // an overlong "/"
    check_refused(ws, ws.airlock({"write", "--json", bad}, "content"),
                  "file_write: /path is not valid UTF-8 at offset 6");
    check_refused(ws, ws.airlock({"read", "--json", "notes\xed\xa0\x80"}),  // a surrogate
                  "file_read: /path is not valid UTF-8 at offset 5");
    // JSON text must be UTF-8 to begin with.
    check_refused(ws,
                  ws.airlock({"call", "--json", "shell_exec", "-"},
                             "{\"argv\": [\"touch\", \"" + bad + "\"]}"),
                  "not valid JSON at line 1, column 27 (byte 26): syntax error while parsing "
                  "value - invalid string: ill-formed UTF-8 byte");
    // Nothing was created but airlock's own state.
    std::vector<std::string> entries;
    for (const auto& e : fs::directory_iterator(ws.path()))
        entries.push_back(e.path().filename().string());
    CHECK(entries == std::vector<std::string>{".airlock"});

    // Every log parses as JSON, is valid UTF-8 and verifies intact; the refused bytes are not
    // in it (the refusal records the tool, not the arguments).
    const std::string wal = ws.wal_text();
    CHECK_FALSE(airlock::exec::first_invalid_utf8(wal).has_value());
    CHECK_FALSE(contains(wal, "marker\xff"));
    CHECK(ws.wal_records().size() > 0);  // wal_records() parses every line
    for (const auto& e : fs::directory_iterator(ws.path() / ".airlock" / "runs")) {
        auto verify = ws.airlock({"wal", "verify", e.path().filename().string()});
        CHECK_MESSAGE(verify.exit_code == 0, verify.out);
    }
    // Positive control: file content is bytes, and any bytes are written (never logged).
    auto content = ws.airlock({"write", "--json", "bytes.bin"}, bad);
    CHECK(content.exit_code == 0);
    CHECK(read_text(ws.path() / "bytes.bin") == bad);
}

TEST_CASE("bad input: a 100 MiB argument is refused at the size limit, before anything runs") {
    Workspace ws;
    const std::string huge(100u << 20, 'x');
    // 100 MiB of arguments on stdin: reading stops at the limit.
    check_refused(ws,
                  ws.airlock({"call", "--json", "shell_exec", "-"},
                             R"({"argv": ["touch", "marker", ")" + huge + "\"]}"),
                  "arguments on standard input: more than 64 MiB");
    check_refused(ws, ws.airlock({"write", "--json", "marker"}, huge),
                  "file_write: the content on standard input: more than 64 MiB");
    // Under the JSON limit, one argument still cannot exceed what the kernel passes on.
    const std::string arg(airlock::exec::kMaxArgumentBytes + 1, 'y');
    check_refused(ws,
                  ws.airlock({"call", "--json", "shell_exec", "-"},
                             R"({"argv": ["touch", "marker", ")" + arg + "\"]}"),
                  "shell_exec: /argv/2 is 131072 bytes, more than the 131071 bytes a "
                  "command-line argument may have");
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
    CHECK(ws.wal_text().size() < (1u << 20));  // no argument reached the log
    // Positive control: an argument of exactly the limit reaches the command.
    const std::string max(airlock::exec::kMaxArgumentBytes, 'y');
    auto ok = ws.airlock(
        {"call", "--json", "shell_exec", "-"},
        R"({"argv": ["sh", "-c", "test ${#1} = 131071 && touch marker", "sh", ")" + max + "\"]}");
    CHECK_MESSAGE(ok.exit_code == 0, ok.out.substr(0, 2000));
    CHECK(fs::exists(ws.path() / "marker"));
}

TEST_CASE("bad input: paths with .., absolute paths and symlinked parents, on every interface") {
    Workspace ws;
    fs::create_directories(ws.outside() / "target");
    write_text(ws.outside() / "target" / "secret.txt", "s3cr3t-outside-content");
    fs::create_directory_symlink(ws.outside() / "target", ws.path() / "link");
    const std::string abs = (ws.outside() / "target" / "secret.txt").string();

    check_refused(ws, ws.airlock({"read", "--json", "../target/secret.txt"}),
                  "path \"../target/secret.txt\" escapes the workspace");
    check_refused(ws, ws.airlock({"read", "--json", abs}),
                  "is absolute; give a path relative to the workspace");
    check_refused(ws, ws.airlock({"read", "--json", "link/secret.txt"}),
                  "path \"link/secret.txt\" leads outside the workspace through a symlink");
    check_refused(
        ws,
        ws.airlock({"call", "--json", "file_write", R"({"path": "a/../../x", "content": "x"})"}),
        "path \"a/../../x\" escapes the workspace");
    check_refused(
        ws,
        ws.airlock({"call", "--json", "file_write", R"({"path": "link/new.txt", "content": "x"})"}),
        "leads outside the workspace through a symlink");
    check_refused(ws, ws.airlock({"exec", "--json", "--cwd", "..", "--", "touch", "marker"}),
                  "cwd \"..\" escapes the workspace");
    check_refused(ws, ws.airlock({"exec", "--json", "--cwd", "link", "--", "touch", "marker"}),
                  "cwd \"link\" leads outside the workspace through a symlink");
    check_refused(ws, ws.airlock({"exec", "--json", "--cwd", "/tmp", "--", "touch", "marker"}),
                  "cwd \"/tmp\" is absolute");
    CHECK_FALSE(contains(ws.wal_text(), "s3cr3t"));
    CHECK_FALSE(fs::exists(ws.outside() / "target" / "new.txt"));
    CHECK_FALSE(fs::exists(ws.outside() / "target" / "marker"));
    CHECK_FALSE(fs::exists(ws.outside() / "marker"));
}

TEST_CASE(
    "bad input: a policy with a duplicate id or a bad glob stops airlock (125, file:line:col)") {
    struct Row {
        std::string rules;
        std::string says;
    };
    const std::vector<Row> rows = {
        {"[{\"id\": \"a\", \"decision\": \"deny\", \"argv\": [\"rm\"]},\n"
         "  {\"id\": \"a\", \"decision\": \"ask\", \"argv\": [\"git\"]}]",
         "bad.json:3:10: rules[1].id: duplicate id \"a\" (first used by rules[0])"},
        {"[{\"id\": \"g\", \"decision\": \"deny\", \"argv\": [\"a[b\"]}]",
         "bad.json:2:53: rules[0].argv[0]: unterminated '[' in glob \"a[b\""},
        {"[{\"id\": \"p\", \"decision\": \"deny\", \"tool\": \"file_write\", \"path\": "
         "\"src/../..\"}]",
         "bad.json:2:74: rules[0].path: \".\" and \"..\" are not allowed inside a path glob"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.rules);
        Workspace ws;
        const fs::path bad = ws.outside() / "bad.json";
        write_text(bad, "{\"version\": 1, \"default\": \"allow\",\n \"rules\": " + row.rules + "}");
        auto check = ws.airlock({"policy", "check", "--policy", bad.string(), "--", "ls"});
        CHECK(check.exit_code == 125);
        CHECK(contains(check.out + check.err, row.says));
        auto run =
            ws.airlock({"exec", "--json", "--policy", bad.string(), "--", "touch", "marker"});
        check_refused(ws, run, row.says, "error", 125);
        const auto records = ws.run_records(run.json()["wal"]);
        CHECK(has_record(records, "config_error"));
        CHECK(records.back()["type"] == "run_aborted");
        CHECK_FALSE(fs::exists(ws.path() / "marker"));
    }
}

TEST_CASE("bad input: a 10 MB rule list loads and every rule counts, over 64 MiB is refused") {
    Workspace ws;
    // 160,000 rules; the last one is the one that decides.
    std::string rules = "{\"version\": 1, \"default\": \"allow\", \"rules\": [\n";
    constexpr int kRules = 160000;
    for (int i = 0; i < kRules; ++i)
        rules += "{\"id\": \"rule-" + std::to_string(i) +
                 "\", \"decision\": \"deny\", \"argv\": [\"" +
                 (i == kRules - 1 ? std::string("touch") : "prog-" + std::to_string(i)) + "\"]},\n";
    rules.resize(rules.size() - 2);
    rules += "]}\n";
    REQUIRE(rules.size() > 10'000'000);
    const fs::path big = ws.outside() / "big.json";
    write_text(big, rules);
    auto check = ws.airlock(
        {"policy", "check", "--json", "--policy", big.string(), "--", "touch", "marker"});
    CHECK(check.exit_code == 0);
    CHECK(contains(check.out, "\"rule\": \"rule-159999\""));
    auto run = ws.airlock({"exec", "--json", "--policy", big.string(), "--", "touch", "marker"});
    CHECK(run.exit_code == 126);
    CHECK(run.json()["decision"]["rule"] == "rule-159999");
    CHECK_FALSE(fs::exists(ws.path() / "marker"));

    // Larger than the limit: refused by its size, before it is read.
    const fs::path huge = ws.outside() / "huge.json";
    write_text(huge, "{}");
    fs::resize_file(huge, (64u << 20) + 1);  // sparse: costs no disk
    auto refused =
        ws.airlock({"exec", "--json", "--policy", huge.string(), "--", "touch", "marker"});
    check_refused(ws, refused, "huge.json: larger than 64 MiB", "error", 125);
    auto checked = ws.airlock({"policy", "check", "--policy", huge.string(), "--", "ls"});
    CHECK(checked.exit_code == 125);
    CHECK(contains(checked.out + checked.err, "huge.json: larger than 64 MiB"));
}
