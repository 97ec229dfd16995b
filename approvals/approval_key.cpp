// The approval key: what an approval covers, hashed over canonical JSON.
#include <algorithm>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "platform/canonical_json.hpp"
#include "platform/sha256.hpp"

namespace airlock::approvals {

namespace {

// Tool-call strings are arbitrary bytes. Invalid UTF-8 cannot be a JSON string, and replacing
// bytes would let two different requests share a key, so such a string becomes an object that
// no valid string can collide with.
nlohmann::json text(const std::string& s) {
    if (is_valid_utf8(s)) return s;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(s.size() * 2);
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        hex.push_back(kHex[b >> 4]);
        hex.push_back(kHex[b & 0xF]);
    }
    return nlohmann::json{{"hex", hex}};
}

nlohmann::json texts(const std::vector<std::string>& items) {
    auto out = nlohmann::json::array();
    for (const auto& s : items)
        out.push_back(text(s));
    return out;
}

// "" and "." (with or without a trailing slash) both name the workspace root; the key uses "".
std::string root_as_empty(const std::string& cwd) {
    if (cwd == "." || cwd == "./") return "";
    return cwd;
}

}  // namespace

nlohmann::json sanitized_request(const ToolCall& call, const std::vector<std::string>& env_keys) {
    switch (call.tool) {
        case Tool::shell_exec: {
            std::vector<std::string> keys = env_keys;
            std::sort(keys.begin(), keys.end());
            keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
            nlohmann::json out = nlohmann::json::object();
            out["argv"] = texts(effective_argv(call));
            out["cwd"] = text(root_as_empty(call.cwd));
            out["env_keys"] = texts(keys);
            return out;
        }
        case Tool::file_write:
            return {{"path", text(call.path)},
                    {"size", static_cast<std::uint64_t>(call.content.size())},
                    {"sha256", sha256_hex(call.content)}};
        case Tool::file_read: {
            nlohmann::json out = {{"path", text(call.path)}};
            if (call.max_bytes) out["max_bytes"] = static_cast<std::uint64_t>(*call.max_bytes);
            return out;
        }
    }
    // An unknown tool must never share a key with anything: hash everything identifying it.
    return {{"unknown_tool", static_cast<int>(call.tool)}};
}

nlohmann::json network_request(const NetworkDestination& d) {
    return {{"host", text(d.host)}, {"port", static_cast<std::uint64_t>(d.port)}};
}

std::string program_of(const ToolCall& call) {
    if (call.tool != Tool::shell_exec) return "";
    const auto argv = effective_argv(call);
    return argv.empty() ? std::string() : argv.front();
}

std::string network_approval_key(const NetworkDestination& d) {
    nlohmann::json keyed = nlohmann::json::object();
    keyed["tool"] = "network";
    keyed["request"] = network_request(d);
    auto canonical = canonical_json(keyed);
    if (!canonical) throw std::logic_error("approval key: " + canonical.error().describe());
    return sha256_hex(*canonical);
}

std::string request_key(const ApprovalRequest& request) {
    return request.network ? network_approval_key(*request.network)
                           : approval_key(request.call, request.env_keys);
}

std::string approval_key(const ToolCall& call, const std::vector<std::string>& env_keys) {
    // Built by moving the parts in: a braced initializer would deep-copy the request.
    nlohmann::json keyed = nlohmann::json::object();
    keyed["tool"] = std::string(tool_name(call.tool));
    keyed["request"] = sanitized_request(call, env_keys);
    // Every string above is valid UTF-8 by construction and every number is an integer, so
    // canonical_json cannot fail; if it did, no key (which could be shared) is better than one.
    auto canonical = canonical_json(keyed);
    if (!canonical) throw std::logic_error("approval key: " + canonical.error().describe());
    return sha256_hex(*canonical);
}

}  // namespace airlock::approvals
