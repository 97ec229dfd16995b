// The JSON-RPC framing and the pure pieces of the server: message classification, line
// splitting, version negotiation and the reading of elicitation answers.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/mcp/client_state.hpp"
#include "cli/mcp/elicitation_provider.hpp"
#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/line_reader.hpp"

using namespace airlock::mcp;
using airlock::approvals::ApprovalDecision;
using Kind = Message::Kind;

TEST_CASE("messages are classified as request, notification, response or invalid") {
    auto req = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"ping"})");
    CHECK(req.kind == Kind::request);
    CHECK(req.id == 7);
    CHECK(req.method == "ping");
    CHECK(req.params.is_null());

    auto note = parse_message(
        R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"a"}})");
    CHECK(note.kind == Kind::notification);
    CHECK(note.params["requestId"] == "a");

    auto resp = parse_message(R"({"jsonrpc":"2.0","id":3,"result":{"action":"accept"}})");
    CHECK(resp.kind == Kind::response);
    CHECK(resp.result["action"] == "accept");
    CHECK_FALSE(resp.error);

    auto err = parse_message(R"({"jsonrpc":"2.0","id":3,"error":{"code":-1,"message":"no"}})");
    CHECK(err.kind == Kind::response);
    REQUIRE(err.error);
    CHECK((*err.error)["message"] == "no");
}

