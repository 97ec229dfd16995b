// Network egress under the seccomp adapter (no network namespace): airlock's proxy listens on
// the host's 127.0.0.1, Landlock's TCP rules let the command connect to the proxy's port only,
// and the filter closes what those rules do not see (UDP, MPTCP, TCP Fast Open, listen).
// Each refusal has its positive control: the same probe, unconfined, reaches the same listener.
// The direct-connection attacks run under bwrap too (nothing may arrive); the rest is seccomp's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "escape_harness.hpp"
#include "platform/unique_fd.hpp"
#include "sandbox/landlock.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::escape;

namespace {

// A socket of the test's on 127.0.0.1 (TCP listening, or UDP bound) that tells what reached it.
class LoopbackSink {
  public:
    explicit LoopbackSink(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_.valid());
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        if (type == SOCK_STREAM) REQUIRE(::listen(fd_.get(), 16) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port_ = std::to_string(ntohs(a.sin_port));
    }
    // A TCP listener on [::1]; invalid (and `port()` empty) when the host has no IPv6 loopback.
    static LoopbackSink tcp6() {
        LoopbackSink s;
        s.fd_.reset(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_addr = in6addr_loopback;
        socklen_t len = sizeof a;
        if (!s.fd_.valid() || ::bind(s.fd_.get(), reinterpret_cast<sockaddr*>(&a), len) != 0 ||
            ::listen(s.fd_.get(), 16) != 0 ||
            ::getsockname(s.fd_.get(), reinterpret_cast<sockaddr*>(&a), &len) != 0)
            return s;
        s.port_ = std::to_string(ntohs(a.sin6_port));
        return s;
    }
    const std::string& port() const { return port_; }
    int fd() const { return fd_.get(); }
    // TCP: how many connections wait to be accepted (taking them); UDP: datagrams queued. The
    // probe has exited by then: a loopback connect or send is complete when the call returns.
    int arrived(int type) {
        int n = 0;
        for (;;) {
            pollfd ready{fd_.get(), POLLIN, 0};
            if (::poll(&ready, 1, 0) != 1) return n;  // nothing waiting (0: no wait)
            if (type == SOCK_STREAM) {
                airlock::UniqueFd c(::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (!c.valid()) return n;
            } else {
                char b;
                if (::recv(fd_.get(), &b, 1, MSG_DONTWAIT) < 0) return n;
            }
            ++n;
        }
    }

  private:
    LoopbackSink() = default;
    airlock::UniqueFd fd_;
    std::string port_;
};

// An HTTP server on 127.0.0.1: answers each request head with "target says hello" and counts
// the connections it got. Runs until destroyed.
class HelloServer {
  public:
    HelloServer() : sink_(SOCK_STREAM) {
        thread_ = std::thread([this] { serve(); });
    }
    ~HelloServer() {
        ::shutdown(sink_.fd(), SHUT_RDWR);
        thread_.join();
    }
    const std::string& port() const { return sink_.port(); }
    int connections() const { return connections_; }

  private:
    void serve() {
        for (;;) {
            airlock::UniqueFd c(::accept4(sink_.fd(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!c.valid()) return;
            ++connections_;
            std::string got;
            char buf[4096];
            ssize_t n;
            while (got.find("\r\n\r\n") == std::string::npos &&
                   (n = ::read(c.get(), buf, sizeof buf)) > 0)
                got.append(buf, static_cast<std::size_t>(n));
            const std::string reply =
                "HTTP/1.0 200 OK\r\nContent-Length: 18\r\n\r\ntarget says hello\n";
            (void)!::write(c.get(), reply.data(), reply.size());
        }
    }
    LoopbackSink sink_;
    std::thread thread_;
    std::atomic<int> connections_{0};
};

std::string loopback_egress_policy(const std::string& target_port) {
    return R"("sandbox": {"network": {"allow": ["good.test", "127.0.0.1:)" + target_port +
           R"("], "deny": ["evil.test"], "hosts": {"good.test": "127.0.0.1", "evil.test": )"
           R"("127.0.0.1"}}})";
}

bool have_curl() {
    return ::access("/usr/bin/curl", X_OK) == 0;
}

int tcp_fastopen_sysctl() {
    std::ifstream in("/proc/sys/net/ipv4/tcp_fastopen");
    int v = 0;
    in >> v;
    return v;
}

// The seccomp adapter's proxy needs Landlock's TCP rules. Below ABI 4 the policy is refused
// (checked here), and the rest of the test does not apply. Returns true to go on.
bool landlock_has_tcp(Scenario& s, const std::string& what) {
    const int abi = airlock::sandbox::probe_landlock().abi;
    if (abi >= airlock::sandbox::kLandlockTcpAbi) return true;
    auto r = s.exec({"true"}, loopback_egress_policy("80"));
    require_refused_by_sandbox(r, "Landlock ABI 4");
    require_refused_by_sandbox(r, abi > 0 ? "this kernel has ABI " + std::to_string(abi)
                                          : std::string("this kernel has no Landlock"));
    airlock::test::not_applicable(
        what, "Landlock ABI " + std::to_string(abi) + " has no TCP rules; the refusal is tested");
    return false;
}

}  // namespace

// Under both adapters nothing reaches the host's listeners but through the proxy (bwrap: the
// command's loopback is its own namespace's). Under seccomp the refusals are the ones named.
TEST_CASE(
    "egress: direct TCP (IPv4, IPv6), UDP, MPTCP and Fast Open reach nothing, the proxy does") {
    Scenario s;
    if (under_seccomp() && !landlock_has_tcp(s, "seccomp egress")) return;
    LoopbackSink tcp(SOCK_STREAM);
    LoopbackSink udp(SOCK_DGRAM);
    const std::string policy = loopback_egress_policy(tcp.port());
    const std::string probe = s.probe_path();
    // The refusal under seccomp; under bwrap, only that nothing arrives (checked by the caller).
    auto refused = [&](const Ran& r, const std::string& seccomp_says) {
        require_sandboxed(r);
        if (under_seccomp()) CHECK(field(r, "stdout") == seccomp_says);
    };

    // Positive control inside the sandbox: the probe connects to the proxy's port.
    auto to_proxy = s.exec({"sh", "-c", probe + " tcp \"${HTTP_PROXY##*:}\""}, policy);
    require_sandboxed(to_proxy);
    CHECK(field(to_proxy, "stdout") == "ok\n");
    if (under_seccomp()) {
        const auto proxy = effective(to_proxy)["proxy"];
        INFO("proxy: " << proxy.dump());
        CHECK(proxy["host"] == "127.0.0.1");
        CHECK(proxy["namespace"] == "host");
        REQUIRE(proxy["port"].is_number());
        CHECK(proxy["landlock_tcp"]["connect_tcp_ports"] == nlohmann::json::array({proxy["port"]}));
        CHECK(proxy["landlock_tcp"]["handled"] ==
              nlohmann::json::array({"bind_tcp", "connect_tcp"}));
    }

    // The same from a second thread of the probe.
    auto from_thread = s.exec({"sh", "-c", probe + " tcp-thread \"${HTTP_PROXY##*:}\""}, policy);
    CHECK(field(from_thread, "stdout") == "ok\n");
    if (under_seccomp()) {
        // Landlock alone would let the proxy's port number through on any address: airlock
        // answers connect(2) itself and allows the proxy's address only.
        auto elsewhere =
            s.exec({"sh", "-c", probe + " tcp-to 127.0.0.2 \"${HTTP_PROXY##*:}\""}, policy);
        CHECK(field(elsewhere, "stdout") == "refused: Permission denied (errno 13)\n");
        // Control: unconfined, that address is routed (nothing listens there: refused by the
        // kernel, not by a policy).
        const std::string port = effective(to_proxy)["proxy"]["port"].dump();
        CHECK(field(s.exec({probe, "tcp-to", "127.0.0.2", port}, kUnconfined), "stdout") ==
              "refused: Connection refused (errno 111)\n");
    }
    // A direct connection to another loopback port: Landlock refuses it (EACCES).
    refused(s.probe({"tcp", tcp.port()}, policy), "refused: Permission denied (errno 13)\n");
    CHECK(tcp.arrived(SOCK_STREAM) == 0);
    // UDP: the filter refuses the socket.
    refused(s.probe({"udp", udp.port()}, policy), "refused: Permission denied (errno 13)\n");
    CHECK(udp.arrived(SOCK_DGRAM) == 0);
    // MPTCP, which Landlock's TCP rules do not see: refused as an unsupported protocol.
    refused(s.probe({"mptcp", tcp.port()}, policy), "refused: Protocol not supported (errno 93)\n");
    CHECK(tcp.arrived(SOCK_STREAM) == 0);
    // TCP Fast Open connects from sendto, past connect(2): refused as if disabled.
    refused(s.probe({"fastopen", tcp.port()}, policy),
            "refused: Operation not supported (errno 95)\n");
    CHECK(tcp.arrived(SOCK_STREAM) == 0);
    // IPv6 the same: Landlock's rules are per port, whatever the family.
    LoopbackSink tcp6 = LoopbackSink::tcp6();
    if (!tcp6.port().empty()) {
        refused(s.probe({"tcp6", tcp6.port()}, policy), "refused: Permission denied (errno 13)\n");
        CHECK(tcp6.arrived(SOCK_STREAM) == 0);
        CHECK(field(s.exec({probe, "tcp6", tcp6.port()}, kUnconfined), "stdout") == "ok\n");
        CHECK(tcp6.arrived(SOCK_STREAM) == 1);
    } else {
        airlock::test::not_applicable("IPv6 direct connection", "the host has no ::1");
    }
    // listen(2) would bind an ephemeral port without bind(2) (bwrap: in its own namespace).
    if (under_seccomp())
        CHECK(field(s.probe({"listen"}, policy), "stdout") ==
              "refused: Operation not permitted (errno 1)\n");

    // Positive controls: unconfined, the same probes reach the same listeners.
    auto u_direct = s.exec({probe, "tcp", tcp.port()}, kUnconfined);
    CHECK(field(u_direct, "stdout") == "ok\n");
    CHECK(tcp.arrived(SOCK_STREAM) == 1);
    CHECK(field(s.exec({probe, "udp", udp.port()}, kUnconfined), "stdout") == "ok\n");
    CHECK(udp.arrived(SOCK_DGRAM) == 1);
    if (field(s.exec({probe, "mptcp", tcp.port()}, kUnconfined), "stdout") == "ok\n")
        CHECK(tcp.arrived(SOCK_STREAM) == 1);
    else
        airlock::test::not_applicable("MPTCP positive control", "the host refuses MPTCP");
    if ((tcp_fastopen_sysctl() & 1) != 0) {
        CHECK(field(s.exec({probe, "fastopen", tcp.port()}, kUnconfined), "stdout") == "ok\n");
        CHECK(tcp.arrived(SOCK_STREAM) == 1);
    } else {
        airlock::test::not_applicable("TCP Fast Open positive control",
                                      "net.ipv4.tcp_fastopen has client Fast Open off");
    }
}

TEST_CASE(
    "egress (seccomp): curl through the proxy reaches an allowed host, a denied one gets 403") {
    if (!under_seccomp()) return;  // bwrap: egress_test.cpp
    Scenario s;
    if (!landlock_has_tcp(s, "seccomp egress with curl")) return;
    if (!have_curl()) return airlock::test::not_applicable("seccomp egress with curl", "no curl");
    HelloServer target;
    const std::string policy = loopback_egress_policy(target.port());
    auto denied = s.exec({"curl", "-sS", "-m", "20", "-o", "/dev/null", "-w", "%{http_code}",
                          "http://evil.test:" + target.port() + "/"},
                         policy);
    require_sandboxed(denied);
    CHECK(field(denied, "stdout") == "403");
    CHECK(result(denied)["sandbox"]["network_refused"][0]["host"] == "evil.test");
    CHECK(target.connections() == 0);
    // Positive control: the allowed name goes through the proxy to the target.
    auto allowed =
        s.exec({"curl", "-sS", "-m", "20", "http://good.test:" + target.port() + "/"}, policy);
    require_sandboxed(allowed);
    CHECK(field(allowed, "stdout") == "target says hello\n");
    CHECK(target.connections() == 1);
    bool recorded = false;
    for (const auto& rec : s.workspace().run_records(result(allowed)["wal"].get<std::string>()))
        if (rec["type"] == "network_request" && rec["data"]["host"] == "good.test" &&
            rec["data"]["decision"] == "allow")
            recorded = true;
    CHECK(recorded);
    // The command's environment names the proxy; nothing is reached around it.
    auto env = s.exec({"sh", "-c", "echo \"$HTTPS_PROXY|$all_proxy|$NO_PROXY|\""}, policy);
    const std::string port = effective(env)["proxy"]["port"].dump();
    CHECK(field(env, "stdout") ==
          "http://127.0.0.1:" + port + "|socks5h://127.0.0.1:" + port + "||\n");
}

TEST_CASE("egress (seccomp): --dry-run --json shows the Landlock TCP rules and the proxy") {
    if (!under_seccomp()) return;
    Scenario s;
    if (!landlock_has_tcp(s, "seccomp egress dry run")) return;
    // A first call makes the workspace's .airlock (in a fresh workspace the dry run would find
    // it missing, a protected path the seccomp adapter cannot block).
    REQUIRE(result(s.exec({"true"}))["exit_code"] == 0);
    const fs::path policy = s.outside() / "dry-run-policy.json";
    write_text(policy, allow_all_policy(loopback_egress_policy("80")));
    std::vector<std::string> args = {"exec",      "--json",        "--dry-run",
                                     "--policy",  policy.string(), "--no-builtin-policy",
                                     "--sandbox", "seccomp"};
    for (const auto& a : airlock::test::unprotect_floor_args())
        args.push_back(a);
    for (const char* a : {"--", "true"})
        args.push_back(a);
    auto plan = s.airlock(args);
    INFO("stdout: " << plan.out << "\nstderr: " << plan.err);
    REQUIRE(plan.exit_code == 0);
    const auto profile = nlohmann::json::parse(plan.json()["stdout"].get<std::string>())["profile"];
    const auto proxy = profile["effective"]["proxy"];
    CHECK(proxy["host"] == "127.0.0.1");
    CHECK(proxy["port"].is_null());  // ephemeral: chosen when the proxy listens
    CHECK(proxy["landlock_tcp"]["handled"] == nlohmann::json::array({"bind_tcp", "connect_tcp"}));
    CHECK(proxy["landlock_tcp"]["bind_tcp_ports"].empty());
    CHECK(proxy["connect"].get<std::string>().find("the proxy's address only") !=
          std::string::npos);
    CHECK(proxy["landlock_tcp"]["connect_tcp_ports"].size() == 1);
    CHECK(profile["effective"]["network"] == "proxy");
    CHECK(profile["env_keys"].dump().find("\"HTTPS_PROXY\"") != std::string::npos);
    CHECK(profile["env_keys"].dump().find("\"no_proxy\"") != std::string::npos);
}
