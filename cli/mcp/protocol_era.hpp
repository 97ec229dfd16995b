// Which MCP era a request belongs to. A client that sent `initialize` speaks a 2025 revision
// for the rest of the connection; a request that carries the 2026-07-28 per-request `_meta`
// (protocol version and client capabilities) is served by that revision on its own, whatever
// came before it on the connection.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "cli/mcp/json_rpc.hpp"

namespace airlock::mcp {

inline constexpr const char* kModernProtocol = "2026-07-28";

namespace meta_key {
inline constexpr const char* kProtocolVersion = "io.modelcontextprotocol/protocolVersion";
inline constexpr const char* kClientCapabilities = "io.modelcontextprotocol/clientCapabilities";
inline constexpr const char* kClientInfo = "io.modelcontextprotocol/clientInfo";
inline constexpr const char* kServerInfo = "io.modelcontextprotocol/serverInfo";
}  // namespace meta_key

namespace rpc_error {
// Codes the 2026-07-28 revision defines (its reserved range -32020..-32099).
inline constexpr int kMissingRequiredClientCapability = -32021;
inline constexpr int kUnsupportedProtocolVersion = -32022;
}  // namespace rpc_error

// Every revision airlock speaks, newest first: the modern one per request, the 2025 ones after
// initialize.
std::vector<std::string> supported_versions();

// What a 2026-07-28 request declares about itself.
struct ModernRequest {
    std::string version;
    bool can_elicit = false;  // form-mode elicitation in its clientCapabilities
    std::string client_name;
};

// A request that cannot be served: the JSON-RPC error to answer with.
struct RpcFailure {
    int code = rpc_error::kInvalidParams;
    std::string message;
    json data = nullptr;
};

// monostate: the request carries no modern _meta (a 2025-era request). A request whose method
// only exists in the modern era (`server/discover`) must carry it.
using RequestEra = std::variant<std::monostate, ModernRequest, RpcFailure>;
RequestEra read_request_era(const Message& request);

// {} means form mode; from 2025-11-25 a client may list {form: {}, url: {}}: airlock only asks
// through forms.
bool declares_form_elicitation(const json& capabilities);

// `_meta` of every modern result: who answered.
json server_info();

}  // namespace airlock::mcp
