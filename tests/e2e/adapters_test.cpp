// End-to-end tests of adapter selection: doctor, the seccomp adapter, no silent downgrade.
#include <doctest/doctest.h>

#include "airlock_runner.hpp"
#include "sandbox/floor.hpp"
#include "sandbox/landlock.hpp"
#include "tests/support/floor_args.hpp"
#include "tests/support/not_applicable.hpp"

using airlock::test::read_text;
using airlock::test::Workspace;
using airlock::test::write_text;
namespace fs = std::filesystem;

namespace {
// A directory outside /tmp (which is private inside the sandbox), removed afterwards.
struct HostDir {
    explicit HostDir(const std::string& tag) : path("/var/tmp/airlock-test-" + tag) {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~HostDir() { fs::remove_all(path); }
    fs::path path;
};
// Every liftable floor entry, for the seccomp adapter's tests of its other protections.
const std::string kLiftFloor = airlock::test::unprotect_floor_args()[1];
}  // namespace

TEST_CASE("doctor reports each adapter and what auto resolves to") {
    Workspace ws;
    auto r = ws.airlock({"doctor", "--json"});
    auto j = r.json();
    CHECK(r.exit_code == (j["ok"].get<bool>() ? 0 : 1));
    REQUIRE(j["checks"].size() == 6);
    CHECK(j["checks"][0]["name"] == "bwrap");
    CHECK(j["checks"][2]["name"] == "seatbelt");
    CHECK(j["checks"][2]["ok"] == false);  // never claims macOS's sandbox on Linux
    CHECK(j["checks"][4]["name"] == "network proxy under bwrap");
    CHECK(j["checks"][5]["name"] == "network proxy under seccomp");
    CHECK(j["network_proxy"]["bwrap"] == j["checks"][4]["ok"]);
    CHECK(j["network_proxy"]["seccomp"] == j["checks"][5]["ok"]);
    CHECK(j["network_proxy"]["seccomp"] ==
          (j["checks"][1]["ok"].get<bool>() &&
           airlock::sandbox::probe_landlock().abi >= airlock::sandbox::kLandlockTcpAbi));
    for (const auto& c : j["checks"])
        if (!c["ok"].get<bool>()) CHECK_FALSE(c["fix"].get<std::string>().empty());
    // What auto resolves to is what a real call gets.
    auto call = ws.airlock({"exec", "--json", "--", "true"});
    if (j["auto"].is_string()) CHECK(call.json()["sandbox"]["adapter"] == j["auto"]);
    // And a network allow list under seccomp runs exactly where doctor says it can.
    write_text(ws.outside() / "egress.json", R"({"version": 1, "default": "allow",
        "sandbox": {"network": {"allow": ["example.org"]}}})");
    auto egress = ws.airlock({"exec", "--json", "--policy", (ws.outside() / "egress.json").string(),
                              "--no-builtin-policy", "--sandbox", "seccomp", "--unprotect",
                              kLiftFloor, "--", "true"});
    CHECK((egress.json()["status"] != "sandbox_denied") == j["network_proxy"]["seccomp"]);
}

TEST_CASE("the seccomp adapter confines writes, sockets and privileges without namespaces") {
    if (airlock::sandbox::probe_landlock().abi <= 0) {
        airlock::test::not_applicable("the seccomp adapter", "no Landlock on this kernel");
        return;
    }
    Workspace ws;
    const fs::path outside = "/var/tmp/airlock-seccomp-" + ws.outside().filename().string();
    write_text(ws.path() / "probe.sh",
               "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status\n"
               "echo inside > inside.txt\n"
               "echo outside > \"$1\" || echo blocked-outside\n");
    auto r = ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--unprotect", kLiftFloor, "--",
                         "sh", "probe.sh", outside.string()});
    CHECK(r.exit_code == 0);
    auto j = r.json();
    CHECK(j["sandbox"]["adapter"] == "seccomp");
    CHECK(j["sandbox"]["effective"]["filesystem"]["wal_protected"] == false);  // said, not hidden
    const std::string out = j["stdout"];
    CHECK(out.find("Seccomp:\t2") != std::string::npos);
    CHECK(out.find("NoNewPrivs:\t1") != std::string::npos);
    CHECK(out.find("CapEff:\t0000000000000000") != std::string::npos);
    CHECK(out.find("blocked-outside") != std::string::npos);
    CHECK_FALSE(fs::exists(outside));
    CHECK(read_text(ws.path() / "inside.txt") == "inside\n");  // positive control
}

