// The proxy in this process, against a target server the test runs on loopback: what gets
// through, what is refused, and what the target sees of a refused request (nothing).
#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <doctest/doctest.h>

#include "netproxy/proxy.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock;
using namespace airlock::netproxy;

namespace {

UniqueFd listen_loopback(std::uint16_t& port) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(s.get(), 64) == 0);
    socklen_t len = sizeof a;
    ::getsockname(s.get(), reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return s;
}

// receive_buffer: when set, the client's SO_RCVBUF (a slow reader, so that the proxy's sends
// to it fall short).
UniqueFd connect_loopback(std::uint16_t port, int receive_buffer = 0) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (receive_buffer > 0)
        REQUIRE(::setsockopt(s.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer,
                             sizeof receive_buffer) == 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    REQUIRE(::connect(s.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return s;
}

void send_all(int fd, const std::string& s) {
    REQUIRE(::send(fd, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size()));
}

std::string read_to_end(int fd) {
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0)
        out.append(buf, static_cast<std::size_t>(n));
    return out;
}

// Allows the names in `allowed` and 127.0.0.1 only for them; records what it was asked.
struct TestDecider : Decider {
    std::set<std::string> allowed;
    Answer decide(const Destination& d) override {
        if (allowed.count(d.host)) return {true, "allow", ""};
        return {false, "deny", "not on the test's list"};
    }
};

struct Records {
    std::mutex m;
    std::condition_variable cv;
    std::vector<ConnectionRecord> list;
    void add(const ConnectionRecord& r) {
        std::lock_guard<std::mutex> lock(m);
        list.push_back(r);
        cv.notify_all();
    }
    ConnectionRecord wait(std::size_t n) {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return list.size() >= n; });
        return list[n - 1];
    }
};

