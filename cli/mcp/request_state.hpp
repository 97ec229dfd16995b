// The `requestState` of a 2026-07-28 input-required result: what the server needs to go on
// when the client retries, carried by the client and therefore authenticated. The payload
// binds a digest of the original call, an expiry and a single-use nonce; an HMAC-SHA256 with a
// key that exists only in this server process (random at start, never written anywhere) makes
// any change, or a state minted elsewhere, detectable.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/mcp/json_rpc.hpp"

namespace airlock::mcp {

struct StateClaims {
    std::string call_digest;      // call_digest() of the call the state belongs to
    std::string nonce;            // 128 random bits, hex; the server accepts it once
    std::int64_t expires_ms = 0;  // milliseconds since the Unix epoch
};

// Why a presented state was refused (the WAL's request_state_rejected "reason").
enum class StateProblem { malformed, forged, expired, other_call, replayed };
std::string_view problem_name(StateProblem problem);

// sha256 of the call's salient parameters: the tool name and its arguments (keys sorted).
std::string call_digest(const std::string& tool, const json& arguments);

class RequestStateSigner {
  public:
    RequestStateSigner();  // draws the key (aborts the server when no randomness is available)
    std::string mint(const StateClaims& claims) const;
    // The claims when the MAC and format hold (expiry and binding are the caller's checks).
    struct Verified {
        bool ok = false;
        StateProblem problem = StateProblem::malformed;
        StateClaims claims;
    };
    Verified verify(std::string_view state) const;

  private:
    std::array<unsigned char, 32> key_{};
};

std::string random_nonce();
std::int64_t now_ms();

}  // namespace airlock::mcp
