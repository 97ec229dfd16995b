// Everyday developer tasks inside the sandbox: an identity (whoami, getpass, ssh-keygen), a
// writable home that persists across the calls of a workspace without showing the real one,
// unix and loopback sockets among the sandbox's own processes while every host socket stays out
// of reach, and the invoking user's toolchains. Under the seccomp adapter each task either works
// or is refused with a reason the result names; none runs half-way.
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include "escape_harness.hpp"
#include "platform/sha256.hpp"
#include "platform/unique_fd.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::escape;

namespace {

// Who the sandbox user is: "airlock" when airlock (the test) runs as root under bwrap; the
// invoking user's own name otherwise (the seccomp adapter keeps the invoking user).
std::string expected_user() {
    if (running_as_root() && !under_seccomp()) return "airlock";
    const passwd* pw = ::getpwuid(::geteuid());
    REQUIRE(pw != nullptr);
    return pw->pw_name;
}

// Where airlock keeps the sandbox home of this scenario's workspace (docs/SANDBOX.md, Home).
fs::path workspace_home(const Scenario& s) {
    const fs::path ws = fs::canonical(s.ws());
    return s.home() / ".local" / "state" / "airlock" / "homes" /
           (ws.filename().string() + "-" + airlock::sha256_hex(ws.string()).substr(0, 12));
}

bool have(const char* program) {
    return ::access(program, X_OK) == 0;
}

std::string out(const Ran& r) {
    return field(r, "stdout");
}

// A listening unix socket of the host's, which anyone may write (mode 0777): only the sandbox's
// view of the filesystem can keep a command from it.
class HostUnixSocket {
  public:
    HostUnixSocket(const std::string& name, bool abstract)
        : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)), name_(name), abstract_(abstract) {
        REQUIRE(fd_.valid());
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(name.size() + 2 <= sizeof addr.sun_path);
        std::memcpy(addr.sun_path + (abstract ? 1 : 0), name.data(), name.size());
        const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() +
                                                (abstract ? 1 : 0));
        REQUIRE(::bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), len) == 0);
        REQUIRE(::listen(fd_.get(), 16) == 0);
        if (!abstract) ::chmod(name.c_str(), 0777);
    }
    ~HostUnixSocket() {
        if (!abstract_) ::unlink(name_.c_str());
    }

  private:
    airlock::UniqueFd fd_;
    std::string name_;
    bool abstract_;
};

const char* kUnixTrip =
    "import socket\n"
    "u = socket.socket(socket.AF_UNIX); u.bind('/tmp/airlock-dev.sock'); u.listen(1)\n"
    "c = socket.socket(socket.AF_UNIX); c.connect('/tmp/airlock-dev.sock')\n"
    "a, _ = u.accept(); c.send(b'unix'); print(a.recv(4).decode())\n";

const char* kTcpTrip =
    "import socket\n"
    "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen(1)\n"
    "d = socket.create_connection(('127.0.0.1', t.getsockname()[1]))\n"
    "b, _ = t.accept(); d.send(b'tcp'); print(b.recv(3).decode())\n";

const std::string kUnixSockets = R"("sandbox": {"local_sockets": "unix"})";

const char* kManager =
    "from multiprocessing import Manager\n"
    "with Manager() as m:\n"
    "    d = m.dict(); d['k'] = 'shared'; print(d['k'])\n";

// The seccomp adapter has no network namespace: local sockets are refused at socket(), and the
// result says why.
void require_sockets_refused_with_reason(const Ran& r) {
    const auto j = result(r);
    INFO("result: " << j.dump());
    CHECK(j["status"] == "failed");
    CHECK(contains(j["stderr"].get<std::string>(), "Address family not supported"));
    CHECK(contains(j["sandbox"]["effective"]["seccomp"]["sockets"].get<std::string>(),
                   "no network namespace"));
}

}  // namespace

