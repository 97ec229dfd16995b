#include "wal/follow.hpp"

#include <poll.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>

#include "platform/unique_fd.hpp"

namespace airlock::wal {

namespace {

// Without inotify, or when it stays silent, the file is read again this often.
constexpr int kRecheckMs = 2000;
constexpr int kPollOnlyMs = 250;
// A follower far behind a fast log reads it in batches of this size: its memory stays flat.
constexpr std::size_t kBatchBytes = 1 << 20;

void drain(int fd) {
    alignas(inotify_event) char buf[4096];
    while (::read(fd, buf, sizeof buf) > 0) {
    }
}

}  // namespace

Result<FollowEnd> follow(LogReader& reader, const std::function<void(const Record&)>& on_record,
                         int stop_fd) {
    UniqueFd notify(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (notify.valid() &&
        ::inotify_add_watch(notify.get(), reader.path().c_str(),
                            IN_MODIFY | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
        notify.reset();  // fall back to reading the file periodically
    // The watch exists before the first read: no append can fall between the two.
    for (;;) {
        auto records = reader.read_more(kBatchBytes);
        if (!records) return records.error();
        for (const auto& r : *records)
            on_record(r);
        if (reader.broken()) return FollowEnd::broken;
        if (reader.ended()) return FollowEnd::finished;
        if (reader.more_pending()) {
            // Still behind: read on, but let a stop request through between batches.
            pollfd stop = {stop_fd, POLLIN, 0};
            if (stop_fd >= 0 && ::poll(&stop, 1, 0) > 0) return FollowEnd::stopped;
            continue;
        }

        pollfd fds[2] = {{notify.get(), POLLIN, 0}, {stop_fd, POLLIN, 0}};
        const int n = ::poll(fds, 2, notify.valid() ? kRecheckMs : kPollOnlyMs);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("wal", "cannot wait for " + reader.path().string(), "poll");
        }
        if (fds[1].revents != 0) return FollowEnd::stopped;
        if (fds[0].revents != 0) drain(notify.get());
    }
}

}  // namespace airlock::wal
