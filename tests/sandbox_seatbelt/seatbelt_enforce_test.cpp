// Real enforcement on macOS: commands run under /usr/bin/sandbox-exec with a generated profile,
// each escape next to a positive control (the same action where it is allowed succeeds).
// Where sandbox-exec does not exist (Linux), the executable exits 77: ctest shows "skipped".
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "tests/support/every_run_tests.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "platform/unique_fd.hpp"
#include "sandbox/profile.hpp"
#include "sandbox/seatbelt.hpp"

using namespace airlock;
namespace fs = std::filesystem;

namespace {

// Runs argv, returns its exit status (128 + signal when killed, -1 when it could not start).
int run(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const auto& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

// A workspace with a protected .git/hooks, a deny-read .env and secrets/, and a directory
// outside it that the sandbox must not write.
struct Fixture {
    fs::path root;
    fs::path ws;
    fs::path outside;

    Fixture() {
        root = fs::canonical(fs::temp_directory_path()) /
               ("airlock-seatbelt-enforce-" + std::to_string(::getpid()));
        fs::remove_all(root);
        ws = root / "ws";
        outside = root / "outside";
        fs::create_directories(ws / "sub" / ".git" / "hooks");
        fs::create_directories(ws / "plain");
        fs::create_directories(ws / "secrets");
        fs::create_directories(ws / ".airlock");
        fs::create_directories(outside);
        std::ofstream(ws / ".env") << "TOKEN=secret\n";
        std::ofstream(ws / "secrets" / "key") << "KEY\n";
        std::ofstream(ws / "readme") << "hello\n";
    }
    ~Fixture() { fs::remove_all(root); }

    // `script` runs under /bin/sh with "$1", "$2" bound to `args` (no quoting of paths needed).
    int sandboxed(const std::string& script, const std::vector<std::string>& args,
                  bool network = false) const {
        sandbox::SandboxRequest req;
        req.adapter = "seatbelt";
        req.network = network;
        req.workspace = ws;
        req.cwd = ws;
        req.protected_paths = {"sub/.git/hooks", ".vscode"};
        req.deny_read = {".env", "secrets"};
        auto profile = sandbox::build_profile(req, sandbox::Adapter::seatbelt);
        REQUIRE_MESSAGE(profile.ok(), profile.error().describe());
        std::vector<std::string> command{"/bin/sh", "-c", script, "sh"};
        command.insert(command.end(), args.begin(), args.end());
        auto inv = sandbox::seatbelt_invocation(*profile, command);
        REQUIRE_MESSAGE(inv.ok(), inv.error().describe());
        return run(inv->argv);
    }
};

}  // namespace

TEST_CASE("writes: inside the workspace yes, outside no") {
    Fixture f;
    CHECK(f.sandboxed("echo x > \"$1\"", {(f.ws / "new").string()}) == 0);
    CHECK(f.sandboxed("echo x > \"$1\"", {(f.outside / "new").string()}) != 0);
    CHECK_FALSE(fs::exists(f.outside / "new"));
}

TEST_CASE("deny-read: hidden file and directory unreadable, a plain file readable") {
    Fixture f;
    CHECK(f.sandboxed("cat \"$1\"", {(f.ws / "readme").string()}) == 0);
    CHECK(f.sandboxed("cat \"$1\"", {(f.ws / ".env").string()}) != 0);
    CHECK(f.sandboxed("cat \"$1\"", {(f.ws / "secrets" / "key").string()}) != 0);
    CHECK(f.sandboxed("echo x > \"$1\"", {(f.ws / ".env").string()}) != 0);
}

TEST_CASE("protected paths: no writes, no creation, no renaming an ancestor away") {
    Fixture f;
    CHECK(f.sandboxed("echo x > \"$1\"", {(f.ws / "sub" / ".git" / "config").string()}) == 0);
    CHECK(f.sandboxed("echo x > \"$1\"", {(f.ws / "sub/.git/hooks/pre-commit").string()}) != 0);
    CHECK(f.sandboxed("mkdir \"$1\"", {(f.ws / "other").string()}) == 0);
    CHECK(f.sandboxed("mkdir \"$1\"", {(f.ws / ".vscode").string()}) != 0);
    CHECK(f.sandboxed("mv \"$1\" \"$2\"", {(f.ws / "plain").string(), (f.ws / "p2").string()}) ==
          0);
    CHECK(f.sandboxed("mv \"$1\" \"$2\"", {(f.ws / "sub").string(), (f.ws / "s2").string()}) != 0);
    CHECK(fs::exists(f.ws / "sub" / ".git" / "hooks"));
    CHECK(f.sandboxed("echo x > \"$1\"", {(f.ws / ".airlock" / "wal").string()}) != 0);
}

TEST_CASE("network: a listener on 127.0.0.1 is reachable only when the profile allows it") {
    Fixture f;
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM, 0));
    REQUIRE(listener.valid());
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener.get(), 8) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const std::string port = std::to_string(ntohs(addr.sin_port));
    // The kernel completes the connection from the backlog: no accept() needed.
    CHECK(f.sandboxed("/usr/bin/nc -z 127.0.0.1 \"$1\"", {port}, true) == 0);
    CHECK(f.sandboxed("/usr/bin/nc -z 127.0.0.1 \"$1\"", {port}, false) != 0);
}

int main(int argc, char** argv) {
    if (::access(std::string(sandbox::kSandboxExecPath).c_str(), X_OK) != 0) {
        std::printf("skipped: %s is not available on this host (seatbelt needs macOS)\n",
                    std::string(sandbox::kSandboxExecPath).c_str());
        return 77;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
