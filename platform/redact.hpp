// Credential-shaped values are replaced before anything is written to the run log.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace airlock {

// Replaces every token that looks like a credential (AWS access key ids, GitHub, Slack, OpenAI-
// and Anthropic-style keys, Google API keys, PEM private key blocks) with "[REDACTED:<kind>]".
std::string redact_secrets(std::string_view text);

// Redacts every string inside `value` (object keys are left as they are).
void redact_json(nlohmann::json& value);

}  // namespace airlock