// A target that answers one HTTP request per connection with "hello", and keeps what it got.
struct Target {
    UniqueFd listener;
    std::uint16_t port = 0;
    explicit Target() { listener = listen_loopback(port); }
    // True when a connection is waiting to be accepted (the proxy reached the target).
    bool has_pending() const {
        pollfd p{listener.get(), POLLIN, 0};
        return ::poll(&p, 1, 0) == 1;
    }
    std::string serve_one() {
        UniqueFd c(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        std::string got;
        char buf[4096];
        while (got.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::read(c.get(), buf, sizeof buf);
            if (n <= 0) return got;
            got.append(buf, static_cast<std::size_t>(n));
        }
        send_all(c.get(), "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        return got;
    }
};

struct Fixture {
    std::shared_ptr<TestDecider> decider = std::make_shared<TestDecider>();
    Records records;
    std::unique_ptr<Proxy> proxy;
    std::uint16_t port = 0;
    Target target;
    explicit Fixture(ProxyOptions o = {}) {
        o.hosts["good.test"] = "127.0.0.1";
        o.hosts["other.test"] = "127.0.0.1";
        decider->allowed = {"good.test"};
        auto p = Proxy::start(o, decider, [this](const ConnectionRecord& r) { records.add(r); });
        REQUIRE(p);
        proxy = std::move(p).value();
        proxy->serve(listen_loopback(port));
    }
    std::string url(const char* host) {
        return std::string("http://") + host + ":" + std::to_string(target.port) + "/x?secret=1";
    }
};

// A SOCKS5 client's greeting (no authentication) and CONNECT to a domain name, in one write.
std::string socks5_connect(const std::string& host, std::uint16_t port) {
    std::string r("\x05\x01\x00\x05\x01\x00\x03", 7);
    r += static_cast<char>(host.size());
    r += host;
    r += static_cast<char>(port >> 8);
    r += static_cast<char>(port & 0xff);
    return r;
}

}  // namespace

TEST_CASE("HTTP: an allowed request reaches the target in origin form, a denied one does not") {
    Fixture f;
    {
        UniqueFd c = connect_loopback(f.port);
        send_all(c.get(), "GET " + f.url("good.test") +
                              " HTTP/1.1\r\nHost: good.test:" + std::to_string(f.target.port) +
                              "\r\nProxy-Connection: keep-alive\r\n\r\n");
        const std::string got = f.target.serve_one();
        CHECK(got.starts_with("GET /x?secret=1 HTTP/1.1\r\n"));
        CHECK(got.find("Proxy-") == std::string::npos);
        CHECK(read_to_end(c.get()).ends_with("hello"));
        const auto r = f.records.wait(1);
        CHECK(r.allowed);
        CHECK(r.protocol == "http");
        CHECK(r.host == "good.test");
        CHECK(r.address == "127.0.0.1");
        CHECK(r.bytes_down > 5);
    }
    {
        UniqueFd c = connect_loopback(f.port);
        send_all(c.get(), "GET " + f.url("other.test") + " HTTP/1.1\r\n\r\n");
        const std::string answer = read_to_end(c.get());
        CHECK(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"));
        CHECK(answer.find("X-Airlock-Refused: not on the test's list\r\n") != std::string::npos);
        const auto r = f.records.wait(2);
        CHECK_FALSE(r.allowed);
        CHECK(r.reason == "not on the test's list");
        CHECK(r.address.empty());  // refused by name, never resolved
        CHECK_FALSE(f.target.has_pending());
    }
}

TEST_CASE("malformed and oversized requests are refused and the proxy keeps serving") {
    ProxyOptions o;
    o.max_head_bytes = 2048;
    Fixture f(o);
    for (const std::string& bad :
         {std::string("GET http://good.test/ HTTP/1.1\r\nHost: other.test\r\n\r\n"),
          std::string("NONSENSE\r\n\r\n"),
          "GET http://good.test/ HTTP/1.1\r\nX: " + std::string(4096, 'a') + "\r\n\r\n"}) {
        UniqueFd c = connect_loopback(f.port);
        send_all(c.get(), bad);
        const std::string answer = read_to_end(c.get());
        CHECK_MESSAGE((answer.starts_with("HTTP/1.1 400") || answer.starts_with("HTTP/1.1 431")),
                      answer);
    }
    CHECK_FALSE(f.target.has_pending());
    // Positive control: a good request after them.
    UniqueFd c = connect_loopback(f.port);
    send_all(c.get(), "GET " + f.url("good.test") + " HTTP/1.1\r\n\r\n");
    f.target.serve_one();
    CHECK(read_to_end(c.get()).ends_with("hello"));
}

TEST_CASE("SOCKS5: allowed names connect, refused ones get 0x02") {
    Fixture f;
    auto request = [&](const std::string& host) { return socks5_connect(host, f.target.port); };
    {
        UniqueFd c = connect_loopback(f.port);
        send_all(c.get(), request("other.test"));
        const std::string answer = read_to_end(c.get());
        REQUIRE(answer.size() == 12);
        CHECK(answer.substr(0, 2) == std::string("\x05\x00", 2));
        CHECK(answer[3] == 0x02);
        CHECK_FALSE(f.target.has_pending());
    }
    UniqueFd c = connect_loopback(f.port);
    send_all(c.get(), request("good.test"));
    char reply[12];
    REQUIRE(::recv(c.get(), reply, sizeof reply, MSG_WAITALL) == 12);
    CHECK(reply[3] == 0x00);
    send_all(c.get(), "GET / HTTP/1.0\r\n\r\n");
    CHECK(f.target.serve_one() == "GET / HTTP/1.0\r\n\r\n");
    CHECK(read_to_end(c.get()).ends_with("hello"));
}

TEST_CASE("the connection bound: beyond it, connections are closed and others still served") {
    ProxyOptions o;
    o.max_connections = 2;
    Fixture f(o);
    // Two connections that never finish their heads hold both places.
    UniqueFd a = connect_loopback(f.port), b = connect_loopback(f.port);
    send_all(a.get(), "GET ");
    send_all(b.get(), "GET ");
    // The proxy accepts in order, so the third is accepted after both: it is closed unanswered.
    UniqueFd third = connect_loopback(f.port);
    send_all(third.get(), "GET " + f.url("good.test") + " HTTP/1.1\r\n\r\n");
    CHECK(read_to_end(third.get()).empty());
    a.reset();
    b.reset();
    f.records.wait(2);  // both ended (recorded as malformed)
    UniqueFd c = connect_loopback(f.port);
    send_all(c.get(), "GET " + f.url("good.test") + " HTTP/1.1\r\n\r\n");
    f.target.serve_one();
    CHECK(read_to_end(c.get()).ends_with("hello"));
}

TEST_CASE("a slow client is closed at its head deadline, the proxy keeps serving") {
    ProxyOptions o;
    o.head_timeout = std::chrono::milliseconds(300);
    Fixture f(o);
    UniqueFd slow = connect_loopback(f.port);
    send_all(slow.get(), "GET http://good.test/ HTTP/1.1\r\n");  // never finished
    CHECK(read_to_end(slow.get()).empty());                      // closed by the proxy
    const auto r = f.records.wait(1);
    CHECK_FALSE(r.allowed);
    // Positive control: a prompt client is served.
    UniqueFd c = connect_loopback(f.port);
    send_all(c.get(), "GET " + f.url("good.test") + " HTTP/1.1\r\n\r\n");
    f.target.serve_one();
    CHECK(read_to_end(c.get()).ends_with("hello"));
}

TEST_CASE("a trailing dot names the same host") {
    Fixture f;
    UniqueFd c = connect_loopback(f.port);
    send_all(c.get(),
             "GET http://good.test.:" + std::to_string(f.target.port) + "/ HTTP/1.1\r\n\r\n");
    f.target.serve_one();
    CHECK(read_to_end(c.get()).ends_with("hello"));
    CHECK(f.records.wait(1).host == "good.test");
}

TEST_CASE("many idle connections: those over the bound are closed, the rest still served") {
    ProxyOptions o;
    o.max_connections = 64;
    Fixture f(o);
    std::vector<UniqueFd> idle;
    for (int i = 0; i < 200; ++i) {
        idle.push_back(connect_loopback(f.port));
        send_all(idle.back().get(), "G");
    }
    // Connections are accepted in order: the last one is over the bound and closed unanswered.
    CHECK(read_to_end(idle.back().get()).empty());
    idle.clear();
    f.records.wait(64);  // the 64 held ones ended and were recorded
    UniqueFd c = connect_loopback(f.port);
    send_all(c.get(), "GET " + f.url("good.test") + " HTTP/1.1\r\n\r\n");
    f.target.serve_one();
    CHECK(read_to_end(c.get()).ends_with("hello"));
}

namespace {

// Answers "slow.test" later, when the test says so; everything else like TestDecider.
struct LaterDecider : TestDecider {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::pair<Destination, Later>> waiting;
    std::optional<Answer> decide_or_wait(const Destination& d, Later later) override {
        if (d.host != "slow.test") return decide(d);
        std::lock_guard<std::mutex> lock(m);
        waiting.emplace_back(d, std::move(later));
        cv.notify_all();
        return std::nullopt;
    }
    // Blocks until `n` destinations wait for an answer; returns the n-th.
    std::pair<Destination, Later> wait(std::size_t n) {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return waiting.size() >= n; });
        return waiting[n - 1];
    }
};

struct LaterFixture {
    std::shared_ptr<LaterDecider> decider = std::make_shared<LaterDecider>();
    Records records;
    std::unique_ptr<Proxy> proxy;
    Target target;
    LaterFixture() {
        ProxyOptions o;
        o.hosts["good.test"] = "127.0.0.1";
        o.hosts["slow.test"] = "127.0.0.1";
        decider->allowed = {"good.test"};
        auto p = Proxy::start(o, decider, [this](const ConnectionRecord& r) { records.add(r); });
        REQUIRE(p);
        proxy = std::move(p).value();
    }
    std::uint16_t serve(const std::string& origin) {
        std::uint16_t port = 0;
        proxy->serve(listen_loopback(port), origin);
        return port;
    }
    std::string get(const char* host) {
        const std::string hp = std::string(host) + ":" + std::to_string(target.port);
        return "GET http://" + hp + "/x?secret=1 HTTP/1.1\r\nHost: " + hp + "\r\n\r\n";
    }
};

}  // namespace

