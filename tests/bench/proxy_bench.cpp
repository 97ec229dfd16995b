// The egress proxy's cost, in this process over loopback: a bulk download through a CONNECT
// tunnel against the same download direct, and the time to the first byte with and without
// the proxy (connect, CONNECT, request, first byte). Not run by ctest:
//   build/tests/bench/proxy_bench [MEGABYTES] [ROUNDS]
// With --concurrent N, instead: the proxy alone in a child process, its RSS with 1 and with N
// CONNECT tunnels open at once, each having carried a request and a 64 KiB answer, and then
// with up to N more connections that have not sent their request yet (slow clients).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "netproxy/proxy.hpp"

using namespace airlock;
using Clock = std::chrono::steady_clock;

namespace {

UniqueFd listen_loopback(std::uint16_t& port) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::listen(s.get(), 512) != 0)
        std::abort();
    socklen_t len = sizeof a;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return s;
}

UniqueFd connect_loopback(std::uint16_t port) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
    const int one = 1;
    ::setsockopt(s.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return s;
}

void send_all(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// Serves each connection: reads a request line ending in "\r\n\r\n", then sends `bytes`.
void serve(int listener, std::size_t bytes) {
    static const std::string chunk(256 * 1024, 'x');
    while (true) {
        UniqueFd c(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
        if (!c.valid()) return;
        std::thread([fd = c.release(), bytes] {
            UniqueFd conn(fd);
            std::string got;
            char buf[1024];
            while (got.find("\r\n\r\n") == std::string::npos) {
                const ssize_t n = ::read(conn.get(), buf, sizeof buf);
                if (n <= 0) return;
                got.append(buf, static_cast<std::size_t>(n));
            }
            for (std::size_t left = bytes; left > 0;) {
                const std::size_t n = std::min(left, chunk.size());
                send_all(conn.get(), chunk.data(), n);
                left -= n;
            }
        }).detach();
    }
}

struct AllowAll : netproxy::Decider {
    netproxy::Answer decide(const netproxy::Destination&) override { return {true, "all", ""}; }
};

// Opens a connection to the target, through the proxy's CONNECT when proxy_port != 0.
UniqueFd open_to(std::uint16_t target, std::uint16_t proxy_port) {
    if (proxy_port == 0) return connect_loopback(target);
    UniqueFd c = connect_loopback(proxy_port);
    const std::string req = "CONNECT 127.0.0.1:" + std::to_string(target) + " HTTP/1.1\r\n\r\n";
    send_all(c.get(), req.data(), req.size());
    std::string got;
    char ch;
    while (got.find("\r\n\r\n") == std::string::npos && ::read(c.get(), &ch, 1) == 1)
        got += ch;
    if (got.rfind("HTTP/1.1 200", 0) != 0) std::abort();
    return c;
}

// Seconds to download everything; microseconds to the first byte.
double download(std::uint16_t target, std::uint16_t proxy_port, std::size_t bytes,
                double* first_byte_us) {
    const auto start = Clock::now();
    UniqueFd c = open_to(target, proxy_port);
    const char req[] = "GET / HTTP/1.0\r\n\r\n";
    send_all(c.get(), req, sizeof req - 1);
    std::vector<char> buf(256 * 1024);
    std::size_t got = 0;
    bool first = true;
    while (got < bytes) {
        const ssize_t n = ::read(c.get(), buf.data(), buf.size());
        if (n <= 0) break;
        if (first && first_byte_us) {
            *first_byte_us =
                std::chrono::duration<double, std::micro>(Clock::now() - start).count();
            first = false;
        }
        got += static_cast<std::size_t>(n);
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// VmRSS or VmHWM of a process, in KiB.
long status_kib(pid_t pid, const std::string& field) {
    FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/status").c_str(), "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::string(line).rfind(field + ":", 0) == 0) kib = std::atol(line + field.size() + 1);
    std::fclose(f);
    return kib;
}

// The proxy alone in a child (forked before any thread exists), serving `listener` until the
// parent closes `hold`.
pid_t proxy_child(UniqueFd listener, int hold[2]) {
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    ::close(hold[1]);
    const int hold_read = hold[0];
    netproxy::ProxyOptions options;
    auto proxy = netproxy::Proxy::start(options, std::make_shared<AllowAll>(), nullptr);
    if (!proxy) ::_exit(1);
    (*proxy)->serve(std::move(listener));
    char c;
    while (::read(hold_read, &c, 1) > 0) {
    }
    ::_exit(0);
}

// Opens `n` tunnels at once and keeps them open; the proxy's RSS then.
int concurrent(std::size_t n) {
    std::uint16_t proxy_port = 0, target_port = 0;
    UniqueFd proxy_listener = listen_loopback(proxy_port);
    int hold[2];
    if (::pipe(hold) != 0) return 1;
    const pid_t child = proxy_child(std::move(proxy_listener), hold);
    ::close(hold[0]);
    UniqueFd target = listen_loopback(target_port);
    std::thread(serve, target.get(), 64 * 1024).detach();
    std::vector<UniqueFd> open;
    const auto tunnel = [&] {
        UniqueFd c = open_to(target_port, proxy_port);
        const char req[] = "GET / HTTP/1.0\r\n\r\n";
        send_all(c.get(), req, sizeof req - 1);
        std::vector<char> buf(64 * 1024);
        for (std::size_t got = 0; got < 64 * 1024;) {
            const ssize_t r = ::read(c.get(), buf.data(), buf.size());
            if (r <= 0) std::abort();
            got += static_cast<std::size_t>(r);
        }
        open.push_back(std::move(c));
    };
    tunnel();
    const long rss1 = status_kib(child, "VmRSS");
    while (open.size() < n)
        tunnel();
    const long rssn = status_kib(child, "VmRSS");
    const long hwm = status_kib(child, "VmHWM");
    // Within the proxy's bound of 256 connections.
    const std::size_t quiet = std::min<std::size_t>(n, n < 250 ? 250 - n : 0);
    std::vector<UniqueFd> silent;
    while (silent.size() < quiet)
        silent.push_back(connect_loopback(proxy_port));
    // The proxy has accepted them all once one more connection gets its answer.
    tunnel();
    const long rss_silent = status_kib(child, "VmRSS");
    std::printf(
        "proxy alone: RSS %ld KiB with 1 tunnel open, %ld KiB with %zu (peak %ld KiB): %+.1f KiB "
        "per tunnel; %+.1f KiB per connection that has not sent its request yet (%zu more)\n",
        rss1, rssn, n, hwm, static_cast<double>(rssn - rss1) / static_cast<double>(n - 1),
        quiet ? static_cast<double>(rss_silent - rssn) / static_cast<double>(quiet) : 0.0, quiet);
    silent.clear();
    open.clear();
    ::close(hold[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return 0;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 2 && std::string(argv[1]) == "--concurrent")
        return concurrent(std::max<std::size_t>(2, std::strtoul(argv[2], nullptr, 10)));
    const std::size_t mb = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 100;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
    std::uint16_t bulk_port = 0, small_port = 0, proxy_port = 0;
    UniqueFd bulk = listen_loopback(bulk_port), small = listen_loopback(small_port);
    std::thread(serve, bulk.get(), mb << 20).detach();
    std::thread(serve, small.get(), 1).detach();

    netproxy::ProxyOptions options;
    auto proxy = netproxy::Proxy::start(options, std::make_shared<AllowAll>(), nullptr);
    if (!proxy) return 1;
    (*proxy)->serve(listen_loopback(proxy_port));

    std::vector<double> direct, via;
    for (int i = 0; i < rounds; ++i) {
        direct.push_back(download(bulk_port, 0, mb << 20, nullptr));
        via.push_back(download(bulk_port, proxy_port, mb << 20, nullptr));
    }
    const double d = static_cast<double>(mb) / median(direct);
    const double v = static_cast<double>(mb) / median(via);
    std::printf(
        "download %zu MiB, median of %d: direct %.0f MiB/s, through the proxy %.0f MiB/s "
        "(%.0f %%)\n",
        mb, rounds, d, v, 100.0 * v / d);

    std::vector<double> ttfb_direct, ttfb_via;
    for (int i = 0; i < 200; ++i) {
        double us = 0;
        download(small_port, 0, 1, &us);
        ttfb_direct.push_back(us);
        download(small_port, proxy_port, 1, &us);
        ttfb_via.push_back(us);
    }
    std::printf(
        "time to first byte, median of 200: direct %.0f us, through the proxy %.0f us "
        "(%+.0f us)\n",
        median(ttfb_direct), median(ttfb_via), median(ttfb_via) - median(ttfb_direct));
    return 0;
}
