// Network egress through airlock's proxy (policy "network": {...}): real clients inside the
// sandbox, a target server this test runs on the host's loopback, and what reached it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "escape_harness.hpp"
#include "platform/unique_fd.hpp"
#include "tests/mcp/serve_client.hpp"
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

namespace {

// "unknown": "ask" for ask.test (pinned to the target's 127.0.0.1, which an address entry
// opens), "deny.test" denied outright.
std::string ask_policy(const Target& t, const std::string& extra = "") {
    return R"("sandbox": {"network": {"allow": ["127.0.0.1:)" + t.port() +
           R"("], "deny": ["deny.test"], "unknown": "ask", "hosts": {"ask.test": "127.0.0.1", )"
           R"("deny.test": "127.0.0.1"}}})" +
           extra;
}

// An approval program that keeps each request document as one line of `log` and answers
// `decision` (or, with "hang", never answers).
std::string approval_program(Scenario& s, const std::string& name, const std::string& decision) {
    const fs::path program = s.outside() / name;
    const fs::path log = s.outside() / (name + ".asks");
    std::string body = "#!/bin/sh\ncat >> '" + log.string() + "'\n";
    if (decision == "hang")
        body += "exec sleep 60\n";
    else
        body += "echo '{\"decision\": \"" + decision + "\", \"reason\": \"the test says so\"}'\n";
    write_text(program, body);
    fs::permissions(program, fs::perms::owner_all);
    return program.string();
}

std::vector<nlohmann::json> asks_of(Scenario& s, const std::string& name) {
    std::vector<nlohmann::json> out;
    std::istringstream in(read_text(s.outside() / (name + ".asks")));
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(nlohmann::json::parse(line));
    return out;
}

std::vector<std::string> airlock_args(Scenario& s, const std::string& command,
                                      const std::string& fields, const std::string& program) {
    static int policies = 0;
    const fs::path policy = s.outside() / ("ask-policy-" + std::to_string(++policies) + ".json");
    write_text(policy, allow_all_policy(fields));
    return {command,          "--json",    "--no-builtin-policy", "--policy",
            policy.string(),  "--sandbox", adapter_under_test(),  "--approve",
            "exec:" + program};
}

Ran exec_asking(Scenario& s, const std::vector<std::string>& argv, const std::string& fields,
                const std::string& program) {
    auto args = airlock_args(s, "exec", fields, program);
    args.push_back("--");
    args.insert(args.end(), argv.begin(), argv.end());
    return s.airlock(args);
}

std::vector<nlohmann::json> records_of(Scenario& s, const Ran& r, const std::string& type) {
    std::vector<nlohmann::json> out;
    for (const auto& rec : s.workspace().run_records(result(r)["wal"].get<std::string>()))
        if (rec["type"] == type) out.push_back(rec);
    return out;
}

std::string curl_code(const Target& t, const std::string& host) {
    return "curl -sS -m 20 -o /dev/null -w '%{http_code}' http://" + host + ":" + t.port() + "/";
}

}  // namespace

