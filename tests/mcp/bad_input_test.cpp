// The bad-input table (RELIABILITY.md) through `airlock serve`: each row gets a JSON-RPC error
// or an isError result naming what was wrong, runs nothing, is in the session's WAL, and the
// server goes on serving (or, when stdin ends, exits 0 with an intact log).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "airlock_runner.hpp"
#include "serve_client.hpp"

using airlock::test::find_record;
using airlock::test::ServeClient;
using airlock::test::Workspace;
using airlock::test::write_text;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<json> records_of(const Workspace& ws, const std::string& type) {
    std::vector<json> out;
    for (const auto& r : ws.wal_records())
        if (r["type"] == type) out.push_back(r);
    return out;
}

// Ends the session and checks it ended well: exit 0, one run, its log intact.
void finish_cleanly(const Workspace& ws, ServeClient& server) {
    server.close_stdin();
    CHECK(server.wait_exit() == 0);
    auto verify = ws.airlock({"wal", "verify", "last"});
    CHECK_MESSAGE(verify.exit_code == 0, verify.out);
}

// The server is still serving after the bad input.
void check_still_serving(ServeClient& server, const std::string& id) {
    server.send({{"jsonrpc", "2.0"}, {"id", id}, {"method", "ping"}});
    CHECK(server.reply(id)["result"] == json::object());
}

}  // namespace

TEST_CASE(
    "bad input: malformed, invalid UTF-8 and too deeply nested lines get -32700 with the column") {
    Workspace ws;
    ServeClient server(ws);
    server.initialize();
    server.write_raw(
        R"({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "shell_exec", "arguments": {"argv": ["touch", "marker"]})"
        "\n");
    server.write_raw("{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"x\xff\"}\n");
    server.write_raw("{\"jsonrpc\": \"2.0\", \"id\": 3, \"method\": \"ping\", \"n\": 1e999}\n");
    const json parse = server.reply(nullptr);
    REQUIRE(parse.is_object());
    CAPTURE(parse.dump());
    CHECK(parse["error"]["code"] == -32700);
    CHECK(contains(parse["error"]["message"], "not valid JSON at line 1, column 128 (byte 127)"));
    const json utf8 = server.reply(nullptr);
    CHECK(utf8["error"]["code"] == -32700);
    CHECK(contains(utf8["error"]["message"], "ill-formed UTF-8 byte"));
    const json number = server.reply(nullptr);
    CHECK(number["error"]["code"] == -32700);
    CHECK(contains(number["error"]["message"], "a number is out of range"));
    // A million nested arrays: refused by depth before parsing (copying it would overflow
    // the stack), at the bracket that goes too deep.
    const std::string prefix = R"({"jsonrpc": "2.0", "id": 4, "method": "ping", "params": )";
    server.write_raw(prefix + std::string(1000000, '[') + std::string(1000000, ']') + "}\n");
    const json deep = server.reply(nullptr);
    CAPTURE(deep.dump());
    CHECK(deep["error"]["code"] == -32700);
    CHECK(contains(deep["error"]["message"],
                   "at line 1, column " + std::to_string(prefix.size() + 128) + " (byte " +
                       std::to_string(prefix.size() + 127) + "): nesting deeper than 128 levels"));
    check_still_serving(server, "after");
    finish_cleanly(ws, server);
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
    const auto refused = records_of(ws, "protocol_error");
    REQUIRE(refused.size() == 4);
    CHECK(refused[0]["data"]["code"] == -32700);
    CHECK(contains(refused[0]["data"]["message"], "column 128"));
    CHECK(records_of(ws, "call_received").empty());
}

