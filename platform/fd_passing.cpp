#include "platform/fd_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace airlock {

namespace {

// One byte of data (a stream needs some) and room for one descriptor.
struct OneFdMessage {
    char byte = 'L';
    iovec iov{};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    OneFdMessage() {
        iov = {&byte, 1};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
    OneFdMessage(const OneFdMessage&) = delete;
    OneFdMessage& operator=(const OneFdMessage&) = delete;
};

}  // namespace

int receive_fd(int channel) {
    OneFdMessage m;
    ssize_t n;
    do {
        n = ::recvmsg(channel, &m.msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m.msg); c; c = CMSG_NXTHDR(&m.msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return fd;
        }
    }
    errno = EBADMSG;
    return -1;
}

int send_fd(int channel, int fd) noexcept {
    OneFdMessage m;
    cmsghdr* c = CMSG_FIRSTHDR(&m.msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    while (::sendmsg(channel, &m.msg, MSG_NOSIGNAL) < 0)
        if (errno != EINTR) return errno;
    return 0;
}

}  // namespace airlock
