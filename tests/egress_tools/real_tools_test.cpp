// Real clients through `airlock exec` and its egress proxy, against package servers this test
// starts on 127.0.0.1 (local_servers.py): curl and wget over HTTP and HTTPS, pip from a PEP 503
// index, npm from a registry-like server, git clone over HTTPS (git http-backend) and over git's
// own protocol and over ssh through SOCKS5 (nc -X 5 as the connect command). No internet.
//
// The policy allows pkgs.test (mapped to 127.0.0.1 by the policy's "hosts") and the servers'
// two loopback ports explicitly; blocked.test maps to the same address and is on the deny list.
// Each case: the client's exit status, what landed in the workspace, and the WAL's
// network_request records (allow for pkgs.test); then the same client to blocked.test fails,
// nothing lands, and the record says deny.
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/wait.h>

#include "escape_harness.hpp"
#include "platform/unique_fd.hpp"
#include "tests/support/host_facts.hpp"
#include "tests/support/not_applicable.hpp"

extern char** environ;

using namespace airlock::escape;

namespace {

bool installed(const char* program) {
    for (const char* dir : {"/usr/bin/", "/bin/"})
        if (::access((std::string(dir) + program).c_str(), X_OK) == 0) return true;
    return false;
}

// local_servers.py, started on the host (unconfined); its fixtures live in `dir`. It prints
// the two ports once it listens and serves until its stdin closes.
class LocalServers {
  public:
    explicit LocalServers(const fs::path& dir) {
        int in[2], out[2];
        REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
        stdin_.reset(in[1]);
        airlock::UniqueFd child_in(in[0]), child_out(out[1]), from_child(out[0]);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, child_in.get(), 0);
        posix_spawn_file_actions_adddup2(&actions, child_out.get(), 1);
        const std::string script = LOCAL_SERVERS;
        const std::string where = dir.string();
        char* argv[] = {const_cast<char*>("python3"), const_cast<char*>(script.c_str()),
                        const_cast<char*>(where.c_str()), nullptr};
        const int rc = ::posix_spawn(&pid_, "/usr/bin/python3", &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        REQUIRE(rc == 0);
        child_in.reset();
        child_out.reset();
        // The first line, once both servers listen (EOF first: the script failed).
        std::string line;
        char c;
        while (::read(from_child.get(), &c, 1) == 1 && c != '\n')
            line += c;
        INFO("local_servers.py said: " << line);
        const auto ports = nlohmann::json::parse(line, nullptr, false);
        REQUIRE(ports.is_object());
        http = std::to_string(ports["http"].get<int>());
        https = std::to_string(ports["https"].get<int>());
        git = std::to_string(ports["git"].get<int>());
        if (!ports["ssh"].is_null()) ssh = std::to_string(ports["ssh"].get<int>());
        ca = dir / "tls" / "ca.pem";
    }
    ~LocalServers() {
        stdin_.reset();
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    std::string http, https, git, ssh;  // ssh: empty without sshd
    fs::path ca;

  private:
    airlock::UniqueFd stdin_;
    pid_t pid_ = -1;
};

struct Fixture {
    Scenario s;
    LocalServers servers{s.outside() / "servers"};
    Fixture() { fs::copy_file(servers.ca, s.ws() / "ca.pem"); }

    std::string policy() const {
        return R"("sandbox": {"network": {"allow": ["pkgs.test", "127.0.0.1:)" + servers.http +
               R"(", "127.0.0.1:)" + servers.https + R"(", "127.0.0.1:)" + servers.git +
               (servers.ssh.empty() ? "" : R"(", "127.0.0.1:)" + servers.ssh) +
               R"("], "deny": ["blocked.test"], "hosts": {"pkgs.test": "127.0.0.1", )"
               R"("blocked.test": "127.0.0.1"}}})";
    }
    std::string http(const std::string& host) const {
        return "http://" + host + ":" + servers.http;
    }
    std::string https(const std::string& host) const {
        return "https://" + host + ":" + servers.https;
    }
    Ran run(const std::string& script) { return s.exec({"sh", "-c", script}, policy()); }

