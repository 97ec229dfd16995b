// Where a workspace's approvals meet a page: `airlock ui` listens on a unix socket inside the
// workspace's .airlock directory, and an airlock process with `--approve web` connects to it
// for each ask (docs/APPROVALS.md, "web"). Shared by both ends; knows nothing of either.
#pragma once

#include <sys/un.h>

#include <filesystem>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock {

// WORKSPACE/.airlock/ui/approvals.sock (inside .airlock: read-only in the sandbox, so a command
// cannot put its own listener there).
std::filesystem::path approval_socket_path(const std::filesystem::path& workspace);

// The socket address of `path`. A path too long for sun_path (108 bytes) is reached through its
// directory, held open: /proc/self/fd/N/NAME. Keep the value alive while binding or connecting.
struct UnixAddress {
    sockaddr_un address{};
    UniqueFd directory;  // open only for the /proc/self/fd form
};
Result<UnixAddress> unix_address(const std::filesystem::path& path);

// The peer of a connected unix socket runs as this process's effective user (SO_PEERCRED).
bool peer_is_same_user(int fd);

}  // namespace airlock