TEST_CASE("identity: the sandbox user has a name, passwd and group entries") {
    Scenario s;
    auto r = s.sh("whoami; id -un; id -gn; python3 -c 'import getpass; print(getpass.getuser())'");
    require_sandboxed(r);
    const std::string name = expected_user();
    INFO("stderr: " << field(r, "stderr"));
    CHECK(r.exit_code == 0);
    const std::string ids = out(r);
    CHECK(ids.rfind(name + "\n" + name + "\n", 0) == 0);
    CHECK(contains(ids, "\n" + name + "\n"));  // getpass agrees
    if (under_seccomp()) return;               // the host's own account database
    // bwrap: a generated passwd with root, nobody and the sandbox user only, and its HOME.
    const auto identity = effective(r)["identity"];
    CHECK(identity["user"]["name"] == name);
    auto passwd = s.sh("cat /etc/passwd; echo ---; cat /etc/group; echo ---; echo \"$HOME\"");
    const std::string files = out(passwd);
    CHECK(contains(files, name + ":x:"));
    CHECK(contains(files, ":" + s.home().string() + ":/bin/sh\n"));
    CHECK(contains(files, "nobody:x:65534"));
    CHECK(std::count(files.begin(), files.end(), '\n') <= 10);
    // Positive control: the host's own database has more entries than that.
    auto host = s.unconfined_sh("wc -l < /etc/passwd");
    CHECK(std::stoi(out(host)) > 3);
}

TEST_CASE("identity: ssh-keygen makes a key pair in the workspace") {
    Scenario s;
    if (!have("/usr/bin/ssh-keygen")) {
        airlock::test::not_applicable("ssh-keygen in the sandbox", "ssh-keygen is not installed");
        return;
    }
    auto r = s.exec({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "key"});
    require_sandboxed(r);
    INFO("stderr: " << field(r, "stderr"));
    CHECK(r.exit_code == 0);
    CHECK(fs::exists(s.ws() / "key"));
    CHECK(contains(read_text(s.ws() / "key.pub"), "ssh-ed25519 "));
}

TEST_CASE("home: writable, persistent per workspace, and never the real home") {
    Scenario s;
    // The real home holds secrets and a git config of its own.
    fs::create_directories(s.home() / ".ssh");
    write_text(s.home() / ".ssh" / "id_ed25519", "REAL-HOME-SECRET\n");
    write_text(s.home() / ".gitconfig", "[user]\n\tname = Real Person\n");
    ::chmod(s.home().c_str(), 0755);

    auto first = s.sh(
        "git config --global user.name 'Sandboxed Agent' && mkdir -p ~/.cache/tool && "
        "echo cached > ~/.cache/tool/entry && echo ok");
    require_sandboxed(first);
    INFO("first stderr: " << field(first, "stderr"));
    CHECK(out(first) == "ok\n");
    auto second = s.sh("git config --global user.name; cat ~/.cache/tool/entry");
    CHECK(out(second) == "Sandboxed Agent\ncached\n");

    // On the host: the workspace's home has them; the real home is untouched.
    const fs::path kept = workspace_home(s);
    CHECK(fs::is_directory(kept));
    CHECK(contains(read_text(kept / ".gitconfig"), "Sandboxed Agent"));
    CHECK(read_text(kept / ".cache" / "tool" / "entry") == "cached\n");
    CHECK(read_text(s.home() / ".gitconfig") == "[user]\n\tname = Real Person\n");
    CHECK_FALSE(fs::exists(s.home() / ".cache"));

    // The real home's secrets are not in the sandbox's HOME.
    auto secret = s.sh("cat ~/.ssh/id_ed25519");
    CHECK(result(secret)["status"] == "failed");
    CHECK_FALSE(contains(out(secret), "REAL-HOME-SECRET"));
    if (!under_seccomp()) {
        // bwrap: not at the real home's path either, which the sandbox home covers.
        auto by_path = s.exec({"cat", (s.home() / ".ssh" / "id_ed25519").string()});
        CHECK_FALSE(contains(out(by_path), "REAL-HOME-SECRET"));
        CHECK(field(s.sh("echo \"$HOME\""), "stdout") == s.home().string() + "\n");
    } else {
        // seccomp: the real home is readable as the rest of the host (documented) but not
        // writable; HOME is the workspace's home at its host path.
        CHECK(field(s.sh("echo \"$HOME\""), "stdout") == kept.string() + "\n");
        auto write = s.sh("echo x >> " + (s.home() / ".gitconfig").string());
        CHECK(result(write)["status"] == "failed");
    }
    // Positive control: the secret is readable where nothing stops it.
    CHECK(contains(out(s.unconfined_sh("cat \"$HOME\"/.ssh/id_ed25519")), "REAL-HOME-SECRET"));
}