TEST_CASE("egress ask: approved by the exec provider the connection goes through, denied, 403") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    // Approved (the positive control): both connections of the call go through, asked once.
    const std::string yes = approval_program(s, "yes", "approved");
    auto ok =
        exec_asking(s, {"sh", "-c", curl_code(t, "ask.test") + "; " + curl_code(t, "ask.test")},
                    ask_policy(t), yes);
    require_sandboxed(ok);
    CHECK(field(ok, "stdout") == "200200");
    CHECK(t.connections() == 2);
    const auto asks = asks_of(s, "yes");
    REQUIRE(asks.size() == 1);  // one answer covers the call's connections to ask.test:PORT
    CHECK(asks[0]["tool"] == "network");
    CHECK(asks[0]["request"] ==
          nlohmann::json{{"host", "ask.test"}, {"port", std::stoi(t.port())}});
    CHECK(asks[0]["call_id"] == "c1");
    CHECK(asks[0]["for_call"] == nlohmann::json{{"tool", "shell_exec"}, {"program", "sh"}});
    CHECK(asks[0]["policy"]["rule"] == "unknown");
    CHECK_FALSE(asks[0].contains("risk"));
    const auto requested = records_of(s, ok, "approval_requested");
    REQUIRE(requested.size() == 1);
    CHECK(requested[0]["call_id"] == "c1");
    CHECK(requested[0]["data"]["network"]["host"] == "ask.test");
    CHECK(requested[0]["data"]["key"] == asks[0]["key"]);
    const auto answered = records_of(s, ok, "approval_answered");
    REQUIRE(answered.size() == 1);
    CHECK(answered[0]["data"]["decision"] == "approved");
    const auto recs = network_records(s, ok);
    REQUIRE(recs.size() == 2);
    for (const auto& r : recs) {
        CHECK(r["decision"] == "allow");
        CHECK(r["rule"] == "approval");
    }

    // Denied: 403 naming the answer, nothing reaches the target, the result says why.
    const std::string no = approval_program(s, "no", "denied");
    auto denied = exec_asking(
        s, {"curl", "-sS", "-m", "20", "-i", "http://ask.test:" + t.port() + "/p?secret=1"},
        ask_policy(t), no);
    require_sandboxed(denied);
    const std::string out = field(denied, "stdout");
    CHECK(out.rfind("HTTP/1.1 403 Forbidden\r\n", 0) == 0);
    CHECK(out.find("denied by exec:") != std::string::npos);
    CHECK(t.connections() == 2);
    REQUIRE(asks_of(s, "no").size() == 1);
    // Never the URL's path or query, not even through the command line.
    CHECK(asks_of(s, "no")[0]["for_call"]["program"] == "curl");
    CHECK(asks_of(s, "no")[0].dump().find("secret") == std::string::npos);
    const auto refused = result(denied)["sandbox"]["network_refused"];
    REQUIRE(refused.size() == 1);
    CHECK(refused[0]["host"] == "ask.test");
    CHECK(refused[0]["reason"].get<std::string>().find("the test says so") != std::string::npos);
    const auto drecs = network_records(s, denied);
    REQUIRE(drecs.size() == 1);
    CHECK(drecs[0]["decision"] == "deny");
    CHECK(drecs[0]["rule"] == "approval");
    // The `deny` provider (the default without a terminal) refuses, and the refusal names it.
    auto args = airlock_args(s, "exec", ask_policy(t), "unused");
    args.back() = "deny";
    args.insert(args.end(), {"--", "sh", "-c", curl_code(t, "ask.test")});
    auto nobody = s.airlock(args);
    CHECK(field(nobody, "stdout") == "403");
    CHECK(result(nobody)["sandbox"]["network_refused"][0]["reason"].get<std::string>().find(
              "approval provider 'deny' denies every ask") != std::string::npos);
    CHECK(t.connections() == 2);
    // A host the policy denies is never asked about.
    auto listed = exec_asking(s, {"sh", "-c", curl_code(t, "deny.test")}, ask_policy(t), yes);
    CHECK(field(listed, "stdout") == "403");
    CHECK(asks_of(s, "yes").size() == 1);
    CHECK(t.connections() == 2);
}

TEST_CASE("egress ask: no answer within approvals.timeout_seconds is a denial") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    const std::string fields = ask_policy(t, R"(, "approvals": {"timeout_seconds": 1})");
    const std::string hang = approval_program(s, "hang", "hang");
    auto timed_out = exec_asking(s, {"sh", "-c", curl_code(t, "ask.test")}, fields, hang);
    require_sandboxed(timed_out);
    CHECK(field(timed_out, "stdout") == "403");
    CHECK(t.connections() == 0);
    CHECK(asks_of(s, "hang").size() == 1);
    const auto answered = records_of(s, timed_out, "approval_answered");
    REQUIRE(answered.size() == 1);
    CHECK(answered[0]["data"]["decision"] == "timed_out");
    CHECK(result(timed_out)["sandbox"]["network_refused"][0]["reason"].get<std::string>().find(
              "timed_out") != std::string::npos);
    // Positive control: the same policy with a program that answers.
    const std::string yes = approval_program(s, "yes", "approved");
    CHECK(field(exec_asking(s, {"sh", "-c", curl_code(t, "ask.test")}, fields, yes), "stdout") ==
          "200");
    CHECK(t.connections() == 1);
}

