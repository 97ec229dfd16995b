// The load itself: the MCP handshake, then the planned tools/call requests with a bounded
// number in flight, over the server's stdin/stdout (one poll loop, no threads).
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/load/call_mix.hpp"
#include "tests/load/child_process.hpp"
#include "tests/load/wal_check.hpp"

namespace airlock::load {

struct DriverOptions {
    std::size_t in_flight = 32;
    std::size_t warmup = 0;                   // calls answered before the first sample
    std::chrono::milliseconds kill_after{};   // > 0: SIGKILL the server after this long
    std::chrono::seconds stall_timeout{120};  // no answer for this long: give up
};

// The server as /proc sees it at a quiet moment (no call in flight).
struct Sample {
    long rss_kib = -1;
    int fds = -1;
    std::vector<ProcessInfo> tree;  // its descendants (zombies included)
};

struct DriveResult {
    std::size_t answered = 0;
    std::vector<double> latency_ms;  // one per answered call
    std::optional<Sample> start, end;
    double seconds = 0;  // from the first call sent to the last answered
    std::string wal_path;
    bool killed = false;
    std::size_t orphans_reaped = 0;  // exited processes the server's children orphaned
    std::vector<std::string> problems;
};

// `sent` is filled with every call sent (by token) and its answer.
DriveResult drive(Child& server, const std::vector<Kind>& plan,
                  std::map<std::string, SentCall>& sent, const DriverOptions& options);

}  // namespace airlock::load