TEST_CASE("a Decider that answers later: the connection waits, the proxy serves others") {
    LaterFixture f;
    const std::uint16_t port = f.serve("call-1");
    UniqueFd waiting = connect_loopback(port);
    send_all(waiting.get(), f.get("slow.test"));
    auto [asked, later] = f.decider->wait(1);
    CHECK(asked.origin == "call-1");
    CHECK(asked.host == "slow.test");
    CHECK(asked.address.empty());  // asked by name, before any lookup
    CHECK_FALSE(f.target.has_pending());
    // While it waits, another connection is served (the proxy's thread is not blocked).
    {
        UniqueFd other = connect_loopback(port);
        send_all(other.get(), f.get("good.test"));
        f.target.serve_one();
        CHECK(read_to_end(other.get()).ends_with("hello"));
    }
    later(Answer{true, "approval", "approved by the test"});
    // After the name, its resolved address is asked about too (this decider answers it later).
    auto [by_address, later_address] = f.decider->wait(2);
    CHECK(by_address.address == "127.0.0.1");
    later_address(Answer{true, "approval", "approved by the test"});
    const std::string got = f.target.serve_one();
    CHECK(got.starts_with("GET /x?secret=1 HTTP/1.1\r\n"));
    CHECK(read_to_end(waiting.get()).ends_with("hello"));
    const ConnectionRecord r = f.records.wait(2);
    CHECK(r.allowed);
    CHECK(r.origin == "call-1");
    CHECK(r.rule == "approval");
}

