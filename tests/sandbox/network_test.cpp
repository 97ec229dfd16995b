// Network escapes: host services on 127.0.0.1, socket families, host unix sockets (by path
// and in the abstract namespace).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include "escape_harness.hpp"
#include "platform/unique_fd.hpp"

using namespace airlock::escape;

namespace {

const std::string kNetworkOn = R"("sandbox": {"network": "on"})";

// A listening socket the test owns for its whole scope.
class Listener {
  public:
    static Listener tcp() {
        Listener l(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(l.fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(l.fd_.get(), 16) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(l.fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        l.name_ = std::to_string(ntohs(addr.sin_port));
        return l;
    }
    static Listener unix_socket(const std::string& name, bool abstract) {
        Listener l(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(name.size() + 2 <= sizeof addr.sun_path);
        std::memcpy(addr.sun_path + (abstract ? 1 : 0), name.data(), name.size());
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                                (abstract ? 1 : 0));
        REQUIRE(::bind(l.fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
        REQUIRE(::listen(l.fd_.get(), 16) == 0);
        l.name_ = name;
        return l;
    }
    const std::string& name() const { return name_; }

  private:
    explicit Listener(int fd) : fd_(fd) { REQUIRE(fd_.valid()); }
    airlock::UniqueFd fd_;
    std::string name_;
};

std::string probe_out(const Ran& r) {
    return field(r, "stdout");
}

}  // namespace

TEST_CASE("network off: a TCP service on the host's 127.0.0.1 is unreachable") {
    Scenario s;
    const Listener service = Listener::tcp();
    auto r = s.probe({"tcp", service.name()});
    require_sandboxed(r);
    CHECK(r.exit_code == 1);
    CHECK(probe_out(r).rfind("refused: ", 0) == 0);
    const auto eff = result(r)["sandbox"]["effective"];
    CHECK(eff["network"] == "off");
    if (under_seccomp()) {
        // No network namespace: the filter refuses every socket, AF_UNIX included.
        CHECK(eff["namespaces"].empty());
        CHECK(eff["seccomp"]["sockets"].get<std::string>().rfind("none (not even AF_UNIX)", 0) ==
              0);
        CHECK(probe_out(r).rfind("refused: Address family not supported", 0) == 0);
    } else {
        CHECK(eff["namespaces"].dump().find("\"net\"") != std::string::npos);
    }
    // Positive controls: the service answers unconfined, and from a sandbox with network on
    // (network "on" keeps the host's network namespace: loopback services are reachable).
    auto host = s.probe({"tcp", service.name()}, kUnconfined);
    CHECK(probe_out(host) == "ok\n");
    auto on = s.probe({"tcp", service.name()}, kNetworkOn);
    require_sandboxed(on);
    CHECK(result(on)["sandbox"]["effective"]["network"] == "on");
    CHECK(probe_out(on) == "ok\n");
}

TEST_CASE("network off, local sockets off: no socket can even be created, not even AF_UNIX") {
    Scenario s;
    const std::string off = R"("sandbox": {"local_sockets": "off"})";
    for (const std::string family : {"inet", "inet6", "udp", "netlink", "unix"}) {
        CAPTURE(family);
        auto r = s.probe({"socket", family}, off);
        CHECK(probe_out(r).rfind("refused: Address family not supported", 0) == 0);
    }
    // The default ("on"): loopback IP sockets in the sandbox's own namespace under bwrap;
    // netlink and unix stay refused (developer_tasks_test.cpp has the round trips).
    for (const std::string family : {"netlink", "unix"})
        CHECK(probe_out(s.probe({"socket", family})).rfind("refused: ", 0) == 0);
    const std::string inet = probe_out(s.probe({"socket", "inet"}));
    if (under_seccomp())
        CHECK(inet.rfind("refused: Address family not supported", 0) == 0);
    else
        CHECK(inet == "ok\n");
    // Positive controls: with the network on, both work.
    CHECK(probe_out(s.probe({"socket", "unix"}, kNetworkOn)) == "ok\n");
    CHECK(probe_out(s.probe({"socket", "udp"}, kNetworkOn)) == "ok\n");
}

TEST_CASE("network off: the interfaces are a fresh namespace's (loopback only)") {
    Scenario s;
    auto r = s.sh("cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '");
    require_sandboxed(r);
    // Positive control: the host has more than loopback.
    auto host = s.unconfined_sh("cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' '");
    CHECK(field(host, "stdout") != "lo\n");
    if (under_seccomp()) {
        // No network namespace: the host's interfaces are listed (documented), but not one
        // socket of any family can be made to use them.
        CHECK(field(r, "stdout") == field(host, "stdout"));
        CHECK(effective(r)["namespaces"].empty());
        for (const std::string family : {"inet", "inet6", "netlink"})
            CHECK(probe_out(s.probe({"socket", family})).rfind("refused: ", 0) == 0);
        return;
    }
    CHECK(field(r, "stdout") == "lo\n");
}

TEST_CASE("a host unix socket outside the workspace cannot be connected to") {
    Scenario s;
    const fs::path path = s.outside() / "host-service.sock";
    const Listener service = Listener::unix_socket(path.string(), false);
    auto r = s.probe({"unix", path.string()});
    require_sandboxed(r);
    INFO("sandboxed probe: " << probe_out(r));
    CHECK(r.exit_code == 1);
    CHECK(probe_out(r).rfind("refused: ", 0) == 0);
    // Positive controls: the socket works unconfined, and a connected pair of unix sockets
    // (socketpair, which needs no address) works inside the sandbox.
    CHECK(probe_out(s.probe({"unix", path.string()}, kUnconfined)) == "ok\n");
    auto inside =
        s.exec({"/usr/bin/python3", "-c",
                "import socket\n"
                "a, b = socket.socketpair(); a.send(b'k'); print('o' + b.recv(1).decode())\n"});
    CHECK(field(inside, "stdout") == "ok\n");
}

TEST_CASE("a host abstract unix socket cannot be connected to") {
    Scenario s;
    const std::string name = "airlock-escape-" + s.outside().filename().string();
    const Listener service = Listener::unix_socket(name, true);
    auto r = s.probe({"unix-abstract", name});
    require_sandboxed(r);
    CHECK(r.exit_code == 1);
    CHECK(probe_out(r).rfind("refused: ", 0) == 0);
    CHECK(probe_out(s.probe({"unix-abstract", name}, kUnconfined)) == "ok\n");
}