TEST_CASE("the seccomp adapter refuses what it cannot enforce instead of running weaker") {
    if (airlock::sandbox::probe_landlock().abi <= 0) {
        airlock::test::not_applicable("the seccomp adapter", "no Landlock on this kernel");
        return;
    }
    Workspace ws;
    HostDir host(ws.outside().filename().string());
    fs::create_directories(host.path / "secret");
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow",
        "sandbox": {"deny_read": [")" + (host.path / "secret").string() +
                                            R"("]}})");
    auto r = ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--unprotect", kLiftFloor,
                         "--policy", (ws.outside() / "p.json").string(), "--", "touch", "ran"});
    CHECK(r.exit_code == 126);
    CHECK(r.json()["status"] == "sandbox_denied");
    CHECK(r.json()["message"].get<std::string>().find("deny_read") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    // Positive control: bwrap can hide it, so the same call runs there.
    auto b = ws.airlock({"exec", "--json", "--sandbox", "bwrap", "--policy",
                         (ws.outside() / "p.json").string(), "--", "touch", "ran"});
    CHECK(b.exit_code == 0);
    CHECK(fs::exists(ws.path() / "ran"));
}

TEST_CASE(
    "the seccomp adapter does not trust a policy layer that a sandboxed command could write") {
    if (airlock::sandbox::probe_landlock().abi <= 0) {
        airlock::test::not_applicable("the seccomp adapter", "no Landlock on this kernel");
        return;
    }
    Workspace ws;
    const std::string body = R"({"version": 1, "default": "allow"})";
    // A command under this adapter can write .airlock/policy.json (Landlock cannot carve
    // .airlock/ out of the writable workspace); the next run must not take it as policy.
    fs::create_directories(ws.path() / ".airlock");
    write_text(ws.path() / ".airlock" / "policy.json", body);
    auto r = ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--unprotect", kLiftFloor, "--",
                         "touch", "ran"});
    CHECK(r.exit_code == 126);
    CHECK(r.json()["status"] == "sandbox_denied");
    CHECK(r.json()["message"].get<std::string>().find(".airlock/policy.json") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    // So is any other layer inside the workspace.
    write_text(ws.path() / "mine.json", body);
    fs::remove(ws.path() / ".airlock" / "policy.json");
    auto inside = ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--unprotect", kLiftFloor,
                              "--policy", "mine.json", "--", "touch", "ran"});
    CHECK(inside.exit_code == 126);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    // Positive controls: the same layer from outside the workspace, and under bwrap (which keeps
    // .airlock/ read-only), is used.
    write_text(ws.outside() / "p.json", body);
    auto outside =
        ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--unprotect", kLiftFloor, "--policy",
                    (ws.outside() / "p.json").string(), "--", "touch", "ran"});
    CHECK(outside.exit_code == 0);
    CHECK(fs::exists(ws.path() / "ran"));
    auto b = ws.airlock({"exec", "--json", "--sandbox", "bwrap", "--policy", "mine.json", "--",
                         "touch", "ran-bwrap"});
    CHECK(b.exit_code == 0);
    CHECK(fs::exists(ws.path() / "ran-bwrap"));
}