TEST_CASE("a Decider that refuses later: 403, and the target saw nothing") {
    LaterFixture f;
    const std::uint16_t port = f.serve("call-1");
    UniqueFd c = connect_loopback(port);
    send_all(c.get(), f.get("slow.test"));
    auto [asked, later] = f.decider->wait(1);
    later(Answer{false, "approval", "denied by the test"});
    later(Answer{true, "approval", "a second answer is ignored"});
    const std::string answer = read_to_end(c.get());
    CHECK(answer.starts_with("HTTP/1.1 403 Forbidden\r\n"));
    CHECK(answer.find("denied by the test") != std::string::npos);
    CHECK_FALSE(f.target.has_pending());
    const ConnectionRecord r = f.records.wait(1);
    CHECK_FALSE(r.allowed);
    CHECK(r.reason == "denied by the test");
}

TEST_CASE("close_origin ends that origin's connections (and its waits), not another's") {
    LaterFixture f;
    const std::uint16_t one = f.serve("call-1");
    const std::uint16_t two = f.serve("call-2");
    // call-1: a tunnel open to the target, and a connection waiting for an answer.
    UniqueFd tunnel = connect_loopback(one);
    const std::string hp = "good.test:" + std::to_string(f.target.port);
    send_all(tunnel.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\n");
    UniqueFd upstream(::accept4(f.target.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(upstream.valid());
    UniqueFd waiting = connect_loopback(one);
    send_all(waiting.get(), f.get("slow.test"));
    auto [asked, later] = f.decider->wait(1);
    f.proxy->close_origin("call-1");
    // Both are recorded by the time close_origin returns, with their origin.
    {
        std::lock_guard<std::mutex> lock(f.records.m);
        REQUIRE(f.records.list.size() == 2);
        for (const auto& r : f.records.list)
            CHECK(r.origin == "call-1");
    }
    CHECK(read_to_end(tunnel.get()).starts_with("HTTP/1.1 200"));  // then closed
    CHECK(read_to_end(waiting.get()).empty());
    later(Answer{true, "approval", "too late: the connection is gone"});
    // call-1's listening socket is closed; call-2 is still served.
    UniqueFd refused(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(one);
    CHECK(::connect(refused.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0);
    UniqueFd c = connect_loopback(two);
    send_all(c.get(), f.get("good.test"));
    f.target.serve_one();
    CHECK(read_to_end(c.get()).ends_with("hello"));
    CHECK(f.records.wait(3).origin == "call-2");
}

TEST_CASE("SOCKS5 with a Decider that answers later: 0x02 when refused, 0x00 when allowed") {
    LaterFixture f;
    const std::uint16_t port = f.serve("call-1");
    auto request = [&](const std::string& host) { return socks5_connect(host, f.target.port); };
    {
        UniqueFd c = connect_loopback(port);
        send_all(c.get(), request("slow.test"));
        auto [asked, later] = f.decider->wait(1);
        CHECK(asked.origin == "call-1");
        later(Answer{false, "approval", "denied by the test"});
        const std::string answer = read_to_end(c.get());
        REQUIRE(answer.size() == 12);
        CHECK(answer[3] == 0x02);
        CHECK_FALSE(f.target.has_pending());
    }
    // Positive control: the same request, allowed (by name, then by address).
    UniqueFd c = connect_loopback(port);
    send_all(c.get(), request("slow.test"));
    f.decider->wait(2).second(Answer{true, "approval", "approved by the test"});
    f.decider->wait(3).second(Answer{true, "approval", "approved by the test"});
    char reply[12];
    REQUIRE(::recv(c.get(), reply, sizeof reply, MSG_WAITALL) == 12);
    CHECK(reply[3] == 0x00);
    send_all(c.get(), "GET / HTTP/1.0\r\n\r\n");
    CHECK(f.target.serve_one() == "GET / HTTP/1.0\r\n\r\n");
    CHECK(read_to_end(c.get()).ends_with("hello"));
}

// Bytes that differ along the stream, so that a piece lost, repeated or out of order shows.
std::string patterned(std::size_t size, std::uint32_t seed) {
    std::string out(size, '\0');
    std::uint32_t x = seed;
    for (char& c : out) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>(x >> 24);
    }
    return out;
}

TEST_CASE(
    "a tunnel carries bulk bytes both ways, in order, each way closes on its own, the record "
    "counts them") {
    Fixture f;
    // The client reads through a small buffer: the proxy's sends to it fall short, and what it
    // did not take waits in the tunnel's pipe, ahead of what arrives later.
    UniqueFd c = connect_loopback(f.port, 8 * 1024);
    const std::string hp = "good.test:" + std::to_string(f.target.port);
    send_all(c.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\nping");
    UniqueFd upstream(::accept4(f.target.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(upstream.valid());
    std::string got;
    char buf[4096];
    while (got.size() < 4) {
        const ssize_t n = ::read(upstream.get(), buf, sizeof buf);
        REQUIRE(n > 0);
        got.append(buf, static_cast<std::size_t>(n));
    }
    CHECK(got == "ping");
    // More than the pipes and socket buffers hold, so that the proxy waits for the client.
    const std::string bulk_down = patterned(8 << 20, 1);
    const std::string bulk_up = patterned(2 << 20, 2);
    std::string up;
    std::thread target([&] {
        send_all(upstream.get(), bulk_down);
        // The client's end of stream reaches the target, which still answers.
        up = read_to_end(upstream.get());
        send_all(upstream.get(), "bye");
        upstream.reset();
    });
    std::thread uploader([&] {
        send_all(c.get(), bulk_up);
        ::shutdown(c.get(), SHUT_WR);
    });
    // The client's way ends first (its SHUT_WR), the target's goes on to its "bye".
    const std::string down = read_to_end(c.get());
    uploader.join();
    CHECK(down.size() == 39 + bulk_down.size() + 3);
    CHECK((down == "HTTP/1.1 200 Connection established\r\n\r\n" + bulk_down + "bye"));
    target.join();
    CHECK(up.size() == bulk_up.size());
    CHECK((up == bulk_up));
    const auto r = f.records.wait(1);
    CHECK(r.allowed);
    CHECK(r.protocol == "connect");
    CHECK(r.bytes_up == 4 + bulk_up.size());
    CHECK(r.bytes_down == bulk_down.size() + 3);
}

TEST_CASE("an open tunnel with no bytes either way is closed at its idle deadline") {
    ProxyOptions o;
    o.idle_timeout = std::chrono::milliseconds(300);
    o.connect_timeout = std::chrono::milliseconds(10000);  // the deadline before the tunnel
    Fixture f(o);
    UniqueFd c = connect_loopback(f.port);
    const std::string hp = "good.test:" + std::to_string(f.target.port);
    send_all(c.get(), "CONNECT " + hp + " HTTP/1.1\r\nHost: " + hp + "\r\n\r\nping");
    UniqueFd upstream(::accept4(f.target.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(upstream.valid());
    char buf[4];
    // Positive control: the tunnel carried the client's bytes before it went quiet.
    REQUIRE(::recv(upstream.get(), buf, sizeof buf, MSG_WAITALL) == 4);
    CHECK(std::string(buf, 4) == "ping");
    // Neither side sends again: the proxy closes both.
    CHECK(read_to_end(upstream.get()).empty());
    CHECK(read_to_end(c.get()) == "HTTP/1.1 200 Connection established\r\n\r\n");
    const auto r = f.records.wait(1);
    CHECK(r.allowed);
    CHECK(r.bytes_up == 4);
    CHECK(r.duration_ms >= 300);
    CHECK(r.duration_ms < 5000);  // the idle deadline, not the longer one set before it
}

namespace {

// Refuses everything; keeps, per address asked about, whether the proxy called it the
// machine's own.
struct OwnAddressDecider : Decider {
    std::mutex m;
    std::map<std::string, bool> own_by_address;
    Answer decide(const Destination& d) override {
        std::lock_guard<std::mutex> lock(m);
        if (!d.address.empty()) own_by_address[d.address] = d.address_is_host_own;
        return {false, "deny", "the test refuses all"};
    }
};

// Asks the proxy on `port` for http://ADDRESS/ and waits for its refusal.
void ask_for(std::uint16_t port, const std::string& address) {
    UniqueFd c = connect_loopback(port);
    send_all(c.get(), "GET http://" + address + ":9/ HTTP/1.1\r\n\r\n");
    read_to_end(c.get());
}

// The forked child of the test below: its exit status (0 when every check held, 77 when the
// host refuses a network namespace of its own or an address on lo).
int own_addresses_in_own_netns() {
    if (::unshare(CLONE_NEWNET) != 0 && ::unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) return 77;
    auto decider = std::make_shared<OwnAddressDecider>();
    auto p = Proxy::start({}, decider, [](const ConnectionRecord&) {});
    if (!p) return 10;
    const UniqueFd ctl(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq up{};
    std::strcpy(up.ifr_name, "lo");
    up.ifr_flags = IFF_UP | IFF_LOOPBACK;
    if (::ioctl(ctl.get(), SIOCSIFFLAGS, &up) != 0) return 77;
    std::uint16_t port = 0;
    (*p)->serve(listen_loopback(port));
    ask_for(port, "10.77.0.1");  // not yet on the machine
    ifreq alias{};
    std::strcpy(alias.ifr_name, "lo:1");
    auto* sin = reinterpret_cast<sockaddr_in*>(&alias.ifr_addr);
    sin->sin_family = AF_INET;
    ::inet_pton(AF_INET, "10.77.0.1", &sin->sin_addr);
    if (::ioctl(ctl.get(), SIOCSIFADDR, &alias) != 0) return 77;
    ask_for(port, "127.0.0.1");
    ask_for(port, "198.51.100.7");
    std::map<std::string, bool> before;
    {
        std::lock_guard<std::mutex> lock(decider->m);
        before = decider->own_by_address;
        decider->own_by_address.clear();
    }
    ask_for(port, "10.77.0.1");  // now it is
    std::lock_guard<std::mutex> lock(decider->m);
    const auto& after = decider->own_by_address;
    if (before.count("10.77.0.1") != 1 || before.at("10.77.0.1")) return 11;
    if (before.count("127.0.0.1") != 1 || !before.at("127.0.0.1")) return 12;
    if (before.count("198.51.100.7") != 1 || before.at("198.51.100.7")) return 13;
    if (after.count("10.77.0.1") != 1 || !after.at("10.77.0.1")) return 14;
    return 0;
}

}  // namespace

TEST_CASE("the machine's own addresses are named as such when asked, also one added later") {
    // In a network namespace of its own (a forked child), so that the address it adds is
    // nobody else's: the proxy starts first, then 10.77.0.1 is put on lo, then it is asked.
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // doctest's REQUIRE throws; in the child that must end the child, not run the suite.
        int code = 20;
        try {
            code = own_addresses_in_own_netns();
        } catch (...) {
        }
        _exit(code);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        return airlock::test::not_applicable(
            "the machine's own addresses, one added later",
            "no network namespace of its own, or no address on lo");
    // 11: 10.77.0.1 was own before it was added; 12: loopback not own; 13: a foreign address
    // called own; 14: the address added after the start not seen as own; 20: a REQUIRE failed.
    CHECK(WEXITSTATUS(status) == 0);
}