TEST_CASE("bad input: wrong types, missing fields, unknown tools, empty argv, NUL bytes: -32602") {
    Workspace ws;
    ServeClient server(ws);
    server.initialize();
    struct Row {
        std::string tool;
        json args;
        std::string says;
    };
    const std::vector<Row> rows = {
        {"shell_exec", {{"argv", "touch marker"}}, "must be array, got string (at /argv)"},
        {"shell_exec", {{"argv", {"touch", 1}}}, "(at /argv/1)"},
        {"shell_exec", json::object(), "missing required parameter \"command\" or \"argv\""},
        {"file_write", {{"path", "marker"}}, "missing required parameter \"content\""},
        {"rm_everything", {{"argv", {"touch", "marker"}}}, "unknown tool \"rm_everything\""},
        {"shell_exec",
         {{"argv", {"touch", "marker"}}, {"as_root", true}},
         "unknown parameter \"as_root\" (at /as_root)"},
        {"shell_exec", {{"argv", json::array()}}, "\"argv\" is empty (at /argv)"},
        {"shell_exec", {{"command", ""}}, "\"command\" is empty (at /command)"},
        {"shell_exec",
         {{"argv", {"touch", std::string("marker\0x", 8)}}},
         "/argv/1 contains a NUL byte at offset 6"},
        {"file_write",
         {{"path", std::string("marker\0", 7)}, {"content", "x"}},
         "/path contains a NUL byte at offset 6"},
    };
    int id = 10;
    for (const auto& row : rows) {
        CAPTURE(row.args.dump());
        const json reply = server.call_tool(++id, row.tool, row.args);
        REQUIRE(reply.is_object());
        CHECK(reply["error"]["code"] == -32602);
        CHECK(reply["error"]["data"]["stage"] == "input");
        CHECK(contains(reply["error"]["message"], row.says));
    }
    finish_cleanly(ws, server);
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
    const auto finished = records_of(ws, "call_finished");
    REQUIRE(finished.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CHECK(finished[i]["data"]["status"] == "invalid");
        CHECK(contains(finished[i]["data"]["message"], rows[i].says));
    }
    CHECK(records_of(ws, "exec_started").empty());
    CHECK(records_of(ws, "file_written").empty());
}

TEST_CASE("bad input: .., absolute and symlinked paths are isError results with status invalid") {
    Workspace ws;
    fs::create_directories(ws.outside() / "target");
    fs::create_directory_symlink(ws.outside() / "target", ws.path() / "link");
    ServeClient server(ws);
    server.initialize();
    struct Row {
        std::string tool;
        json args;
        std::string says;
    };
    const std::vector<Row> rows = {
        {"file_write", {{"path", "../marker"}, {"content", "x"}}, "escapes the workspace"},
        {"file_write",
         {{"path", (ws.outside() / "marker").string()}, {"content", "x"}},
         "is absolute"},
        {"file_write",
         {{"path", "link/marker"}, {"content", "x"}},
         "leads outside the workspace through a symlink"},
        {"file_read", {{"path", "link/../../outside.txt"}}, "escapes the workspace"},
        {"shell_exec",
         {{"argv", {"touch", "marker"}}, {"cwd", "link"}},
         "leads outside the workspace through a symlink"},
    };
    int id = 0;
    for (const auto& row : rows) {
        CAPTURE(row.args.dump());
        const json reply = server.call_tool(++id, row.tool, row.args);
        REQUIRE(reply.is_object());
        CHECK(reply["result"]["isError"] == true);
        CHECK(reply["result"]["structuredContent"]["status"] == "invalid");
        CHECK(reply["result"]["structuredContent"]["stage"] == "input");
        CHECK(contains(reply["result"]["content"][0]["text"], row.says));
    }
    finish_cleanly(ws, server);
    CHECK(fs::is_empty(ws.outside() / "target"));
    CHECK_FALSE(fs::exists(ws.outside() / "marker"));
    for (const auto& r : records_of(ws, "call_finished"))
        CHECK(r["data"]["status"] == "invalid");
    CHECK(records_of(ws, "call_finished").size() == rows.size());
}

TEST_CASE(
    "bad input: a message split across reads, even inside a UTF-8 character, is one message") {
    Workspace ws;
    ServeClient server(ws);
    server.initialize();
    const std::string line =
        json({{"jsonrpc", "2.0"},
              {"id", 7},
              {"method", "tools/call"},
              {"params",
               {{"name", "file_write"}, {"arguments", {{"path", "marker"}, {"content", "é€😀"}}}}}})
            .dump() +
        "\n";
    // Cut points: inside a key, inside the 4-byte emoji, just before the newline.
    const std::size_t emoji = line.find("\xf0\x9f");
    std::size_t from = 0;
    for (const std::size_t cut : {std::size_t{5}, emoji + 2, line.size() - 1}) {
        server.write_raw(std::string_view(line).substr(from, cut - from));
        REQUIRE(server.wait_until_read());  // the server has consumed this part by itself
        from = cut;
    }
    server.write_raw(std::string_view(line).substr(from));
    const json reply = server.reply(7);
    CHECK(reply["result"]["isError"] == false);
    // A part taken for a line would have been answered (-32700) by the reader before it read
    // the ping that follows: nothing but the two replies came back.
    check_still_serving(server, "after");
    CHECK(server.messages().empty());
    finish_cleanly(ws, server);
    CHECK(airlock::test::read_text(ws.path() / "marker") == "é€😀");
}

