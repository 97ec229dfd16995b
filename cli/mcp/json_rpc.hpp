// JSON-RPC 2.0 framing for the MCP stdio transport: one message per line, classified and built.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace airlock::mcp {

using nlohmann::json;

namespace rpc_error {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
}  // namespace rpc_error

struct Message {
    enum class Kind { request, notification, response, invalid };
    Kind kind = Kind::invalid;
    json id;             // request, response; for invalid: the id when one could be read, else null
    std::string method;  // request, notification
    json params;         // request, notification: the params object, or null when absent
    json result;         // response: the result (null for an error response)
    std::optional<json> error;  // response: the error object
    int error_code = 0;         // invalid: kParseError or kInvalidRequest
    std::string error_message;  // invalid: why
};

// Classifies one line (without its newline). Never throws.
Message parse_message(std::string_view line);

json response(const json& id, json result);
json error_response(const json& id, int code, const std::string& message, json data = nullptr);
json notification(const std::string& method, json params);
json request(const json& id, const std::string& method, json params);

// One line of compact JSON; invalid UTF-8 in strings is replaced, and a newline inside a
// string is escaped, so the line never breaks the framing.
std::string serialize(const json& message);

// "id" as a map key: 7 and "7" are different requests.
std::string id_key(const json& id);

}  // namespace airlock::mcp
