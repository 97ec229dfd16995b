// Follows a live run's WAL: each record is handed over once it is complete and verified.
#pragma once

#include <functional>

#include "platform/result.hpp"
#include "wal/reader.hpp"

namespace airlock::wal {

enum class FollowEnd {
    finished,  // the run's final record was read
    stopped,   // stop_fd became readable (a signal, for the CLI)
    broken,    // the chain broke: reader.broken() says where
};

// Reads what is there, then waits for appends (inotify, with a slow re-check as a safety net
// for file systems that do not report changes) without spinning. `stop_fd` is watched too;
// pass -1 for none.
Result<FollowEnd> follow(LogReader& reader, const std::function<void(const Record&)>& on_record,
                         int stop_fd);

}  // namespace airlock::wal
