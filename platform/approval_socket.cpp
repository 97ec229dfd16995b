#include "platform/approval_socket.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace airlock {

std::filesystem::path approval_socket_path(const std::filesystem::path& workspace) {
    return workspace / ".airlock" / "ui" / "approvals.sock";
}

Result<UnixAddress> unix_address(const std::filesystem::path& path) {
    UnixAddress out;
    out.address.sun_family = AF_UNIX;
    std::string text = path.string();
    if (text.size() >= sizeof out.address.sun_path) {
        out.directory.reset(::open(path.parent_path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!out.directory.valid())
            return sys_error("config", "cannot open the directory of " + text, "open");
        text =
            "/proc/self/fd/" + std::to_string(out.directory.get()) + "/" + path.filename().string();
        if (text.size() >= sizeof out.address.sun_path)
            return make_error("config", "the socket name " + path.filename().string() +
                                            " is too long for a unix socket");
    }
    std::memcpy(out.address.sun_path, text.c_str(), text.size() + 1);
    return out;
}

bool peer_is_same_user(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return false;
    return cred.uid == ::geteuid();
}

}  // namespace airlock
