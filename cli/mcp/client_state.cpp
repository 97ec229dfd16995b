#include "cli/mcp/client_state.hpp"

#include <array>

#include "cli/mcp/protocol_era.hpp"

namespace airlock::mcp {

std::string negotiate_protocol(const json& requested) {
    static const std::array<const char*, 3> supported{kLatestProtocol, "2025-06-18", "2025-03-26"};
    if (requested.is_string())
        for (const char* version : supported)
            if (requested == version) return version;
    return kLatestProtocol;
}

void ClientState::initialize(const std::string& protocol_version, const json& capabilities,
                             const json& client_info) {
    std::lock_guard lock(mutex_);
    initialized_ = true;
    protocol_ = protocol_version;
    elicitation_ = declares_form_elicitation(capabilities);
    client_name_ =
        client_info.is_object() && client_info.contains("name") && client_info["name"].is_string()
            ? client_info["name"].get<std::string>()
            : "";
}

bool ClientState::initialized() const {
    std::lock_guard lock(mutex_);
    return initialized_;
}

bool ClientState::can_elicit() const {
    std::lock_guard lock(mutex_);
    return elicitation_;
}

bool ClientState::sends_mode() const {
    std::lock_guard lock(mutex_);
    return protocol_ >= std::string(kLatestProtocol);
}

std::string ClientState::client_name() const {
    std::lock_guard lock(mutex_);
    return client_name_;
}

}  // namespace airlock::mcp