TEST_CASE("home: another workspace gets another home") {
    Scenario a, b;
    CHECK(out(a.sh("echo a > ~/mine && cat ~/mine")) == "a\n");
    auto other = b.sh("cat ~/mine");
    CHECK(result(other)["status"] == "failed");
    CHECK(workspace_home(a) != workspace_home(b));
}

TEST_CASE("local sockets: loopback TCP by default, unix sockets when the policy says so") {
    Scenario s;
    auto tcp = s.exec({"python3", "-c", kTcpTrip});
    require_sandboxed(tcp);
    if (under_seccomp()) {
        require_sockets_refused_with_reason(tcp);
        require_sockets_refused_with_reason(s.exec({"python3", "-c", kUnixTrip}, kUnixSockets));
        return;
    }
    INFO("tcp stderr: " << field(tcp, "stderr"));
    CHECK(out(tcp) == "tcp\n");
    // A Manager on loopback TCP.
    auto tcp_manager = s.exec({"python3", "-c",
                               "from multiprocessing.managers import SyncManager\n"
                               "m = SyncManager(address=('127.0.0.1', 0)); m.start()\n"
                               "d = m.dict(); d['k'] = 'shared'; print(d['k']); m.shutdown()\n"});
    CHECK(out(tcp_manager) == "shared\n");
    // By default no AF_UNIX: a host socket file anywhere on the visible filesystem could be
    // reached by path (docs/SANDBOX.md, Local sockets).
    auto unix_default = s.exec({"python3", "-c", kUnixTrip});
    CHECK(result(unix_default)["status"] == "failed");
    CHECK(contains(field(unix_default, "stderr"), "Address family not supported"));
    // "unix": unix sockets too, and the default Manager (a unix socket in /tmp).
    auto unix_on = s.exec({"python3", "-c", kUnixTrip}, kUnixSockets);
    INFO("unix stderr: " << field(unix_on, "stderr"));
    CHECK(out(unix_on) == "unix\n");
    auto manager = s.exec({"python3", "-c", kManager}, kUnixSockets);
    INFO("manager stderr: " << field(manager, "stderr"));
    CHECK(out(manager) == "shared\n");
    // Other families stay refused.
    CHECK(out(s.probe({"socket", "netlink"}, kUnixSockets))
              .rfind("refused: Address family not supported", 0) == 0);
    // "off": the old refusal, no socket at all.
    auto off = s.exec({"python3", "-c", kTcpTrip}, R"("sandbox": {"local_sockets": "off"})");
    CHECK(result(off)["status"] == "failed");
    CHECK(contains(field(off, "stderr"), "Address family not supported"));
}

