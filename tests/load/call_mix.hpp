// The kinds of tool calls the load client sends, how often, and what each must be answered.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "platform/result.hpp"

namespace airlock::load {

using json = nlohmann::json;

// allowed: a sandboxed `true` that succeeds; failing: a sandboxed `false` (exit 1); denied: a
// command the load policy denies (nothing runs); written: a small file_write in the workspace.
enum class Kind { allowed, denied, failing, written };
constexpr std::array<Kind, 4> kAllKinds = {Kind::allowed, Kind::denied, Kind::failing,
                                           Kind::written};

std::string_view kind_name(Kind k);

// The rule the load client adds so that `denied` calls are denied by policy (see policy_text).
constexpr std::string_view kDenyRule = "loadgen-deny";
constexpr std::string_view kDeniedProgram = "airlock-loadgen-denied";

// A policy layer with one rule: deny the program denied calls run. Without it the builtin
// policy would let that program through to the sandbox (where it is not found).
std::string policy_text();

// Weights per kind, e.g. "allowed=70,denied=20,failing=10".
struct Mix {
    std::array<unsigned, 4> weight{};
};
Result<Mix> parse_mix(std::string_view text);

// N calls in a seeded random order whose counts follow the weights exactly (rounded, the
// remainder going to the heaviest kinds).
std::vector<Kind> plan_calls(const Mix& mix, std::size_t calls, std::uint64_t seed);

// The tools/call params of call number `n` (1-based): each call carries a token ("load-N") in
// its arguments, so that its records can be found in the WAL.
json call_params(Kind kind, std::size_t n);
std::string call_token(std::size_t n);

// The outcome as the result shows it: the status, plus the exit code / rule that must go with
// it. An answer that is not a tool result is "rpc-error" or "malformed".
std::string expected_outcome(Kind kind);
std::string outcome_of(const json& response);

// The WAL event types one call of each kind writes, in order (docs/WAL.md).
const std::vector<std::string>& wal_events(Kind kind);

}  // namespace airlock::load
