// airlock-netbridge CHANNEL_FD PORT -- COMMAND [ARGS...]
//
// Runs first inside a sandbox that has a network namespace of its own: listens on
// 127.0.0.1:PORT there, sends that listening socket over CHANNEL_FD (a unix socket whose other
// end is airlock's proxy, outside), closes both and execs COMMAND. The proxy accepts on the
// socket directly, so nothing of this program stays running and no unix socket is created
// inside the sandbox. Plain libc only: it runs under the sandbox's seccomp filter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "platform/fd_passing.hpp"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "airlock-netbridge: %s: %s\n", what, std::strerror(errno));
    std::_Exit(126);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5 || std::strcmp(argv[3], "--") != 0) {
        std::fprintf(stderr, "usage: airlock-netbridge CHANNEL_FD PORT -- COMMAND [ARGS...]\n");
        return 126;
    }
    const int channel = std::atoi(argv[1]);
    const int port = std::atoi(argv[2]);
    if (channel < 3 || port <= 0 || port > 65535) {
        errno = EINVAL;
        fail("bad channel or port");
    }
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) fail("socket");
    const int one = 1;
    ::setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) fail("bind");
    if (::listen(s, 512) != 0) fail("listen");
    if (const int err = airlock::send_fd(channel, s); err != 0) {
        errno = err;
        fail("sendmsg");
    }
    ::close(s);
    ::close(channel);
    ::execvp(argv[4], argv + 4);
    // The command's own "not found" status, as bwrap would give it.
    const int err = errno;
    std::fprintf(stderr, "airlock-netbridge: %s: %s\n", argv[4], std::strerror(err));
    return err == ENOENT ? 127 : 126;
}
