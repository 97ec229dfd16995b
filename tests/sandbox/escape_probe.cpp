// A small helper the escape suite runs inside (and, as a positive control, outside) the
// sandbox: each subcommand attempts one privileged or cross-boundary operation and reports
// "ok" (exit 0) or "refused: <errno text>" (exit 1). Usage errors exit 2.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

int outcome(bool ok, int err) {
    if (ok) {
        std::printf("ok\n");
        return 0;
    }
    std::printf("refused: %s (errno %d)\n", std::strerror(err), err);
    return 1;
}

int io_uring() {
    io_uring_params params{};
    const long fd = ::syscall(__NR_io_uring_setup, 4, &params);
    const int err = errno;
    if (fd >= 0) ::close(static_cast<int>(fd));
    return outcome(fd >= 0, err);
}

// Traces its own child: allowed to any unconfined process, refused by the sandbox's filter.
int ptrace_child() {
    const pid_t child = ::fork();
    if (child < 0) return outcome(false, errno);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    const long rc = ::ptrace(PTRACE_SEIZE, child, nullptr, nullptr);
    const int err = errno;
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    return outcome(rc == 0, err);
}

int ptrace_pid(const char* pid) {
    const long rc = ::ptrace(PTRACE_SEIZE, static_cast<pid_t>(std::atol(pid)), nullptr, nullptr);
    return outcome(rc == 0, errno);
}

// Pushes a character into the input queue of this process's own controlling terminal: a
// fresh pty made the controlling terminal of a new session (the case TIOCSTI is allowed for
// without privileges, and the one an escape would use against the caller's terminal).
int tiocsti() {
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
        std::printf("setup failed: no pty: %s\n", std::strerror(errno));
        return 3;
    }
    const std::string slave_name = ::ptsname(master);
    const pid_t child = ::fork();
    if (child < 0) return outcome(false, errno);
    if (child == 0) {
        if (::setsid() < 0) ::_exit(100 + errno);
        const int slave = ::open(slave_name.c_str(), O_RDWR);  // becomes the controlling tty
        if (slave < 0) ::_exit(100 + errno);
        const char c = 'x';
        ::_exit(::ioctl(slave, TIOCSTI, &c) == 0 ? 0 : errno);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
    if (code >= 100) {
        std::printf("setup failed: cannot make the pty a controlling terminal: %s\n",
                    std::strerror(code - 100));
        return 3;
    }
    return outcome(code == 0, code);
}

// TIOCSTI on stdin (not a terminal in the suite): a seccomp refusal (EPERM) comes before the
// tty layer, which would answer ENOTTY.
int tiocsti_stdin() {
    const char c = 'x';
    const int rc = ::ioctl(0, TIOCSTI, &c);
    return outcome(rc == 0, errno);
}

// Opens each path read-only (non-blocking, never as a controlling terminal) and prints those
// that opened: what a sandbox must keep closed.
int open_devices(int count, char** paths) {
    for (int i = 0; i < count; ++i) {
        const int fd = ::open(paths[i], O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) {
            std::printf("%s\n", paths[i]);
            ::close(fd);
        }
    }
    return 0;
}

// A 32-bit system call (getpid through int 0x80) from a 64-bit process.
int int80() {
#if defined(__x86_64__)
    long result = 20;  // __NR_getpid in the i386 table
    asm volatile("int $0x80" : "+a"(result) : : "memory");
    if (result < 0) return outcome(false, static_cast<int>(-result));
    return outcome(true, 0);
#else
    std::printf("unsupported: not x86_64\n");
    return 4;
#endif
}

int tcp_connect(const char* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(port)));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    return outcome(rc == 0, errno);
}

sockaddr_in loopback(const char* port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(port)));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return addr;
}

// A TCP connection to IPV4:PORT.
int tcp_connect_to(const char* ip, const char* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    sockaddr_in addr = loopback(port);
    if (::inet_pton(AF_INET, ip, &addr.sin_addr) != 1) return 2;
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    return outcome(rc == 0, errno);
}

// tcp_connect from a second thread (a notification names the thread, not the process).
int tcp_connect_in_thread(const char* port) {
    int result = 3;
    std::thread([&] { result = tcp_connect(port); }).join();
    return result;
}

// A TCP connection to [::1]:PORT.
int tcp6_connect(const char* port) {
    const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(static_cast<uint16_t>(std::atoi(port)));
    addr.sin6_addr = in6addr_loopback;
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    return outcome(rc == 0, errno);
}

