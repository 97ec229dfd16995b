// MCP stdio framing and message parsing: the bytes a client writes, split into lines by
// LineReader and classified by parse_message, as `airlock serve` reads them.
// Invariants: nothing throws; the lines do not depend on how the bytes arrive (in one read or
// in small pieces) and are exactly the non-blank lines of the stream, an over-long line
// reported instead; an invalid message carries a JSON-RPC error code and a reason; whatever
// airlock answers serializes to one line that parses back to the same id; a request rebuilt
// from the parsed message parses to the same message.
#include <string>
#include <vector>

#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/line_reader.hpp"
#include "fuzz_target.hpp"

namespace {

using namespace airlock::mcp;

constexpr std::size_t kMaxLine = 512;  // small, so that the over-long path is reached
const std::string kOversized = "<oversized>";
const std::string kUnterminated = "<unterminated>";

std::vector<std::string> read_lines(std::string_view bytes, std::size_t piece) {
    LineReader reader(kMaxLine);
    std::vector<std::string> out;
    auto on_line = [&](std::string_view line) { out.emplace_back(line); };
    auto on_oversized = [&] { out.push_back(kOversized); };
    for (std::size_t at = 0; at < bytes.size(); at += piece)
        reader.feed(bytes.substr(at, piece), on_line, on_oversized);
    // A last line without its newline is never a message: only its presence is reported.
    reader.finish([&](std::size_t) { out.push_back(kUnterminated); });
    return out;
}

// What the framing promises, written the plain way.
std::vector<std::string> expected_lines(std::string_view bytes) {
    std::vector<std::string> out;
    while (!bytes.empty()) {
        const std::size_t nl = bytes.find('\n');
        std::string_view line = bytes.substr(0, nl);
        if (line.size() > kMaxLine) {
            out.push_back(kOversized);
        } else {
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            if (line.find_first_not_of(" \t\r") != std::string_view::npos)
                out.push_back(nl == std::string_view::npos ? kUnterminated : std::string(line));
        }
        if (nl == std::string_view::npos) break;
        bytes.remove_prefix(nl + 1);
    }
    return out;
}

void check_one_line(const std::string& text) {
    FUZZ_CHECK(text.find('\n') == std::string::npos);
    FUZZ_CHECK(!json::parse(text, nullptr, false).is_discarded());
}

void check_message(std::string_view line) {
    const Message m = parse_message(line);
    switch (m.kind) {
        case Message::Kind::invalid: {
            FUZZ_CHECK(m.error_code == rpc_error::kParseError ||
                       m.error_code == rpc_error::kInvalidRequest ||
                       m.error_code == rpc_error::kInvalidParams);
            FUZZ_CHECK(!m.error_message.empty());
            const std::string reply =
                serialize(error_response(m.id, m.error_code, m.error_message));
            check_one_line(reply);
            FUZZ_CHECK(id_key(json::parse(reply)["id"]) == id_key(m.id));
            break;
        }
        case Message::Kind::request:
        case Message::Kind::notification: {
            FUZZ_CHECK(m.params.is_null() || m.params.is_object());
            const bool is_request = m.kind == Message::Kind::request;
            json rebuilt = {{"jsonrpc", "2.0"}, {"method", m.method}};
            if (is_request) rebuilt["id"] = m.id;
            if (!m.params.is_null()) rebuilt["params"] = m.params;
            const std::string text = serialize(rebuilt);
            check_one_line(text);
            const Message again = parse_message(text);
            FUZZ_CHECK(again.kind == m.kind && again.method == m.method);
            FUZZ_CHECK(id_key(again.id) == id_key(m.id));
            FUZZ_CHECK(again.params == m.params);
            if (is_request) check_one_line(serialize(response(m.id, {{"echo", m.params}})));
            break;
        }
        case Message::Kind::response:
            FUZZ_CHECK(m.id.is_string() || m.id.is_number_integer());
            break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::size_t piece = 1 + data[0] % 64;
    const std::string_view bytes = airlock::fuzz::as_text(data + 1, size - 1);

    const auto lines = read_lines(bytes, bytes.size() + 1);
    FUZZ_CHECK(lines == read_lines(bytes, piece));
    FUZZ_CHECK(lines == expected_lines(bytes));
    for (const auto& line : lines)
        if (line != kOversized) check_message(line);
    return 0;
}
