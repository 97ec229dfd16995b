#include "platform/approval_socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace airlock {

std::filesystem::path approval_socket_path(const std::filesystem::path& workspace) {
    return workspace / ".airlock" / "ui" / "approvals.sock";
}

Result<sockaddr_un> unix_address(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string text = path.string();
    if (text.size() >= sizeof address.sun_path)
        return make_error("config", "the approvals socket path " + text + " is longer than " +
                                        std::to_string(sizeof address.sun_path - 1) +
                                        " bytes (a unix socket's limit)");
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

bool peer_is_same_user(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    return cred.uid == ::geteuid();
}

}  // namespace airlock
