// Who may hand a call to a hook server: a process of the same user that no sandbox confines. A
// command airlock runs has its own user and mount namespaces (bubblewrap) or no_new_privs and a
// seccomp filter (seccomp + Landlock); either refuses it, so the server can never be a deputy
// that writes a run's log for a sandboxed command (the log is read-only inside the sandbox).
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <string>
#include <utility>

#include "cli/hooks/hook_server.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::hooks {

namespace {

#ifdef SO_PEERPIDFD
constexpr int kPeerPidfd = SO_PEERPIDFD;
#else
constexpr int kPeerPidfd = 77;  // Linux 6.5's SO_PEERPIDFD, newer than some libc headers
#endif

// The server's own namespace of a kind, looked up once: it never changes them. Empty when it
// could not be read, and then no peer matches.
std::optional<std::pair<dev_t, ino_t>> own_namespace(const std::string& kind) {
    struct stat mine {};
    if (::stat(("/proc/self/ns/" + kind).c_str(), &mine) != 0) return std::nullopt;
    return std::pair(mine.st_dev, mine.st_ino);
}

bool same_namespace(pid_t pid, const std::optional<std::pair<dev_t, ino_t>>& mine,
                    const char* kind) {
    struct stat theirs {};
    const std::string peer = "/proc/" + std::to_string(pid) + "/ns/" + kind;
    return mine && ::stat(peer.c_str(), &theirs) == 0 && mine->first == theirs.st_dev &&
           mine->second == theirs.st_ino;
}

// Both status lines present and 0 (a kernel without them is not one airlock serves this way).
bool unconfined_status(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    bool no_new_privs_off = false, seccomp_off = false;
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("NoNewPrivs:", 0) == 0) no_new_privs_off = line == "NoNewPrivs:\t0";
        if (line.rfind("Seccomp:", 0) == 0) seccomp_off = line == "Seccomp:\t0";
    }
    return no_new_privs_off && seccomp_off;
}

}  // namespace

bool unconfined_self() {
    return unconfined_status(::getpid());
}

bool unconfined_peer(int fd) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || cred.pid <= 0) return false;
    // The checks below read /proc by pid. A pidfd of the process that connected (Linux 6.5)
    // tells afterwards whether that pid still names it: a peer that exited meanwhile, its pid
    // perhaps reused by another process, is refused. Older kernels go without.
    int pidfd = -1;
    socklen_t pidfd_len = sizeof pidfd;
    UniqueFd peer(::getsockopt(fd, SOL_SOCKET, kPeerPidfd, &pidfd, &pidfd_len) == 0 ? pidfd : -1);
    if (!peer.valid() && errno != ENOPROTOOPT) return false;
    static const auto own_user = own_namespace("user");
    static const auto own_mnt = own_namespace("mnt");
    if (cred.uid != ::geteuid() || !same_namespace(cred.pid, own_user, "user") ||
        !same_namespace(cred.pid, own_mnt, "mnt") || !unconfined_status(cred.pid))
        return false;
    return !peer.valid() || ::syscall(SYS_pidfd_send_signal, peer.get(), 0, nullptr, 0) == 0;
}

}  // namespace airlock::hooks