    std::vector<nlohmann::json> network_records(const Ran& r) {
        std::vector<nlohmann::json> out;
        for (const auto& rec : s.workspace().run_records(result(r)["wal"].get<std::string>()))
            if (rec["type"] == "network_request") out.push_back(rec["data"]);
        return out;
    }

    // The client, told to fetch from pkgs.test, exits 0, `landed` (a workspace path) holds
    // `content`, and every connection it made is a record allowing pkgs.test.
    void require_fetched(const std::string& script, const std::string& landed,
                         const std::string& content) {
        auto r = run(script);
        require_sandboxed(r);
        INFO("stderr: " << field(r, "stderr"));
        CHECK(result(r)["exit_code"] == 0);
        CHECK(read_text(s.ws() / landed) == content);
        const auto recs = network_records(r);
        REQUIRE(!recs.empty());
        for (const auto& rec : recs) {
            INFO("record: " << rec.dump());
            CHECK(rec["host"] == "pkgs.test");
            CHECK(rec["decision"] == "allow");
            CHECK(rec["address"] == "127.0.0.1");
        }
        CHECK(recs.back()["bytes_down"].get<int>() > 0);
    }

    // The same client, told to fetch from blocked.test, fails; nothing lands at `landed`; the
    // WAL records the refusal and the result lists the refused host for the model.
    void require_refused(const std::string& script, const std::string& landed) {
        auto r = run(script);
        require_sandboxed(r);
        CHECK(result(r)["exit_code"] != 0);
        CHECK(!fs::exists(s.ws() / landed));
        const auto recs = network_records(r);
        REQUIRE(!recs.empty());
        for (const auto& rec : recs) {
            INFO("record: " << rec.dump());
            CHECK(rec["host"] == "blocked.test");
            CHECK(rec["decision"] == "deny");
            CHECK(rec["rule"] == "deny \"blocked.test\"");
        }
        CHECK(result(r)["sandbox"]["network_refused"][0]["host"] == "blocked.test");
    }
};

const std::string kHello = "hello from the local server\n";

// Real tools are run under bwrap (its proxy at 127.0.0.1:3128; the seccomp adapter's egress,
// on an ephemeral host port: egress_seccomp_test.cpp) and so need user namespaces, the clients
// themselves and python3 for the servers.
bool not_here(const std::vector<const char*>& programs) {
    if (under_seccomp()) {
        airlock::test::not_applicable("real clients through the egress proxy",
                                      "run under bwrap; seccomp: egress_seccomp_test.cpp");
        return true;
    }
    if (const std::string why = airlock::test::user_namespaces_refused_by_host(); !why.empty()) {
        airlock::test::not_applicable("real clients through the egress proxy",
                                      "bwrap needs user namespaces: " + why);
        return true;
    }
    for (const char* p : programs)
        if (!installed(p)) {
            airlock::test::not_applicable("real clients through the egress proxy",
                                          std::string("no ") + p);
            return true;
        }
    return false;
}

}  // namespace

TEST_CASE("egress tools: curl over HTTP and HTTPS (a test CA), and refused for a denied host") {
    if (not_here({"python3", "openssl", "git", "curl"})) return;
    Fixture f;
    f.require_fetched("curl -sS -f -o http.txt " + f.http("pkgs.test") + "/files/hello.txt",
                      "http.txt", kHello);
    f.require_fetched(
        "curl -sS -f --cacert ca.pem -o https.txt " + f.https("pkgs.test") + "/files/hello.txt",
        "https.txt", kHello);
    // The proxy never intercepts TLS: without the test CA, curl does not trust the server.
    auto untrusted = f.run("curl -sS -f -o x.txt " + f.https("pkgs.test") + "/files/hello.txt");
    CHECK(result(untrusted)["exit_code"] == 60);  // curl: peer certificate cannot be verified
    f.require_refused("curl -sS -f -o no.txt " + f.http("blocked.test") + "/files/hello.txt",
                      "no.txt");
    f.require_refused(
        "curl -sS -f --cacert ca.pem -o no.txt " + f.https("blocked.test") + "/files/hello.txt",
        "no.txt");
}

