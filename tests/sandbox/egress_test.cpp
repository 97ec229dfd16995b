// Network egress through airlock's proxy (policy "network": {...}): real clients inside the
// sandbox, a target server this test runs on the host's loopback, and what reached it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "escape_harness.hpp"
#include "platform/unique_fd.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::escape;

namespace {

// A TCP server on 127.0.0.1 that counts connections and the bytes they sent, and answers any
// HTTP request head with "target says hello". Runs until destroyed.
class Target {
  public:
    Target() {
        listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(listener_.get(), 64) == 0);
        socklen_t len = sizeof a;
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~Target() {
        ::shutdown(listener_.get(), SHUT_RDWR);
        thread_.join();
    }
    std::string port() const { return std::to_string(port_); }
    int connections() const { return connections_; }
    std::size_t bytes() const { return bytes_; }

  private:
    void serve() {
        while (true) {
            airlock::UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
            if (!c.valid()) return;
            ++connections_;
            std::string got;
            char buf[4096];
            ssize_t n;
            while ((n = ::read(c.get(), buf, sizeof buf)) > 0) {
                bytes_ += static_cast<std::size_t>(n);
                got.append(buf, static_cast<std::size_t>(n));
                if (got.size() >= 4 && got.rfind("GET ", 0) != 0) break;  // not HTTP: hang up
                if (got.rfind("GET ", 0) == 0 && got.find("\r\n\r\n") != std::string::npos) {
                    const std::string reply =
                        "HTTP/1.0 200 OK\r\nContent-Length: 18\r\n\r\ntarget says hello\n";
                    (void)!::write(c.get(), reply.data(), reply.size());
                    break;
                }
            }
        }
    }
    airlock::UniqueFd listener_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    std::atomic<int> connections_{0};
    std::atomic<std::size_t> bytes_{0};
};

// allow: the names (and, with `explicit_ip`, the target's 127.0.0.1:PORT); good.test and
// evil.test resolve to 127.0.0.1 through the policy's hosts map.
std::string egress_policy(const Target& t, bool explicit_ip = true, const std::string& extra = "") {
    std::string allow = R"("good.test")";
    if (explicit_ip) allow += R"(, "127.0.0.1:)" + t.port() + "\"";
    return R"("sandbox": {"network": {"allow": [)" + allow +
           R"(], "deny": ["evil.test"], "hosts": {"good.test": "127.0.0.1", )"
           R"("evil.test": "127.0.0.1", "other.test": "127.0.0.1"})" +
           extra + "}}";
}

std::vector<nlohmann::json> network_records(Scenario& s, const Ran& r) {
    std::vector<nlohmann::json> out;
    for (const auto& rec : s.workspace().run_records(result(r)["wal"].get<std::string>()))
        if (rec["type"] == "network_request") out.push_back(rec["data"]);
    return out;
}

bool have(const char* program) {
    for (const char* dir : {"/usr/bin/", "/bin/"})
        if (::access((std::string(dir) + program).c_str(), X_OK) == 0) return true;
    return false;
}

// These tests reach the proxy where bwrap puts it (127.0.0.1:3128 in the sandbox's own network
// namespace); the seccomp adapter's proxy, on an ephemeral host port behind Landlock's TCP
// rules, has its own tests (egress_seccomp_test.cpp).
bool skip_unless_bwrap() {
    if (!under_seccomp()) return false;
    airlock::test::not_applicable("network egress through the proxy at 127.0.0.1:3128",
                                  "bwrap's layout; the seccomp adapter's: egress_seccomp_test.cpp");
    return true;
}

}  // namespace

TEST_CASE("egress: curl through the proxy reaches an allowed host, a denied one gets 403") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    auto ok = s.exec({"curl", "-sS", "-m", "20", "http://good.test:" + t.port() + "/p?secret=1"},
                     egress_policy(t));
    require_sandboxed(ok);
    CHECK(field(ok, "stdout") == "target says hello\n");
    CHECK(effective(ok)["network"] == "proxy");
    CHECK(effective(ok)["network_policy"]["mode"] == "proxy");
    const auto recs = network_records(s, ok);
    REQUIRE(recs.size() == 1);
    CHECK(recs[0]["decision"] == "allow");
    CHECK(recs[0]["host"] == "good.test");
    CHECK(recs[0]["address"] == "127.0.0.1");
    CHECK(recs[0]["bytes_down"].get<int>() > 18);
    // Never the path or the query (the record names host and port only).
    CHECK(recs[0].dump().find("secret") == std::string::npos);
    CHECK(recs[0].dump().find("/p") == std::string::npos);
    CHECK(t.connections() == 1);

    auto denied = s.exec({"curl", "-sS", "-m", "20", "-i", "http://evil.test:" + t.port() + "/"},
                         egress_policy(t));
    require_sandboxed(denied);
    const std::string out = field(denied, "stdout");
    CHECK(out.rfind("HTTP/1.1 403 Forbidden\r\n", 0) == 0);
    CHECK(out.find("X-Airlock-Refused: denied by the policy's network deny list") !=
          std::string::npos);
    CHECK(result(denied)["sandbox"]["network_refused"][0]["host"] == "evil.test");
    const auto drecs = network_records(s, denied);
    REQUIRE(drecs.size() == 1);
    CHECK(drecs[0]["decision"] == "deny");
    CHECK(drecs[0]["rule"] == "deny \"evil.test\"");
    CHECK(t.connections() == 1);  // nothing more reached the target

    // Unknown hosts are refused too ("unknown" defaults to deny)...
    const std::vector<std::string> other = {
        "curl", "-sS",          "-m",
        "20",   "-o",           "/dev/null",
        "-w",   "%{http_code}", "http://other.test:" + t.port() + "/"};
    CHECK(field(s.exec(other, egress_policy(t, false)), "stdout") == "403");
    CHECK(t.connections() == 1);
    // ...unless an address entry allows what they resolve to (documented: an address entry
    // opens that address whatever name led there).
    CHECK(field(s.exec(other, egress_policy(t)), "stdout") == "200");
    CHECK(t.connections() == 2);
}