// One datagram to 127.0.0.1:PORT.
int udp_send(const char* port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    const sockaddr_in addr = loopback(port);
    const ssize_t n =
        ::sendto(fd, "x", 1, 0, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    return outcome(n == 1, errno);
}

// TCP Fast Open: sendto with MSG_FASTOPEN connects without connect(2).
int fastopen(const char* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    const sockaddr_in addr = loopback(port);
    const ssize_t n =
        ::sendto(fd, "x", 1, MSG_FASTOPEN, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    return outcome(n == 1, errno);
}

// A multipath TCP stream (IPPROTO_MPTCP, 262) connecting to 127.0.0.1:PORT.
int mptcp_connect(const char* port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 262);
    if (fd < 0) return outcome(false, errno);
    const sockaddr_in addr = loopback(port);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    return outcome(rc == 0, errno);
}

// listen(2) on an unbound TCP socket: the kernel binds it to an ephemeral port.
int listen_unbound() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    const int rc = ::listen(fd, 1);
    return outcome(rc == 0, errno);
}

int unix_connect(const std::string& name, bool abstract) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return outcome(false, errno);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (name.size() + 2 > sizeof addr.sun_path) return 2;
    std::memcpy(addr.sun_path + (abstract ? 1 : 0), name.data(), name.size());
    const socklen_t len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 1 : 0));
    const int rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), len);
    return outcome(rc == 0, errno);
}

// Creates a socket of a named family (no connection): what a network-off filter refuses.
int make_socket(const std::string& family) {
    int domain = -1, type = SOCK_STREAM;
    if (family == "inet") domain = AF_INET;
    if (family == "inet6") domain = AF_INET6;
    if (family == "udp") domain = AF_INET, type = SOCK_DGRAM;
    if (family == "netlink") domain = AF_NETLINK, type = SOCK_RAW;
    if (family == "unix") domain = AF_UNIX;
    if (domain < 0) return 2;
    const int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
    return outcome(fd >= 0, errno);
}

int send_kill(const char* pid) {
    const int rc = ::kill(static_cast<pid_t>(std::atol(pid)), SIGKILL);
    return outcome(rc == 0, errno);
}

// The effective uid.
int ids() {
    std::printf("euid=%d\n", static_cast<int>(::geteuid()));
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string what = argc > 1 ? argv[1] : "";
    if (what == "io_uring") return io_uring();
    if (what == "ptrace-child") return ptrace_child();
    if (what == "ptrace" && argc > 2) return ptrace_pid(argv[2]);
    if (what == "tiocsti") return tiocsti();
    if (what == "tiocsti-stdin") return tiocsti_stdin();
    if (what == "open" && argc > 2) return open_devices(argc - 2, argv + 2);
    if (what == "int80") return int80();
    if (what == "tcp" && argc > 2) return tcp_connect(argv[2]);
    if (what == "tcp6" && argc > 2) return tcp6_connect(argv[2]);
    if (what == "tcp-thread" && argc > 2) return tcp_connect_in_thread(argv[2]);
    if (what == "tcp-to" && argc > 3) return tcp_connect_to(argv[2], argv[3]);
    if (what == "udp" && argc > 2) return udp_send(argv[2]);
    if (what == "fastopen" && argc > 2) return fastopen(argv[2]);
    if (what == "mptcp" && argc > 2) return mptcp_connect(argv[2]);
    if (what == "listen") return listen_unbound();
    if (what == "unix" && argc > 2) return unix_connect(argv[2], false);
    if (what == "unix-abstract" && argc > 2) return unix_connect(argv[2], true);
    if (what == "socket" && argc > 2) return make_socket(argv[2]);
    if (what == "kill" && argc > 2) return send_kill(argv[2]);
    if (what == "ids") return ids();
    std::fprintf(
        stderr,
        "usage: escape_probe io_uring | ptrace-child | ptrace PID | tiocsti | tiocsti-stdin | "
        "open PATH... | int80 | "
        "tcp PORT | tcp-thread PORT | tcp6 PORT | tcp-to IPV4 PORT | udp PORT | fastopen PORT | "
        "mptcp PORT | listen "
        "| "
        "socket inet|inet6|udp|netlink|unix | unix PATH | unix-abstract NAME | "
        "kill PID | ids\n");
    return 2;
}