TEST_CASE("egress tools: wget over HTTP and HTTPS, and refused for a denied host") {
    if (not_here({"python3", "openssl", "git", "wget"})) return;
    Fixture f;
    f.require_fetched("wget -q -t 1 -O http.txt " + f.http("pkgs.test") + "/files/hello.txt",
                      "http.txt", kHello);
    f.require_fetched("wget -q -t 1 --ca-certificate=ca.pem -O https.txt " + f.https("pkgs.test") +
                          "/files/hello.txt",
                      "https.txt", kHello);
    // wget -O creates its file before it connects: the refused download is left empty.
    f.require_refused("wget -q -t 1 --ca-certificate=ca.pem -P no " + f.https("blocked.test") +
                          "/files/hello.txt",
                      "no/hello.txt");
}

TEST_CASE("egress tools: pip download and pip install --target from a local simple index") {
    if (not_here({"python3", "openssl", "git"})) return;
    if (std::system("/usr/bin/python3 -m pip --version >/dev/null 2>&1") != 0)
        return airlock::test::not_applicable("pip through the egress proxy", "no python3-pip");
    Fixture f;
    const std::string pip = "python3 -m pip -q --no-cache-dir --disable-pip-version-check ";
    const std::string wheel = "tinywheel-1.0-py3-none-any.whl";
    f.require_fetched(pip + "download --retries 0 --cert ca.pem --index-url " +
                          f.https("pkgs.test") + "/simple/ -d dl tinywheel",
                      "dl/" + wheel, read_text(f.s.outside() / "servers" / "files" / wheel));
    f.require_fetched(pip + "install --retries 0 --trusted-host pkgs.test --index-url " +
                          f.http("pkgs.test") + "/simple/ --target site tinywheel",
                      "site/tinywheel/__init__.py", "GREETING = 'tinywheel installed'\n");
    f.require_refused(pip + "download --retries 0 --cert ca.pem --index-url " +
                          f.https("blocked.test") + "/simple/ -d no tinywheel",
                      "no/" + wheel);
}

TEST_CASE("egress tools: npm install from a local registry over HTTPS") {
    if (not_here({"python3", "openssl", "git", "npm"})) return;
    Fixture f;
    // npm takes the proxy from HTTPS_PROXY; the registry and its CA are npm's own options. Each
    // project has its package.json (npm installs into the nearest one above it otherwise).
    const std::string npm =
        " && echo {} >package.json && npm install --no-audit --no-fund --no-update-notifier "
        "--fetch-retries 0 --cache ./npm-cache --cafile ../ca.pem --registry ";
    f.require_fetched("mkdir a && cd a" + npm + f.https("pkgs.test") + "/npm/ tinynpm",
                      "a/node_modules/tinynpm/index.js", "module.exports = 'tinynpm installed';\n");
    f.require_refused("mkdir b && cd b" + npm + f.https("blocked.test") + "/npm/ tinynpm",
                      "b/node_modules/tinynpm/index.js");
}

TEST_CASE("egress tools: git clone over HTTPS (git http-backend)") {
    if (not_here({"python3", "openssl", "git"})) return;
    Fixture f;
    const std::string git = "git -c http.sslCAInfo=ca.pem clone -q ";
    f.require_fetched(git + f.https("pkgs.test") + "/git/repo.git cloned", "cloned/README.txt",
                      "cloned through the proxy\n");
    f.require_refused(git + f.https("blocked.test") + "/git/repo.git no", "no/README.txt");
}