TEST_CASE("egress: a direct connection without the proxy fails, the same through it works") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    auto direct =
        s.exec({"curl", "-sS", "-m", "20", "--noproxy", "*", "http://127.0.0.1:" + t.port() + "/"},
               egress_policy(t));
    require_sandboxed(direct);
    CHECK(result(direct)["exit_code"] != 0);
    CHECK(t.connections() == 0);
    // Positive control: the proxy variables are set, and through them the target answers.
    auto env = s.exec({"sh", "-c", "echo $HTTP_PROXY $https_proxy $ALL_PROXY $NO_PROXY"},
                      egress_policy(t));
    CHECK(field(env, "stdout") ==
          "http://127.0.0.1:3128 http://127.0.0.1:3128 socks5h://127.0.0.1:3128 "
          "localhost,127.0.0.1,::1\n");
    auto via =
        s.exec({"curl", "-sS", "-m", "20", "http://good.test:" + t.port() + "/"}, egress_policy(t));
    CHECK(field(via, "stdout") == "target says hello\n");
    CHECK(t.connections() == 1);
}

TEST_CASE("egress: an allowed name resolving to 127.0.0.1 needs an explicit address entry") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    // CONNECT (curl -p) and SOCKS5 (socks5h://) to good.test, allowed by name only.
    const std::string url = "http://good.test:" + t.port() + "/";
    auto connect = s.exec({"curl", "-sS", "-m", "20", "-p", url}, egress_policy(t, false));
    require_sandboxed(connect);
    CHECK(result(connect)["exit_code"] != 0);
    CHECK(field(connect, "stderr").find("403") != std::string::npos);
    auto socks = s.exec({"curl", "-sS", "-m", "20", "-x", "socks5h://127.0.0.1:3128", url},
                        egress_policy(t, false));
    CHECK(result(socks)["exit_code"] != 0);
    CHECK(t.connections() == 0);
    const auto recs = network_records(s, connect);
    REQUIRE(recs.size() == 1);
    CHECK(recs[0]["rule"] == "address");
    CHECK(recs[0]["reason"].get<std::string>().find("loopback") != std::string::npos);
    // Positive control: with "127.0.0.1:PORT" in allow, both tunnels work.
    auto connect_ok = s.exec({"curl", "-sS", "-m", "20", "-p", url}, egress_policy(t));
    CHECK(field(connect_ok, "stdout") == "target says hello\n");
    auto socks_ok = s.exec({"curl", "-sS", "-m", "20", "-x", "socks5h://127.0.0.1:3128", url},
                           egress_policy(t));
    CHECK(field(socks_ok, "stdout") == "target says hello\n");
    CHECK(t.connections() == 2);
}

TEST_CASE("egress: a TLS ClientHello naming another host than the CONNECT is refused") {
    if (skip_unless_bwrap()) return;
    if (!have("openssl")) return airlock::test::not_applicable("SNI check", "no openssl");
    Scenario s;
    Target t;
    // openssl s_client through the proxy: the tunnel is to good.test, the SNI says otherwise.
    auto hello = [&](const std::string& sni) {
        return s.exec({"sh", "-c",
                       "openssl s_client -proxy 127.0.0.1:3128 -connect good.test:" + t.port() +
                           " -servername " + sni + " </dev/null >/dev/null 2>&1; echo done"},
                      egress_policy(t));
    };
    auto mismatch = hello("evil.example");
    require_sandboxed(mismatch);
    const auto recs = network_records(s, mismatch);
    REQUIRE(recs.size() == 1);
    CHECK(recs[0]["decision"] == "deny");
    CHECK(recs[0]["rule"] == "sni");
    CHECK(t.bytes() == 0);  // not one byte of the hello reached the target
    // Positive control: the matching name goes through (the target gets the ClientHello).
    auto match = hello("good.test");
    const auto ok = network_records(s, match);
    REQUIRE(ok.size() == 1);
    CHECK(ok[0]["decision"] == "allow");
    CHECK(t.bytes() > 0);
}

TEST_CASE("egress: malformed and oversized requests are refused and the proxy keeps serving") {
    if (skip_unless_bwrap()) return;
    if (!have("curl") || !have("python3"))
        return airlock::test::not_applicable("malformed requests", "no curl or python3");
    Scenario s;
    Target t;
    const std::string script =
        "import socket\n"
        "for req in [b'GARBAGE\\r\\n\\r\\n', b'GET http://good.test:" +
        t.port() +
        "/ HTTP/1.1\\r\\nHost: evil.test\\r\\n\\r\\n', b'GET http://good.test/ HTTP/1.1\\r\\nX: ' "
        "+ b'a' * 70000 + b'\\r\\n\\r\\n']:\n"
        "    s = socket.create_connection(('127.0.0.1', 3128))\n"
        "    try:\n"
        "        s.sendall(req)\n"
        "    except OSError:\n"
        "        pass\n"
        "    print(s.recv(12).decode())\n"
        "    s.close()\n";
    write_text(s.ws() / "bad.py", script);
    auto r =
        s.exec({"sh", "-c", "python3 bad.py; curl -sS -m 20 http://good.test:" + t.port() + "/"},
               egress_policy(t));
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "HTTP/1.1 400\nHTTP/1.1 400\nHTTP/1.1 431\ntarget says hello\n");
    CHECK(t.connections() == 1);  // only the good request
}