TEST_CASE("local sockets: host sockets stay unreachable") {
    Scenario s;
    // Under /tmp, in the abstract namespace, on the host's loopback.
    std::string tmp_dir = "/tmp/airlock-host.XXXXXX";
    REQUIRE(::mkdtemp(tmp_dir.data()) != nullptr);
    ::chmod(tmp_dir.c_str(), 0755);
    const fs::path in_tmp = fs::path(tmp_dir) / "host.sock";
    HostUnixSocket tmp_socket(in_tmp.string(), false);
    const std::string abstract_name = "airlock-dev-" + s.outside().filename().string();
    HostUnixSocket abstract_socket(abstract_name, true);
    // Under a runtime directory outside /run and /tmp (XDG_RUNTIME_DIR).
    std::string tmpl = "/var/tmp/airlock-runtime.XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    const fs::path runtime = tmpl;
    ::chmod(runtime.c_str(), 0755);
    const fs::path in_runtime = runtime / "agent.sock";
    std::optional<HostUnixSocket> runtime_socket;
    runtime_socket.emplace(in_runtime.string(), false);
    const std::string xdg = "XDG_RUNTIME_DIR=" + runtime.string();

    std::vector<std::pair<std::string, std::vector<std::string>>> targets = {
        {"/tmp", {"unix", in_tmp.string()}},
        {"abstract", {"unix-abstract", abstract_name}},
        {"XDG_RUNTIME_DIR", {"unix", in_runtime.string()}},
    };
    // Under /run: only root may make one there.
    std::optional<HostUnixSocket> run_socket;
    const fs::path in_run = "/run/airlock-dev-" + s.outside().filename().string() + ".sock";
    if (::access("/run", W_OK) == 0) {
        run_socket.emplace(in_run.string(), false);
        targets.push_back({"/run", {"unix", in_run.string()}});
    } else {
        airlock::test::not_applicable("a host unix socket under /run",
                                      "this user cannot create one there");
    }
    for (const auto& target : targets) {
        // Not a structured binding: clang 14 cannot capture one in CAPTURE's lambda.
        const std::string& where = target.first;
        const std::vector<std::string>& args = target.second;
        CAPTURE(where);
        std::vector<std::string> argv = {s.probe_path()};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = s.exec(argv, kUnixSockets, {xdg});
        require_sandboxed(r);
        CHECK(r.exit_code == 1);
        CHECK(out(r).rfind("refused: ", 0) == 0);
        // Positive control: the same socket answers where nothing stops it.
        auto host = s.exec(argv, kUnconfined, {xdg});
        CHECK(out(host) == "ok\n");
    }
    // A TCP service on the host's 127.0.0.1 (network_test.cpp has the same with local sockets
    // refused): the sandbox's loopback is its own.
    {
        airlock::UniqueFd service(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(service.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(service.get(), 4) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(service.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        const std::string port = std::to_string(ntohs(addr.sin_port));
        auto r = s.probe({"tcp", port});
        CHECK(out(r).rfind("refused: ", 0) == 0);
        CHECK(out(s.probe({"tcp", port}, kUnconfined)) == "ok\n");
    }
    if (!under_seccomp()) {
        // The runtime directory and /run are empty, private directories in the sandbox.
        auto listing =
            s.exec({"sh", "-c", "ls -A \"$0\" | wc -l; ls -A /run | wc -l", runtime.string()},
                   kUnixSockets, {xdg});
        CHECK(out(listing) == "0\n0\n");
    }
    // Positive control inside: the sandbox's own sockets work (bwrap), or are refused with the
    // reason (seccomp).
    auto own = s.exec({"python3", "-c", kUnixTrip}, kUnixSockets);
    if (under_seccomp())
        require_sockets_refused_with_reason(own);
    else
        CHECK(out(own) == "unix\n");
    runtime_socket.reset();
    fs::remove_all(runtime);
    fs::remove_all(tmp_dir);
}

TEST_CASE("toolchains: as root, the invoking user's toolchains resolve as on the host") {
    Scenario s;
    const char* host_home = "/root";
    const bool has_cargo = have("/root/.cargo/bin/cargo");
    const bool has_pyenv = have("/root/.pyenv/shims/python3");
    if (!running_as_root() || (!has_cargo && !has_pyenv)) {
        airlock::test::not_applicable(
            "toolchains in root's home",
            running_as_root() ? "no cargo or pyenv under /root" : "the test does not run as root");
        return;
    }
    // airlock as root with root's own HOME and PATH; the sandbox homes go to the scenario.
    const std::string path =
        "PATH=/root/.cargo/bin:/root/.pyenv/shims:/usr/local/bin:/usr/bin:/bin";
    const std::vector<std::string> env = {"HOME=" + std::string(host_home), path,
                                          "XDG_STATE_HOME=" + (s.outside() / "state").string()};
    const std::string script =
        "for p in cargo python3; do command -v $p; done; "
        "cargo --version 2>&1 || true; python3 --version 2>&1";
    auto r = s.exec({"sh", "-c", script}, "", env);
    require_sandboxed(r);
    INFO("stderr: " << field(r, "stderr"));
    auto host = s.exec({"sh", "-c", script}, kUnconfined, env);
    CHECK(r.exit_code == 0);
    CHECK(out(r) == out(host));
    if (has_cargo) {
        CHECK(contains(out(r), "/root/.cargo/bin/cargo\n"));
        CHECK(contains(out(r), "\ncargo "));
    }
    if (!under_seccomp()) {
        // Read-only: a toolchain cannot be changed from the sandbox.
        auto write = s.exec({"sh", "-c", "touch /root/.cargo/bin/airlock-was-here"}, "", env);
        CHECK(result(write)["status"] == "failed");
        CHECK_FALSE(fs::exists("/root/.cargo/bin/airlock-was-here"));
        // And root's other files are not there: the home is the sandbox's.
        auto other = s.exec({"sh", "-c", "ls -A /root"}, "", env);
        CHECK_FALSE(contains(out(other), ".npmrc"));
    }
}
