// Canonical JSON: one byte-exact text per JSON value, so that hashes over JSON are reproducible
// by any implementation (approval keys, digests). The form is documented in docs/APPROVALS.md.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "platform/result.hpp"

namespace airlock {

// Object keys sorted by their UTF-8 bytes (unsigned), no whitespace, strings as UTF-8 with only
// `"`, `\` and control characters below U+0020 escaped, integers (and floats with an integral
// value of magnitude < 2^53) written as integers, other finite numbers in shortest round-trip form.
// Errors (stage "canonical_json"): a string or key that is not valid UTF-8 (naming the JSON
// pointer of the offending value), NaN or infinity, binary values.
Result<std::string> canonical_json(const nlohmann::json& value);

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view bytes);

}  // namespace airlock
