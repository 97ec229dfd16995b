// What the client told airlock in initialize: read by the elicitation provider on any thread.
#pragma once

#include <mutex>
#include <string>

#include "cli/mcp/json_rpc.hpp"

namespace airlock::mcp {

inline constexpr const char* kLatestProtocol = "2025-11-25";

// The client's requested version when airlock speaks it, else the latest (the client then
// decides whether it can go on).
std::string negotiate_protocol(const json& requested);

class ClientState {
  public:
    // From initialize's params; the negotiated version.
    void initialize(const std::string& protocol_version, const json& capabilities,
                    const json& client_info);
    bool initialized() const;
    // The client can answer form-mode elicitation/create requests.
    bool can_elicit() const;
    // Form mode is named explicitly from 2025-11-25 on; older clients do not know `mode`.
    bool sends_mode() const;
    std::string client_name() const;

  private:
    mutable std::mutex mutex_;
    bool initialized_ = false;
    bool elicitation_ = false;
    std::string protocol_;
    std::string client_name_;
};

}  // namespace airlock::mcp