TEST_CASE("deny_read hides files and directories, and protected paths stay read-only") {
    Workspace ws;
    HostDir host(ws.outside().filename().string());
    write_text(host.path / "secret-dir" / "key", "dir-secret");
    write_text(host.path / "secret-file", "file-secret");
    fs::create_directories(ws.path() / ".git" / "hooks");
    write_text(ws.outside() / "p.json", R"({"version": 1, "default": "allow",
        "sandbox": {"deny_read": [")" + (host.path / "secret-dir").string() +
                                            R"(", ")" + (host.path / "secret-file").string() +
                                            R"("],
                    "protected_paths": [".git/hooks", "missing/protected"]}})");
    const std::string policy = (ws.outside() / "p.json").string();
    // Scripts in files: these tests are about the sandbox, not about what the guard sees.
    write_text(ws.path() / "read.sh", "cat \"$1\"/key; cat \"$2\"; echo done\n");
    const std::vector<std::string> read_args{"sh", "read.sh", (host.path / "secret-dir").string(),
                                             (host.path / "secret-file").string()};
    std::vector<std::string> args{"exec", "--json", "--policy", policy, "--"};
    args.insert(args.end(), read_args.begin(), read_args.end());
    auto read = ws.airlock(args);
    const std::string out = read.json()["stdout"];
    CHECK(out.find("dir-secret") == std::string::npos);
    CHECK(out.find("file-secret") == std::string::npos);
    CHECK(out.find("done") != std::string::npos);
    // Positive control: without the policy the same files are readable.
    std::vector<std::string> plain_args{"exec", "--json", "--"};
    plain_args.insert(plain_args.end(), read_args.begin(), read_args.end());
    auto plain = ws.airlock(plain_args);
    CHECK(plain.json()["stdout"] == "dir-secretfile-secretdone\n");

    write_text(ws.path() / "write.sh",
               "echo x > .git/hooks/pre-commit; mkdir -p missing/protected; echo y > normal.txt\n");
    auto hook = ws.airlock({"exec", "--json", "--policy", policy, "--", "sh", "write.sh"});
    CHECK(hook.json()["decision"]["decision"] == "allow");
    CHECK_FALSE(fs::exists(ws.path() / ".git/hooks/pre-commit"));
    CHECK_FALSE(fs::exists(ws.path() / "missing/protected"));
    CHECK_FALSE(fs::exists(ws.path() / "missing"));       // the placeholder was cleaned up
    CHECK(read_text(ws.path() / "normal.txt") == "y\n");  // positive control
    // Positive control for the hook: with the floor's entry lifted and without the policy, the
    // hook can be written.
    auto unprotected =
        ws.airlock({"exec", "--json", "--unprotect", ".git/hooks", "--", "sh", "write.sh"});
    CHECK(unprotected.exit_code == 0);
    CHECK(fs::exists(ws.path() / ".git/hooks/pre-commit"));
}

TEST_CASE("the seccomp adapter refuses a call rather than run without the protection floor") {
    if (airlock::sandbox::probe_landlock().abi <= 0) {
        airlock::test::not_applicable("the seccomp adapter", "no Landlock on this kernel");
        return;
    }
    Workspace ws;
    auto r = ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--", "touch", "ran"});
    CHECK(r.exit_code == 126);
    CHECK(r.json()["status"] == "sandbox_denied");
    CHECK(r.json()["message"].get<std::string>().find("protection floor") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.path() / "ran"));
    // Positive control: with every entry lifted by name, the same call runs, and says so.
    auto ok = ws.airlock({"exec", "--json", "--sandbox", "seccomp", "--unprotect", kLiftFloor, "--",
                          "touch", "ran"});
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(ws.path() / "ran"));
    const auto floor = ok.json()["sandbox"]["effective"]["filesystem"]["floor"];
    CHECK(floor["lifted"].size() == airlock::sandbox::floor_entries().size() - 1);
    CHECK(floor["entries"] == nlohmann::json::array({".airlock"}));
}
