// The load run's verdict: every figure and every failed check, as text or as one JSON object.
#pragma once

#include <string>
#include <vector>

#include "tests/load/call_mix.hpp"
#include "tests/load/child_process.hpp"
#include "tests/load/load_driver.hpp"
#include "tests/load/wal_check.hpp"

namespace airlock::load {

struct Limits {
    long max_rss_growth_kib = -1;  // < 0: not checked
    int max_fd_growth = -1;        // < 0: not checked
};

struct Report {
    std::size_t calls = 0;
    std::map<std::string, SentCall> sent;
    DriveResult drive;
    Exit server_exit;
    bool server_hung = false;
    Orphans orphans;
    std::optional<WalCheck> wal;
    std::string wal_error;
    std::vector<std::string> failures;  // filled by judge()
};

// Applies every check; the report's failures say which failed.
void judge(Report& r, const Limits& limits);

json to_json(const Report& r);
std::string to_text(const Report& r);

}  // namespace airlock::load
