#include "exec/connect_supervisor.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "platform/fd_passing.hpp"

namespace airlock::exec {

namespace {

// Waits for `fd` to be readable, or for `stop`. Returns false when stopped (or on error).
bool wait_readable(int fd, int stop) {
    pollfd p[2] = {{fd, POLLIN, 0}, {stop, POLLIN, 0}};
    for (;;) {
        const int n = ::poll(p, 2, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 || (p[1].revents & POLLIN)) return false;
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) return (p[0].revents & POLLIN) != 0;
    }
}

// The only destination: the proxy, as the socket's family spells it.
bool is_proxy(const sockaddr_storage& a, socklen_t len, std::uint16_t port) {
    if (a.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
        return v4.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ntohs(v4.sin_port) == port;
    }
    if (a.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
        static const unsigned char mapped[16] = {0, 0, 0,    0,    0,   0, 0, 0,
                                                 0, 0, 0xff, 0xff, 127, 0, 0, 1};
        return std::memcmp(&v6.sin6_addr, mapped, 16) == 0 && ntohs(v6.sin6_port) == port;
    }
    return false;
}

// Reads the address the command passed (only to decide; never used to connect).
bool read_address(pid_t pid, std::uint64_t at, std::uint64_t len, sockaddr_storage& out) {
    if (len == 0 || len > sizeof out) return false;
    const std::string mem = "/proc/" + std::to_string(pid) + "/mem";
    UniqueFd fd(::open(mem.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return false;
    out = {};
    return ::pread(fd.get(), &out, len, static_cast<off_t>(at)) == static_cast<ssize_t>(len);
}

bool still_valid(int listener, std::uint64_t id) {
    return ::ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

// The process a thread belongs to (the notification names the calling thread; pidfd_open
// takes a process). 0 when it cannot be read.
pid_t thread_group_of(pid_t tid) {
    std::ifstream status("/proc/" + std::to_string(tid) + "/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("Tgid:", 0) == 0) return static_cast<pid_t>(std::atol(line.c_str() + 5));
    return 0;
}

// Connects a copy of the command's socket to the proxy. Returns 0 or an errno value.
int connect_for(const seccomp_notif& req, int listener, std::uint16_t port, int family) {
    const pid_t process = thread_group_of(static_cast<pid_t>(req.pid));
    if (process <= 0) return EACCES;
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, process, 0)));
    if (!pidfd.valid()) return EACCES;
    UniqueFd socket(static_cast<int>(
        ::syscall(SYS_pidfd_getfd, pidfd.get(), static_cast<int>(req.data.args[0]), 0)));
    if (!socket.valid()) return errno == EBADF ? EBADF : EACCES;
    // The thread (and so its process id) may have been reused since the notification.
    if (!still_valid(listener, req.id)) return EACCES;
    int rc;
    if (family == AF_INET6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        a.sin6_addr.s6_addr[10] = a.sin6_addr.s6_addr[11] = 0xff;
        a.sin6_addr.s6_addr[12] = 127;
        a.sin6_addr.s6_addr[15] = 1;
        rc = ::connect(socket.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::connect(socket.get(), reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    return rc == 0 ? 0 : errno;
}

}  // namespace

Result<std::unique_ptr<ConnectSupervisor>> ConnectSupervisor::start(UniqueFd channel,
                                                                    std::uint16_t proxy_port) {
    std::unique_ptr<ConnectSupervisor> s(new ConnectSupervisor());
    s->stop_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!s->stop_.valid())
        return sys_error("sandbox", "cannot create the connect supervisor's stop event", "eventfd");
    s->channel_ = std::move(channel);
    s->port_ = proxy_port;
    ConnectSupervisor* raw = s.get();
    s->thread_ = std::thread([raw] { raw->run(); });
    return s;
}

ConnectSupervisor::~ConnectSupervisor() {
    const std::uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    if (thread_.joinable()) thread_.join();
}

void ConnectSupervisor::run() {
    // The child sends the listener right after installing the filter; the channel closing
    // first means it never did (it failed, or exited): nothing to answer.
    if (!wait_readable(channel_.get(), stop_.get())) return;
    UniqueFd listener(receive_fd(channel_.get()));
    if (!listener.valid()) return;
    seccomp_notif_sizes sizes{};
    if (::syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) return;
    std::vector<unsigned char> req_buf(
        std::max<std::size_t>(sizes.seccomp_notif, sizeof(seccomp_notif)));
    std::vector<unsigned char> resp_buf(
        std::max<std::size_t>(sizes.seccomp_notif_resp, sizeof(seccomp_notif_resp)));
    // Closing the listener (returning) makes every pending and later connect fail (ENOSYS):
    // fail closed.
    while (wait_readable(listener.get(), stop_.get())) {
        std::fill(req_buf.begin(), req_buf.end(), 0);
        auto* req = reinterpret_cast<seccomp_notif*>(req_buf.data());
        if (::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
            if (errno == EINTR || errno == ENOENT) continue;  // the caller died meanwhile
            return;
        }
        int error = EACCES;
        sockaddr_storage address{};
        if (read_address(static_cast<pid_t>(req->pid), req->data.args[1], req->data.args[2],
                         address) &&
            still_valid(listener.get(), req->id) &&
            is_proxy(address, static_cast<socklen_t>(req->data.args[2]), port_))
            error = connect_for(*req, listener.get(), port_, address.ss_family);
        std::fill(resp_buf.begin(), resp_buf.end(), 0);
        auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf.data());
        resp->id = req->id;
        resp->val = 0;
        resp->error = error == 0 ? 0 : -error;
        if (::ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SEND, resp) != 0 && errno != ENOENT &&
            errno != EINTR)
            return;
    }
}

}  // namespace airlock::exec