TEST_CASE("egress ask: one proxy for a run's calls, the session cache, records per call") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    const fs::path plan = s.outside() / "plan.json";
    auto step = [&](const std::string& id, const std::string& host) {
        return nlohmann::json{
            {"id", id},
            {"tool", "shell_exec"},
            {"args", {{"argv", {"sh", "-c", curl_code(t, host)}}}},
            {"expect", {{"stdout_contains", host == "ask.test" ? "200" : "403"}}}};
    };
    write_text(plan, nlohmann::json{{"steps",
                                     {step("first", "ask.test"), step("second", "ask.test"),
                                      step("third", "deny.test")}}}
                         .dump());
    auto run_plan = [&](const std::string& program) {
        auto args = airlock_args(s, "run", ask_policy(t), program);
        args.push_back(plan.string());
        return s.airlock(args);
    };
    // approved_for_session: asked by the first call only.
    const std::string session = approval_program(s, "session", "approved_for_session");
    auto ran = run_plan(session);
    INFO(ran.out << ran.err);
    REQUIRE(ran.exit_code == 0);
    CHECK(asks_of(s, "session").size() == 1);
    CHECK(t.connections() == 2);
    const nlohmann::json summary = ran.json();
    const std::string c1 = summary["steps"][0]["call_id"], c2 = summary["steps"][1]["call_id"],
                      c3 = summary["steps"][2]["call_id"];
    std::vector<nlohmann::json> recs;
    for (const auto& rec : s.workspace().run_records(summary["wal"].get<std::string>()))
        if (rec["type"] == "network_request") recs.push_back(rec);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0]["call_id"] == c1);
    CHECK(recs[0]["data"]["decision"] == "allow");
    CHECK(recs[1]["call_id"] == c2);
    CHECK(recs[1]["data"]["decision"] == "allow");
    CHECK(recs[2]["call_id"] == c3);
    CHECK(recs[2]["data"]["host"] == "deny.test");
    CHECK(recs[2]["data"]["decision"] == "deny");
    std::vector<nlohmann::json> answered;
    int proxies = 0;
    for (const auto& rec : s.workspace().run_records(summary["wal"].get<std::string>())) {
        if (rec["type"] == "approval_answered") answered.push_back(rec);
        if (rec["type"] == "network_proxy_started") ++proxies;
    }
    CHECK(proxies == 1);  // one proxy for the run's three calls
    REQUIRE(answered.size() == 2);
    CHECK(answered[0]["call_id"] == c1);
    CHECK(answered[0]["data"]["from_session_cache"] == false);
    CHECK(answered[1]["call_id"] == c2);
    CHECK(answered[1]["data"]["from_session_cache"] == true);
    // Control: "approved" covers one call; the next call is asked again.
    const std::string once = approval_program(s, "once", "approved");
    REQUIRE(run_plan(once).exit_code == 0);
    CHECK(asks_of(s, "once").size() == 2);
    CHECK(t.connections() == 4);
}

TEST_CASE("egress in serve: one proxy for the session, each call's records and refusals") {
    if (skip_unless_bwrap()) return;
    if (!have("curl")) return airlock::test::not_applicable("egress with curl", "no curl");
    Scenario s;
    Target t;
    const fs::path policy = s.outside() / "serve-policy.json";
    write_text(policy, allow_all_policy(ask_policy(t)));
    // The client cannot elicit: the fallback provider (a program) answers the network asks.
    const std::string program = approval_program(s, "serve", "approved_for_session");
    airlock::test::ServeClient server(
        s.workspace(), {"--no-builtin-policy", "--policy", policy.string(), "--sandbox",
                        adapter_under_test(), "--approve-fallback", "exec:" + program});
    server.initialize();
    auto call = [&](int id, const std::string& script) {
        server.send({{"jsonrpc", "2.0"},
                     {"id", id},
                     {"method", "tools/call"},
                     {"params",
                      {{"name", "shell_exec"}, {"arguments", {{"argv", {"sh", "-c", script}}}}}}});
        const nlohmann::json reply = server.reply(id);
        INFO(reply.dump());
        REQUIRE(reply.contains("result"));
        return reply["result"]["structuredContent"];
    };
    const auto first = call(1, curl_code(t, "ask.test"));
    CHECK(first["stdout"] == "200");
    CHECK_FALSE(first["sandbox"].contains("network_refused"));
    const auto second = call(2, curl_code(t, "ask.test") + "; " + curl_code(t, "deny.test"));
    CHECK(second["stdout"] == "200403");
    REQUIRE(second["sandbox"]["network_refused"].size() == 1);
    CHECK(second["sandbox"]["network_refused"][0]["host"] == "deny.test");
    server.close_stdin();
    CHECK(server.wait_exit() == 0);
    CHECK(t.connections() == 2);
    CHECK(asks_of(s, "serve").size() == 1);  // the second call's ask.test is in the cache
    std::vector<nlohmann::json> recs;
    std::vector<std::string> calls;  // in the order the calls were made (one after the other)
    std::vector<nlohmann::json> started;
    for (const auto& rec : s.workspace().wal_records()) {
        if (rec["type"] == "network_request") recs.push_back(rec);
        if (rec["type"] == "call_received") calls.push_back(rec["call_id"]);
        if (rec["type"] == "network_proxy_started") started.push_back(rec);
    }
    REQUIRE(calls.size() == 2);
    const std::string c1 = calls[0], c2 = calls[1];
    // One proxy for both calls, started by the first.
    REQUIRE(started.size() == 1);
    CHECK(started[0]["call_id"] == c1);
    REQUIRE(recs.size() == 3);
    CHECK(recs[0]["call_id"] == c1);
    CHECK(recs[0]["data"]["host"] == "ask.test");
    CHECK(recs[0]["data"]["decision"] == "allow");
    CHECK(recs[1]["call_id"] == c2);
    CHECK(recs[1]["data"]["host"] == "ask.test");
    CHECK(recs[1]["data"]["decision"] == "allow");
    CHECK(recs[2]["call_id"] == c2);
    CHECK(recs[2]["data"]["host"] == "deny.test");
    CHECK(recs[2]["data"]["decision"] == "deny");
}
