#include "sandbox/netns.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "platform/vfork_child.hpp"

namespace airlock::sandbox {

namespace {

// The child's steps, in order; the first that fails is reported with its errno.
enum Step : int {
    kDone = 0,
    kSetgroups,
    kUidMap,
    kGidMap,
    kLoopbackUp,
    kSocket,
    kBind,
    kListen,
    kOpenNamespaces,
};

const char* step_call(int step) {
    switch (step) {
        case kSetgroups:
            return "write /proc/self/setgroups";
        case kUidMap:
            return "write /proc/self/uid_map";
        case kGidMap:
            return "write /proc/self/gid_map";
        case kLoopbackUp:
            return "ioctl(SIOCSIFFLAGS, lo up)";
        case kSocket:
            return "socket";
        case kBind:
            return "bind(127.0.0.1)";
        case kListen:
            return "listen";
        case kOpenNamespaces:
            return "open /proc/thread-self/ns";
        default:
            return "unknown step";
    }
}

struct Report {
    int step = kDone;
    int err = 0;
};

constexpr int kMaxFds = 3;  // listener, net, user

// What the child needs, prepared by the parent (the child allocates nothing).
struct ChildArgs {
    int channel;
    std::uint16_t port;
    bool own_user_ns;
    const char* uid_map;
    std::size_t uid_map_len;
    const char* gid_map;
    std::size_t gid_map_len;
};

// One message: the report, and on success the descriptors. Async-signal-safe.
void send_report(int channel, Report report, const int* fds, int count) noexcept {
    iovec iov{&report, sizeof report};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (count > 0) {
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * static_cast<std::size_t>(count));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * static_cast<std::size_t>(count));
        std::memcpy(CMSG_DATA(c), fds, sizeof(int) * static_cast<std::size_t>(count));
    }
    while (::sendmsg(channel, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

bool write_file(const char* path, const char* text, std::size_t len) noexcept {
    const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const bool ok = ::write(fd, text, len) == static_cast<ssize_t>(len);
    ::close(fd);
    return ok;
}

[[noreturn]] void fail(int channel, int step) noexcept {
    send_report(channel, {step, errno}, nullptr, 0);
    ::_exit(1);
}

// Runs in the new namespaces (made by clone). Only async-signal-safe calls.
int child_main(void* p) {
    const auto* a = static_cast<const ChildArgs*>(p);
    if (a->own_user_ns) {
        // Map the caller's own ids to themselves: all an unprivileged process may map.
        if (!write_file("/proc/self/setgroups", "deny", 4)) fail(a->channel, kSetgroups);
        if (!write_file("/proc/self/uid_map", a->uid_map, a->uid_map_len))
            fail(a->channel, kUidMap);
        if (!write_file("/proc/self/gid_map", a->gid_map, a->gid_map_len))
            fail(a->channel, kGidMap);
    }
    // A new network namespace's loopback is down and has no address; up, the kernel gives it
    // 127.0.0.1 (and ::1).
    const int ctl = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (ctl < 0) fail(a->channel, kLoopbackUp);
    ifreq ifr{};
    std::memcpy(ifr.ifr_name, "lo", 3);
    if (::ioctl(ctl, SIOCGIFFLAGS, &ifr) != 0) fail(a->channel, kLoopbackUp);
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (::ioctl(ctl, SIOCSIFFLAGS, &ifr) != 0) fail(a->channel, kLoopbackUp);

    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail(a->channel, kSocket);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(a->port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
        fail(a->channel, kBind);
    if (::listen(s, 512) != 0) fail(a->channel, kListen);

    int fds[kMaxFds] = {s, -1, -1};
    int count = 2;
    fds[1] = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fds[1] < 0) fail(a->channel, kOpenNamespaces);
    if (a->own_user_ns) {
        fds[2] = ::open("/proc/thread-self/ns/user", O_RDONLY | O_CLOEXEC);
        if (fds[2] < 0) fail(a->channel, kOpenNamespaces);
        count = 3;
    }
    send_report(a->channel, {kDone, 0}, fds, count);
    ::_exit(0);
}

}  // namespace

Result<LoopbackNetns> make_loopback_netns(std::uint16_t port) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0)
        return sys_error("sandbox", "cannot make the network namespace's channel", "socketpair");
    UniqueFd mine(pair[0]), theirs(pair[1]);

    const bool root = ::geteuid() == 0;
    const std::string uid_map =
        std::to_string(::geteuid()) + " " + std::to_string(::geteuid()) + " 1\n";
    const std::string gid_map =
        std::to_string(::getegid()) + " " + std::to_string(::getegid()) + " 1\n";
    ChildArgs args{theirs.get(),    port,          !root, uid_map.c_str(), uid_map.size(),
                   gid_map.c_str(), gid_map.size()};
    const int flags = CLONE_NEWNET | (root ? 0 : CLONE_NEWUSER);
    const pid_t pid = clone_vfork(child_main, &args, flags);
    if (pid < 0)
        return sys_error("sandbox", "cannot make the sandbox's network namespace",
                         root ? "clone(CLONE_NEWNET)" : "clone(CLONE_NEWUSER|CLONE_NEWNET)");
    theirs.reset();  // so that a child that died without a word reads as the end of the stream

    Report report;
    iovec iov{&report, sizeof report};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFds)] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do {
        n = ::recvmsg(mine.get(), &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    const int recv_errno = errno;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }

    UniqueFd received[kMaxFds];
    int count = 0;
    for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const std::size_t fds = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (std::size_t i = 0; i < fds && count < kMaxFds; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
            received[count++].reset(fd);
        }
    }
    if (n != static_cast<ssize_t>(sizeof report)) {
        errno = n < 0 ? recv_errno : EPROTO;
        return sys_error("sandbox", "the child making the network namespace gave no answer",
                         "recvmsg");
    }
    if (report.step != kDone) {
        errno = report.err;
        return sys_error("sandbox", "cannot set up the sandbox's network namespace",
                         step_call(report.step));
    }
    if (count != (root ? 2 : 3)) {
        errno = EPROTO;
        return sys_error("sandbox", "the network namespace's descriptors did not arrive",
                         "recvmsg");
    }
    LoopbackNetns out;
    out.listener = std::move(received[0]);
    out.net = std::move(received[1]);
    if (!root) out.user = std::move(received[2]);
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(out.listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0)
        return sys_error("sandbox", "cannot read the proxy's port in the network namespace",
                         "getsockname");
    out.port = ntohs(bound.sin_port);
    return out;
}

}  // namespace airlock::sandbox
