// Compares what the server answered with what its WAL recorded.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "platform/result.hpp"
#include "tests/load/call_mix.hpp"

namespace airlock::load {

struct SentCall {
    Kind kind = Kind::allowed;
    bool answered = false;
    std::string outcome;  // as answered (outcome_of), when answered
};

struct WalCheck {
    std::size_t records = 0;
    std::size_t expected_records = 0;   // for a complete session of the calls sent
    std::size_t answered_in_log = 0;    // answered calls whose records match their answer
    std::vector<std::string> problems;  // each names the call or line
};

// Reads the log at `wal` and checks, for every call in `sent` (by token): an answered call has
// exactly the records its kind writes, ending with a call_finished whose outcome is the one
// answered. With `complete`, every call must have been answered, and the log must hold exactly
// the run's own records plus those of the calls; otherwise (the server was killed) calls that
// were not answered may be missing or cut short.
Result<WalCheck> check_wal(const std::filesystem::path& wal,
                           const std::map<std::string, SentCall>& sent, bool complete);

// The records a session writes besides its calls' (docs/WAL.md).
const std::vector<std::string>& run_events();

}  // namespace airlock::load
