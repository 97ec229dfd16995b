// Where a workspace's approvals meet a page: `airlock ui` listens on a unix socket inside the
// workspace's .airlock directory, and an airlock process with `--approve web` connects to it
// for each ask (docs/APPROVALS.md, "web"). Shared by both ends; knows nothing of either.
#pragma once

#include <sys/un.h>

#include <filesystem>

#include "platform/result.hpp"

namespace airlock {

// WORKSPACE/.airlock/ui/approvals.sock (inside .airlock: read-only in the sandbox, so a command
// cannot put its own listener there).
std::filesystem::path approval_socket_path(const std::filesystem::path& workspace);

// The socket address of `path`; an Error naming the path when it is too long for sun_path.
Result<sockaddr_un> unix_address(const std::filesystem::path& path);

// The peer of a connected unix socket runs as this process's effective user (SO_PEERCRED).
bool peer_is_same_user(int fd);

}  // namespace airlock
