#include "cli/mcp/json_rpc.hpp"

#include "exec/tool_schema_input.hpp"

namespace airlock::mcp {

namespace {

Message invalid(int code, std::string message, json id = nullptr) {
    Message m;
    m.kind = Message::Kind::invalid;
    m.error_code = code;
    m.error_message = std::move(message);
    m.id = std::move(id);
    return m;
}

// MCP ids are strings or integers, never null.
bool valid_id(const json& id) {
    return id.is_string() || id.is_number_integer();
}

}  // namespace

Message parse_message(std::string_view line) {
    auto parsed = exec::parse_json_text(line, "parse error");
    if (!parsed) return invalid(rpc_error::kParseError, parsed.error().message);
    json j = std::move(parsed).value();
    if (!j.is_object())
        return invalid(rpc_error::kInvalidRequest,
                       j.is_array() ? "invalid request: batches are not supported"
                                    : "invalid request: a message must be a JSON object");
    json id = j.contains("id") && valid_id(j["id"]) ? j["id"] : json(nullptr);
    if (!j.contains("jsonrpc") || j["jsonrpc"] != "2.0")
        return invalid(rpc_error::kInvalidRequest, "invalid request: \"jsonrpc\" must be \"2.0\"",
                       id);
    if (j.contains("id") && !valid_id(j["id"]))
        return invalid(rpc_error::kInvalidRequest,
                       "invalid request: \"id\" must be a string or an integer");

    Message m;
    if (j.contains("method")) {
        if (!j["method"].is_string())
            return invalid(rpc_error::kInvalidRequest,
                           "invalid request: \"method\" must be a string", id);
        m.method = j["method"].get<std::string>();
        // A notification is never answered, not even when its params are unusable.
        const bool is_notification = !j.contains("id");
        if (j.contains("params") && !is_notification) {
            if (!j["params"].is_object())
                return invalid(rpc_error::kInvalidParams,
                               "invalid params: \"params\" must be an object", id);
            m.params = j["params"];
        } else if (j.contains("params") && j["params"].is_object()) {
            m.params = j["params"];
        }
        m.kind = is_notification ? Message::Kind::notification : Message::Kind::request;
        m.id = id;
        return m;
    }
    if (j.contains("id") && (j.contains("result") || j.contains("error"))) {
        m.kind = Message::Kind::response;
        m.id = id;
        if (j.contains("error"))
            m.error = j["error"];
        else
            m.result = j["result"];
        return m;
    }
    return invalid(rpc_error::kInvalidRequest,
                   "invalid request: neither a request, a notification nor a response", id);
}

json response(const json& id, json result) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

json error_response(const json& id, int code, const std::string& message, json data) {
    json error = {{"code", code}, {"message", message}};
    if (!data.is_null()) error["data"] = std::move(data);
    return {{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(error)}};
}

json notification(const std::string& method, json params) {
    return {{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}};
}

json request(const json& id, const std::string& method, json params) {
    return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

std::string serialize(const json& message) {
    return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string id_key(const json& id) {
    return id.dump();
}

}  // namespace airlock::mcp
