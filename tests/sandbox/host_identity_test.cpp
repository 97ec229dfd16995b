// Run as root, airlock's bwrap sandbox is an unprivileged host user (sandbox/host_identity.hpp):
// root-only files outside the workspace stay unreadable, while the workspace stays usable.
#include <sys/stat.h>

#include "escape_harness.hpp"

namespace airlock::escape {

namespace {

// A root-only file: mode 0600, owned by whoever runs the suite.
fs::path root_only_file(const fs::path& path, const std::string& text) {
    write_text(path, text);
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    return path;
}

}  // namespace

TEST_CASE("as root, a root-only file outside the workspace cannot be read") {
    Scenario s;
    if (!running_as_root()) {
        MESSAGE("skipped: the sandbox already runs as this unprivileged user (uid " << ::geteuid()
                                                                                    << ")");
        return;
    }
    const fs::path secret = root_only_file(s.outside() / "root-only.txt", "ROOT-SECRET\n");
    // Positive control: unconfined, root reads it.
    auto ok = s.unconfined_sh("cat '" + secret.string() + "'");
    REQUIRE(field(ok, "stdout") == "ROOT-SECRET\n");
    auto r = s.sh("cat '" + secret.string() + "'; id -u");
    require_sandboxed(r);
    if (under_seccomp()) {
        // Documented gap: without a user namespace there is no other identity to run as (and no
        // idmapped workspace for it); the result says so.
        CHECK(field(r, "stdout") == "ROOT-SECRET\n0\n");
        CHECK(result(r)["sandbox"]["effective"]["host_user"]["uid"] == 0);
        return;
    }
    CHECK_FALSE(contains(field(r, "stdout"), "ROOT-SECRET"));
    CHECK(contains(field(r, "stderr"), "Permission denied"));
    CHECK(field(r, "stdout") == "65533\n");
    const auto user = result(r)["sandbox"]["effective"]["host_user"];
    CHECK(user["uid"] == 65533);
    CHECK(user["idmapped"][0]["path"] == s.ws().string());
    // Positive control: the same root-only file inside the workspace is the sandbox's own.
    root_only_file(s.ws() / "mine.txt", "MINE\n");
    auto in = s.sh("cat mine.txt");
    require_sandboxed(in);
    CHECK(field(in, "stdout") == "MINE\n");
}

TEST_CASE("what the sandbox creates in the workspace belongs to the workspace's owner") {
    Scenario s;
    struct stat ws {};
    REQUIRE(::stat(s.ws().c_str(), &ws) == 0);
    auto r = s.sh("echo new > created.txt && mkdir made && touch made/inner");
    require_sandboxed(r);
    REQUIRE(r.exit_code == 0);
    for (const char* name : {"created.txt", "made", "made/inner"}) {
        struct stat st {};
        REQUIRE(::stat((s.ws() / name).c_str(), &st) == 0);
        CHECK(st.st_uid == ws.st_uid);
        CHECK(st.st_gid == ws.st_gid);
    }
    CHECK(read_text(s.ws() / "created.txt") == "new\n");
}

TEST_CASE(
    "as root, a workspace inside a directory only root can enter works, and the rest of "
    "that directory stays out of sight") {
    Scenario s;
    if (!running_as_root()) {
        MESSAGE("skipped: needs root (running as uid " << ::geteuid() << ")");
        return;
    }
    const fs::path private_dir = s.outside() / "private";
    const fs::path ws = private_dir / "project";
    fs::create_directories(ws);
    REQUIRE(::chmod(private_dir.c_str(), 0700) == 0);
    write_text(private_dir / "sibling.txt", "SIBLING\n");
    auto run = [&](const std::string& script, const std::string& fields) {
        const fs::path p = s.outside() / "private-policy.json";
        write_text(p, allow_all_policy(fields));
        std::vector<std::string> args = {"exec",     "--json",   "--workspace",        ws.string(),
                                         "--policy", p.string(), "--no-builtin-policy"};
        if (fields.empty()) args.insert(args.end(), {"--sandbox", adapter_under_test()});
        if (fields.empty() && under_seccomp())
            for (const auto& a : airlock::test::unprotect_floor_args())
                args.push_back(a);
        args.insert(args.end(), {"--", "sh", "-c", script});
        return s.airlock(args);
    };
    // Positive control: unconfined, the sibling is there and readable.
    auto ok = run("cat ../sibling.txt", kUnconfined);
    REQUIRE(field(ok, "stdout") == "SIBLING\n");
    auto r = run("echo hi > inside.txt && cat inside.txt; ls -A ..; cat ../sibling.txt", "");
    require_sandboxed(r);
    CHECK(read_text(ws / "inside.txt") == "hi\n");
    if (under_seccomp()) {
        // Documented gap: the command runs as root, so the directory is open to it.
        CHECK(contains(field(r, "stdout"), "SIBLING"));
        CHECK(result(r)["sandbox"]["effective"]["host_user"]["uid"] == 0);
        return;
    }
    CHECK(field(r, "stdout") == "hi\nproject\n");
    CHECK_FALSE(contains(field(r, "stdout"), "SIBLING"));
    CHECK(read_text(ws / "inside.txt") == "hi\n");
    CHECK(result(r)["sandbox"]["effective"]["host_user"]["masked"][0] == private_dir.string());
}

}  // namespace airlock::escape
