// bubblewrap adapter: turns a Profile into the exact bwrap command line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "platform/unique_fd.hpp"
#include "sandbox/profile.hpp"

namespace airlock::sandbox {

struct BwrapFds {
    BwrapFds(int status = -1, int seccomp = -1, std::vector<int> data = {})
        : json_status_fd(status), seccomp_fd(seccomp), data_fds(std::move(data)) {}
    int json_status_fd = -1;  // fd number as the bwrap process will see it
    int seccomp_fd = -1;
    // The profile's ro-bind-data mounts read their content from these, in order.
    std::vector<int> data_fds;
    // --block-fd: bwrap sets the sandbox up, then waits for a byte here before it installs the
    // seccomp filter and execs the command (airlock writes it once the WAL is on disk).
    int block_fd = -1;
};

// The descriptor numbers bwrap gets for `profile`, the one layout a launch passes and a dry run
// shows: 3 its status, 4 the seccomp filter, then one per ro-bind-data mount in order, then the
// descriptor that holds the command back.
BwrapFds bwrap_child_fds(const Profile& profile);

// The content of the profile's ro-bind-data mounts (passwd, group), each in a memfd for bwrap.
Result<std::vector<UniqueFd>> bwrap_data_fds(const Profile& profile);

// argv for bwrap: options from the profile, then "--", then `command` verbatim (a command token
// that looks like a bwrap option is never read as one).
std::vector<std::string> bwrap_argv(const Profile& profile, const std::vector<std::string>& command,
                                    const BwrapFds& fds);

// The profile's seccomp filter, compiled in this process and put in a sealed-off memfd that
// bwrap reads with --seccomp FD (bwrap installs it last, right before exec).
Result<UniqueFd> bwrap_seccomp_fd(const Profile& profile);

// The same in two steps: the empty memfd to pass, and the filter compiled into it (rewound).
// bwrap reads it only after --block-fd, so it may be written while bwrap sets the sandbox up.
Result<UniqueFd> bwrap_seccomp_memfd();
Result<void> write_bwrap_seccomp(const Profile& profile, int memfd);

}  // namespace airlock::sandbox
