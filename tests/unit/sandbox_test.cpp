#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "sandbox/bwrap.hpp"
#include "sandbox/profile.hpp"

using namespace airlock::sandbox;

namespace {
SandboxRequest request() {
    SandboxRequest r;
    r.workspace = "/srv/ws";
    r.cwd = "/srv/ws/sub";
    r.env = {{"PATH", "/usr/bin:/bin"}, {"API_TOKEN", "secret-value"}};
    return r;
}
}  // namespace

TEST_CASE("the bwrap profile is read-only root, writable workspace, no network") {
    auto p = build_profile(request(), Adapter::bwrap);
    REQUIRE(p.ok());
    const auto argv = bwrap_argv(*p, {"make", "test"}, {3, 4});
    // clang-format off
    const std::vector<std::string> expected{
        "bwrap", "--new-session", "--die-with-parent",
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--unshare-net", "--cap-drop", "ALL",
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        "--bind", "/srv/ws", "/srv/ws",
        "--chdir", "/srv/ws/sub", "--json-status-fd", "3", "--seccomp", "4",
        "--", "make", "test"};
    // clang-format on
    CHECK(argv == expected);
}

TEST_CASE("network on drops only the network namespace") {
    auto req = request();
    req.network = true;
    auto p = build_profile(req, Adapter::bwrap);
    REQUIRE(p.ok());
    const auto argv = bwrap_argv(*p, {"true"}, {});
    CHECK(std::find(argv.begin(), argv.end(), "--unshare-net") == argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "--unshare-pid") != argv.end());
}

TEST_CASE("command tokens after -- are never read as bwrap options") {
    auto p = build_profile(request(), Adapter::bwrap);
    REQUIRE(p.ok());
    const auto argv = bwrap_argv(*p, {"--bind", "/", "/"}, {});
    auto dashdash = std::find(argv.begin(), argv.end(), "--");
    REQUIRE(dashdash != argv.end());
    CHECK(std::vector<std::string>(dashdash + 1, argv.end()) ==
          std::vector<std::string>{"--bind", "/", "/"});
}

TEST_CASE("the printed profile lists env keys, never values") {
    auto p = build_profile(request(), Adapter::bwrap);
    REQUIRE(p.ok());
    const std::string printed = to_json(*p).dump();
    CHECK(printed.find("API_TOKEN") != std::string::npos);
    CHECK(printed.find("secret-value") == std::string::npos);
}

TEST_CASE("the root directory can never be the workspace") {
    auto req = request();
    req.workspace = "/";
    CHECK_FALSE(build_profile(req, Adapter::bwrap).ok());
}

TEST_CASE("choose_adapter never downgrades silently") {
    auto req = request();
    req.adapter = "none";
    req.required = true;
    CHECK_FALSE(choose_adapter(req).ok());
    req.required = false;
    REQUIRE(choose_adapter(req).ok());
    CHECK(*choose_adapter(req) == Adapter::none);
    req.adapter = "seatbelt";
    CHECK_FALSE(choose_adapter(req).ok());
    req.adapter = "chroot";
    auto unknown = choose_adapter(req);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("unknown sandbox adapter") != std::string::npos);
}