TEST_CASE("malformed messages carry the JSON-RPC error to answer with") {
    struct Case {
        std::string line;
        int code;
        nlohmann::json id;
    };
    const std::vector<Case> cases{
        {"{", rpc_error::kParseError, nullptr},
        {"hello", rpc_error::kParseError, nullptr},
        {R"({"jsonrpc":"2.0","id":1,"method":"ping"} trailing)", rpc_error::kParseError, nullptr},
        {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", rpc_error::kInvalidRequest, nullptr},
        {R"("just a string")", rpc_error::kInvalidRequest, nullptr},
        {R"({"id":1,"method":"ping"})", rpc_error::kInvalidRequest, 1},
        {R"({"jsonrpc":"2.0","id":null,"method":"ping"})", rpc_error::kInvalidRequest, nullptr},
        {R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", rpc_error::kInvalidRequest, nullptr},
        {R"({"jsonrpc":"2.0","id":2,"method":5})", rpc_error::kInvalidRequest, 2},
        {R"({"jsonrpc":"2.0","id":"x","method":"tools/call","params":[1]})",
         rpc_error::kInvalidParams, "x"},
        {R"({"jsonrpc":"2.0","id":4})", rpc_error::kInvalidRequest, 4},
    };
    for (const auto& c : cases) {
        CAPTURE(c.line);
        const Message m = parse_message(c.line);
        CHECK(m.kind == Kind::invalid);
        CHECK(m.error_code == c.code);
        CHECK(m.id == c.id);
        CHECK_FALSE(m.error_message.empty());
    }
}

TEST_CASE("a notification with unusable params is still a notification (never answered)") {
    auto m = parse_message(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":3})");
    CHECK(m.kind == Kind::notification);
    CHECK(m.params.is_null());
}

TEST_CASE("serialize keeps one message on one line, even with newlines and invalid UTF-8") {
    const auto line =
        serialize(response(1, {{"text", "a\nb\r\n"}, {"bytes", std::string("\xff\xfe")}}));
    CHECK(line.find('\n') == std::string::npos);
    CHECK(nlohmann::json::parse(line)["result"]["text"] == "a\nb\r\n");
    CHECK(error_response(nullptr, -32700, "x")["id"].is_null());
    CHECK(id_key(7) != id_key("7"));
}

TEST_CASE("the line reader splits, strips CR, skips blank lines and drops oversized ones") {
    LineReader reader(16);
    std::vector<std::string> lines;
    int oversized = 0;
    const auto on_line = [&](std::string_view l) { lines.emplace_back(l); };
    const auto on_big = [&] { ++oversized; };
    reader.feed("ab", on_line, on_big);
    reader.feed("c\r\n\n  \nd", on_line, on_big);
    CHECK(lines == std::vector<std::string>{"abc"});
    reader.feed("0123456789abcdefXYZ", on_line, on_big);  // "d" + 19 bytes: over the limit
    reader.feed("more\nok\n", on_line, on_big);
    CHECK(oversized == 1);
    CHECK(lines == std::vector<std::string>{"abc", "ok"});
    // A last line without its newline is never a message: only its size is reported.
    std::size_t unterminated = 0;
    reader.feed("last", on_line, on_big);
    reader.finish([&](std::size_t bytes) { unterminated = bytes; });
    CHECK(lines == std::vector<std::string>{"abc", "ok"});
    CHECK(unterminated == 4);
    unterminated = 0;
    reader.feed("ok2\n \r", on_line, on_big);
    reader.finish([&](std::size_t bytes) { unterminated = bytes; });
    CHECK(lines == std::vector<std::string>{"abc", "ok", "ok2"});
    CHECK(unterminated == 0);  // blank: nothing was cut off
}

TEST_CASE("protocol versions: supported ones are echoed, anything else gets the latest") {
    CHECK(negotiate_protocol("2025-11-25") == "2025-11-25");
    CHECK(negotiate_protocol("2025-06-18") == "2025-06-18");
    CHECK(negotiate_protocol("2025-03-26") == "2025-03-26");
    CHECK(negotiate_protocol("2024-11-05") == "2025-11-25");
    CHECK(negotiate_protocol(3) == "2025-11-25");
}

TEST_CASE("client capabilities: elicitation {} or {form} can be asked, {url} alone cannot") {
    ClientState a, b, c, d;
    a.initialize("2025-11-25", {{"elicitation", nlohmann::json::object()}}, {});
    b.initialize("2025-11-25", {{"elicitation", {{"form", nlohmann::json::object()}}}}, {});
    c.initialize("2025-11-25", {{"elicitation", {{"url", nlohmann::json::object()}}}}, {});
    d.initialize("2025-06-18", nlohmann::json::object(), {});
    CHECK(a.can_elicit());
    CHECK(b.can_elicit());
    CHECK_FALSE(c.can_elicit());
    CHECK_FALSE(d.can_elicit());
    CHECK(a.sends_mode());
    CHECK_FALSE(d.sends_mode());
}

TEST_CASE("elicitation answers: only an explicit, well-formed approval grants") {
    using nlohmann::json;
    const auto decide = [](const json& result) { return read_elicitation_result(result).decision; };
    CHECK(decide({{"action", "accept"}, {"content", {{"approve", true}}}}) ==
          ApprovalDecision::approved);
    CHECK(decide({{"action", "accept"}, {"content", {{"approve", true}, {"remember", "once"}}}}) ==
          ApprovalDecision::approved);
    CHECK(
        decide({{"action", "accept"}, {"content", {{"approve", true}, {"remember", "session"}}}}) ==
        ApprovalDecision::approved_for_session);
    CHECK(decide(
              {{"action", "accept"}, {"content", {{"approve", false}, {"remember", "session"}}}}) ==
          ApprovalDecision::denied);
    CHECK(decide({{"action", "decline"}}) == ApprovalDecision::denied);
    CHECK(decide({{"action", "cancel"}}) == ApprovalDecision::denied);
    // malformed answers fail closed
    CHECK(decide({{"action", "accept"}}) == ApprovalDecision::denied);
    CHECK(decide({{"action", "accept"}, {"content", {{"approve", "yes"}}}}) ==
          ApprovalDecision::denied);
    CHECK(
        decide({{"action", "accept"}, {"content", {{"approve", true}, {"remember", "forever"}}}}) ==
        ApprovalDecision::denied);
    CHECK(decide({{"action", "ACCEPT"}, {"content", {{"approve", true}}}}) ==
          ApprovalDecision::denied);
    CHECK(decide(json::array()) == ApprovalDecision::denied);
}
