#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "sandbox/host_identity.hpp"
#include "sandbox/profile.hpp"

namespace fs = std::filesystem;
using namespace airlock::sandbox;

namespace {

struct Scratch {
    Scratch() {
        // Not under /tmp: the bwrap profile skips deny_read paths there (its /tmp is private).
        std::string tmpl = "/var/tmp/airlock-identity.XXXXXX";
        path = ::mkdtemp(tmpl.data());
        ::chmod(path.c_str(), 0755);
    }
    ~Scratch() {
        std::error_code ec;
        fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
        fs::remove_all(path, ec);
    }
    fs::path path;
};

}  // namespace

TEST_CASE("host identity: an enterable path needs no mask, and the root keeps its owner") {
    Scratch s;
    const fs::path ws = s.path / "ws";
    fs::create_directories(ws);
    auto plan = plan_host_identity({ws}, 65533, 65533);
    REQUIRE(plan.ok());
    CHECK(plan->masked.empty());
    REQUIRE(plan->idmapped.size() == 1);
    CHECK(plan->idmapped[0].path == ws);
    CHECK(plan->idmapped[0].owner_uid == ::geteuid());
    CHECK(plan->idmapped[0].owner_gid == ::getegid());
}

TEST_CASE("host identity: the shallowest directory the sandbox user cannot enter is masked") {
    Scratch s;
    const fs::path closed = s.path / "closed";
    const fs::path ws = closed / "inner" / "ws";
    fs::create_directories(ws);
    fs::create_directories(closed / "inner" / "other");
    REQUIRE(::chmod(closed.c_str(), 0700) == 0);
    REQUIRE(::chmod((closed / "inner").c_str(), 0700) == 0);
    auto plan = plan_host_identity({ws, closed / "inner" / "other"}, 65533, 65533);
    REQUIRE(plan.ok());
    REQUIRE(plan->masked.size() == 1);  // one mask serves both roots
    CHECK(plan->masked[0] == closed);
    CHECK(plan->idmapped.size() == 2);
    CHECK(unreachable(*plan, closed / "secret"));
    CHECK(unreachable(*plan, closed / "inner"));
    CHECK_FALSE(unreachable(*plan, ws / "file"));
    CHECK_FALSE(unreachable(*plan, s.path / "elsewhere"));
    const auto j = to_json(*plan);
    CHECK(j["uid"] == 65533);
    CHECK(j["masked"][0] == closed.string());
}

TEST_CASE("host identity: others' search bit, or the sandbox user's own group, lets it through") {
    Scratch s;
    const fs::path group_dir = s.path / "group";
    const fs::path ws = group_dir / "ws";
    fs::create_directories(ws);
    REQUIRE(::chmod(group_dir.c_str(), 0710) == 0);
    // Group search only helps a member: the sandbox user is not in the owner's group here.
    auto other = plan_host_identity({ws}, 65533, 65533);
    REQUIRE(other.ok());
    CHECK(other->masked == std::vector<fs::path>{group_dir});
    // As the directory's group, it may enter.
    auto member = plan_host_identity({ws}, 65533, ::getegid());
    REQUIRE(member.ok());
    CHECK(member->masked.empty());
}

TEST_CASE("host identity: a writable root inside another is reached through the outer one") {
    Scratch s;
    fs::create_directories(s.path / "ws" / "sub");
    auto plan = plan_host_identity({s.path / "ws", s.path / "ws" / "sub"}, 65533, 65533);
    REQUIRE(plan.ok());
    REQUIRE(plan->idmapped.size() == 1);
    CHECK(plan->idmapped[0].path == s.path / "ws");
}

TEST_CASE("host identity: as root, the bwrap profile plans it and drops mounts it cannot reach") {
    Scratch s;
    const fs::path closed = s.path / "closed";
    const fs::path ws = closed / "ws";
    fs::create_directories(ws);
    fs::create_directories(closed / ".ssh");
    REQUIRE(::chmod(closed.c_str(), 0700) == 0);
    SandboxRequest r;
    r.workspace = ws;
    r.cwd = ws;
    r.home = closed;
    r.deny_read = {"~/.ssh"};
    r.airlock_is_root = true;
    auto p = build_profile(r, Adapter::bwrap);
    REQUIRE(p.ok());
    REQUIRE(p->identity.has_value());
    CHECK(p->identity->masked == std::vector<fs::path>{closed});
    // ~/.ssh is still reported hidden, but no mount is made for it: it is behind the mask.
    CHECK(p->hidden == std::vector<fs::path>{closed / ".ssh"});
    for (const auto& m : p->mounts)
        CHECK(m.dest != closed / ".ssh");
    CHECK(to_json(*p)["host_identity"]["uid"] == 65533);
    // Not as root: no plan at all.
    r.airlock_is_root = false;
    auto plain = build_profile(r, Adapter::bwrap);
    REQUIRE(plain.ok());
    CHECK_FALSE(plain->identity.has_value());
    CHECK(to_json(*plain)["host_identity"].is_null());
}
