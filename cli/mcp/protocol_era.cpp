#include "cli/mcp/protocol_era.hpp"

#include "cli/mcp/client_state.hpp"
#include "exec/version.hpp"

namespace airlock::mcp {

std::vector<std::string> supported_versions() {
    return {kModernProtocol, kLatestProtocol, "2025-06-18", "2025-03-26"};
}

bool declares_form_elicitation(const json& capabilities) {
    if (!capabilities.is_object() || !capabilities.contains("elicitation") ||
        !capabilities["elicitation"].is_object())
        return false;
    const json& e = capabilities["elicitation"];
    return e.contains("form") || !e.contains("url");
}

json server_info() {
    return {{"name", "airlock"},
            {"title", "airlock sandboxed tools"},
            {"version", std::string(kVersion)}};
}

RequestEra read_request_era(const Message& m) {
    const bool modern_only = m.method == "server/discover";
    const json* meta = nullptr;
    if (m.params.is_object() && m.params.contains("_meta") && m.params["_meta"].is_object())
        meta = &m.params["_meta"];
    if (!meta || !meta->contains(meta_key::kProtocolVersion)) {
        if (!modern_only) return std::monostate{};
        return RpcFailure{rpc_error::kInvalidParams,
                          m.method + ": params._meta[\"" + meta_key::kProtocolVersion +
                              "\"] is required (the 2026-07-28 revision declares its version on "
                              "every request)",
                          nullptr};
    }
    const json& version = (*meta)[meta_key::kProtocolVersion];
    if (!version.is_string())
        return RpcFailure{
            rpc_error::kInvalidParams,
            m.method + ": params._meta[\"" + meta_key::kProtocolVersion + "\"] must be a string",
            nullptr};
    // Only the modern revision is spoken per request; the 2025 ones need initialize.
    if (version != kModernProtocol) {
        const std::string requested = version.get<std::string>();
        return RpcFailure{rpc_error::kUnsupportedProtocolVersion,
                          "Unsupported protocol version",
                          {{"supported", supported_versions()}, {"requested", requested}}};
    }
    if (!meta->contains(meta_key::kClientCapabilities) ||
        !(*meta)[meta_key::kClientCapabilities].is_object())
        return RpcFailure{rpc_error::kInvalidParams,
                          m.method + ": params._meta[\"" + meta_key::kClientCapabilities +
                              "\"] (an object) is required",
                          nullptr};
    ModernRequest r;
    r.version = kModernProtocol;
    r.can_elicit = declares_form_elicitation((*meta)[meta_key::kClientCapabilities]);
    if (meta->contains(meta_key::kClientInfo)) {
        const json& info = (*meta)[meta_key::kClientInfo];
        if (info.is_object() && info.contains("name") && info["name"].is_string())
            r.client_name = info["name"];
    }
    return r;
}

}  // namespace airlock::mcp