TEST_CASE("bad input: a 50 MiB message is served, over 64 MiB is -32600 and the server goes on") {
    Workspace ws;
    ServeClient server(ws);
    server.initialize();
    const std::string big(50u << 20, 'x');
    // 50 MiB of file content: within the documented limits, written, never logged.
    json reply = server.call_tool(1, "file_write", {{"path", "big.txt"}, {"content", big}});
    CHECK(reply["result"]["isError"] == false);
    CHECK(fs::file_size(ws.path() / "big.txt") == big.size());
    // A 50 MiB argv element: refused at the per-argument limit, nothing runs.
    reply = server.call_tool(2, "shell_exec", {{"argv", {"touch", "marker", big}}});
    CHECK(reply["error"]["code"] == -32602);
    CHECK(contains(reply["error"]["message"],
                   "/argv/2 is 52428800 bytes, more than the 131071 bytes a command-line "
                   "argument may have"));
    // Over the message limit: dropped as it streams in, answered at once.
    server.write_raw(
        json({{"jsonrpc", "2.0"},
              {"id", 3},
              {"method", "tools/call"},
              {"params",
               {{"name", "shell_exec"},
                {"arguments", {{"argv", {"touch", "marker", std::string(65u << 20, 'y')}}}}}}})
            .dump() +
        "\n");
    const json oversized = server.reply(nullptr);
    CHECK(oversized["error"]["code"] == -32600);
    CHECK(contains(oversized["error"]["message"], "message larger than 67108864 bytes"));
    check_still_serving(server, "after");
    finish_cleanly(ws, server);
    CHECK_FALSE(fs::exists(ws.path() / "marker"));
    CHECK(records_of(ws, "protocol_error").size() == 1);
    CHECK(records_of(ws, "file_written").size() == 1);
    const std::string wal = ws.wal_text();
    CHECK(wal.size() < (1u << 20));  // neither the content nor the arguments are in the log
}

TEST_CASE("bad input: stdin closed mid-message: nothing runs, recorded, exit 0, log intact") {
    for (const bool complete_json : {true, false}) {
        CAPTURE(complete_json);
        Workspace ws;
        ServeClient server(ws);
        server.initialize();
        std::string line =
            json({{"jsonrpc", "2.0"},
                  {"id", 9},
                  {"method", "tools/call"},
                  {"params",
                   {{"name", "shell_exec"}, {"arguments", {{"argv", {"touch", "marker"}}}}}}})
                .dump();
        // Whole JSON but no newline, or cut in the middle: neither is a message.
        if (!complete_json) line.resize(line.size() / 2);
        server.write_raw(line);
        server.close_stdin();
        CHECK(server.wait_exit() == 0);
        CHECK_FALSE(fs::exists(ws.path() / "marker"));
        CHECK(records_of(ws, "call_received").empty());
        const auto refused = records_of(ws, "protocol_error");
        REQUIRE(refused.size() == 1);
        CHECK(contains(refused[0]["data"]["message"],
                       "stdin closed in the middle of a message: its last " +
                           std::to_string(line.size()) + " bytes had no newline"));
        CHECK(ws.wal_records().back()["type"] == "run_finished");
        CHECK(ws.airlock({"wal", "verify", "last"}).exit_code == 0);
    }
}

TEST_CASE("bad input: a policy with a duplicate id or a bad glob stops airlock serve (exit 125)") {
    for (const std::string rules : {R"([{"id": "a", "decision": "deny", "argv": ["rm"]},
  {"id": "a", "decision": "ask", "argv": ["git"]}])",
                                    R"([{"id": "g", "decision": "deny", "argv": ["a[b"]}])"}) {
        CAPTURE(rules);
        Workspace ws;
        write_text(ws.outside() / "bad.json", "{\"version\": 1,\n \"rules\": " + rules + "}");
        ServeClient server(ws, {"--policy", (ws.outside() / "bad.json").string()});
        CHECK(server.wait_exit() == 125);
        CHECK(server.messages().empty());  // it served nothing
        const auto errors = records_of(ws, "config_error");
        REQUIRE(errors.size() == 1);
        CHECK(contains(errors[0]["data"]["message"], "bad.json:"));
        CHECK(ws.wal_records().back()["type"] == "run_aborted");
    }
}