TEST_CASE("egress tools: git clone over git:// through SOCKS5 (nc -X 5 as the connect command)") {
    if (not_here({"python3", "openssl", "git", "nc.openbsd"})) return;
    Fixture f;
    // git (like ssh) does not read ALL_PROXY for this protocol: it is given a command that
    // reaches the host through the proxy's SOCKS5 side, as ssh's ProxyCommand would be.
    write_text(f.s.ws() / "socks5",
               "#!/bin/sh\nexec nc.openbsd -X 5 -x 127.0.0.1:3128 \"$1\" \"$2\"\n");
    fs::permissions(f.s.ws() / "socks5", fs::perms::owner_all | fs::perms::group_read |
                                             fs::perms::group_exec | fs::perms::others_read |
                                             fs::perms::others_exec);
    const std::string git = "git -c core.gitProxy=./socks5 clone -q git://";
    f.require_fetched(git + "pkgs.test:" + f.servers.git + "/repo.git cloned", "cloned/README.txt",
                      "cloned through the proxy\n");
    f.require_refused(git + "blocked.test:" + f.servers.git + "/repo.git no", "no/README.txt");
}

TEST_CASE("egress tools: git clone over ssh through SOCKS5 (ssh's ProxyCommand with nc -X 5)") {
    if (not_here({"python3", "openssl", "git", "ssh", "ssh-keygen", "nc.openbsd"})) return;
    if (::access("/usr/sbin/sshd", X_OK) != 0)
        return airlock::test::not_applicable("git over ssh through the egress proxy",
                                             "no sshd (openssh-server) to clone from");
    const passwd* me = ::getpwuid(::geteuid());
    REQUIRE(me != nullptr);
    // sshd runs git-upload-pack through the user's login shell.
    const std::string shell = me->pw_shell != nullptr ? me->pw_shell : "";
    if (shell.empty() || shell.ends_with("nologin") || shell.ends_with("false"))
        return airlock::test::not_applicable(
            "git over ssh through the egress proxy",
            "this user has no login shell (" + shell + ") for sshd to run git-upload-pack");
    Fixture f;
    REQUIRE(!f.servers.ssh.empty());
    // The client key, and the server's host key as known for both names (ssh checks it before
    // anything else; the refused case never gets that far).
    const fs::path keys = f.s.outside() / "servers" / "ssh";
    fs::copy_file(keys / "id_ed25519", f.s.ws() / "id_ed25519");
    fs::permissions(f.s.ws() / "id_ed25519", fs::perms::owner_read | fs::perms::owner_write);
    std::string host_key = read_text(keys / "host_key.pub");
    host_key = host_key.substr(0, host_key.find(' ', host_key.find(' ') + 1));  // type and key
    write_text(f.s.ws() / "known_hosts", "[pkgs.test]:" + f.servers.ssh + " " + host_key +
                                             "\n[blocked.test]:" + f.servers.ssh + " " + host_key +
                                             "\n");
    // ssh reads no proxy variable: its ProxyCommand reaches the host through the SOCKS5 side.
    const std::string ssh =
        "GIT_SSH_COMMAND=\"ssh -F /dev/null -i ./id_ed25519 -o IdentitiesOnly=yes -o BatchMode=yes "
        "-o UserKnownHostsFile=./known_hosts -o StrictHostKeyChecking=yes "
        "-o 'ProxyCommand=nc.openbsd -X 5 -x 127.0.0.1:3128 %h %p'\" git clone -q ssh://" +
        std::string(me->pw_name) + "@";
    const std::string repo =
        ":" + f.servers.ssh + (keys.parent_path() / "git" / "repo.git").string();
    f.require_fetched(ssh + "pkgs.test" + repo + " cloned", "cloned/README.txt",
                      "cloned through the proxy\n");
    f.require_refused(ssh + "blocked.test" + repo + " no", "no/README.txt");
}
