// `airlock init AGENT` through the real binary: the hook lands in each agent's own file, merged
// with what is there (nothing else changes), a second run changes nothing, the previous file is
// kept as a backup, --check passes only when the hook is there and answers, --remove takes it out
// and leaves everything else.
#include <sys/stat.h>

#include <doctest/doctest.h>

#include "airlock_runner.hpp"

namespace airlock::test {

namespace {

using nlohmann::ordered_json;

struct AgentCase {
    std::string agent;
    fs::path file;          // relative to the project (or HOME with --user)
    std::string existing;   // the user's own settings before airlock init
    std::string hook_list;  // JSON: the key under "hooks" where airlock's entry goes
};

std::vector<AgentCase> cases() {
    return {
        {"claude-code", ".claude/settings.json",
         R"J({"model": "opus", "permissions": {"deny": ["Read(./.env)"]},
             "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]}],
                       "PostToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "my-logger"}]}]}})J",
         "PreToolUse"},
        {"gemini-cli", ".gemini/settings.json",
         R"J({"general": {"vimMode": true}, "hooks": {"BeforeTool": [{"matcher": "write_file",
             "hooks": [{"type": "command", "command": "my-check", "name": "mine"}]}]}})J",
         "BeforeTool"},
        {"cursor", ".cursor/hooks.json",
         R"J({"version": 1, "hooks": {"beforeShellExecution": [{"command": "./my-audit.sh"}],
             "stop": [{"command": "./notify.sh"}]}})J",
         "beforeShellExecution"},
        {"codex", ".codex/config.toml",
         "# my Codex settings\nmodel = \"gpt-5\"\n\n[[hooks.PostToolUse]]\nmatcher = \"*\"\n\n"
         "[[hooks.PostToolUse.hooks]]\ntype = \"command\"\ncommand = \"my-logger\"\n",
         ""},
    };
}

// The JSON without airlock's entries: what the user had, for comparison.
ordered_json without_airlock(ordered_json j) {
    if (!j.contains("hooks")) return j;
    for (auto& [event, list] : j["hooks"].items()) {
        ordered_json kept = ordered_json::array();
        for (auto group : list) {
            if (group.contains("command") &&
                group["command"].get<std::string>().find(" hook ") != std::string::npos)
                continue;  // cursor's flat entries
            if (group.contains("hooks")) {
                ordered_json inner = ordered_json::array();
                for (const auto& h : group["hooks"])
                    if (h["command"].get<std::string>().find(" hook ") == std::string::npos)
                        inner.push_back(h);
                if (inner.empty()) continue;
                group["hooks"] = inner;
            }
            kept.push_back(group);
        }
        list = kept;
    }
    for (auto it = j["hooks"].begin(); it != j["hooks"].end();)
        it = it->empty() ? j["hooks"].erase(it) : std::next(it);
    return j;
}

int count_of(const std::string& text, const std::string& needle) {
    int n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
        ++n;
    return n;
}

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("airlock init merges, is idempotent, keeps a backup, checks and removes, per agent") {
    for (const auto& c : cases()) {
        CAPTURE(c.agent);
        Workspace ws;
        const fs::path file = ws.path() / c.file;
        write_text(file, c.existing);
        ::chmod(file.c_str(), 0600);  // a private config stays private

        // Not installed yet: --check fails and says so.
        const Ran before = ws.airlock({"init", c.agent, "--check"});
        CHECK(before.exit_code == 1);
        CHECK(before.out.find("no airlock hook") != std::string::npos);

        const Ran init = ws.airlock({"init", c.agent});
        REQUIRE_MESSAGE(init.exit_code == 0, init.err);
        const std::string installed = read_text(file);
        const std::string hook_command = "'" + std::string(AIRLOCK_BINARY) + "' hook " + c.agent;
        CHECK(installed.find(ordered_json(hook_command).dump()) != std::string::npos);
        CHECK(read_text(file.string() + ".airlock-backup") == c.existing);
        CHECK(mode_of(file) == 0600);
        CHECK(mode_of(file.string() + ".airlock-backup") == 0600);
        CHECK(fs::exists(ws.path() / ".airlock/policy.json"));
        if (c.agent == "codex") {
            // The user's lines are all still there, in order, and the hook block once.
            CHECK(installed.rfind(c.existing, 0) == 0);
            CHECK(count_of(installed, "[[hooks.PreToolUse]]") == 1);
        } else {
            const ordered_json j = ordered_json::parse(installed);
            CHECK(without_airlock(j) == ordered_json::parse(c.existing));
            // airlock's entry comes after the user's own hooks of that event, which stay first.
            CHECK(j["hooks"][c.hook_list].size() ==
                  ordered_json::parse(c.existing)["hooks"][c.hook_list].size() + 1);
        }

        // Idempotent: the second run changes nothing, not even the backup.
        const Ran again = ws.airlock({"init", c.agent});
        CHECK(again.exit_code == 0);
        CHECK(again.out.find("nothing changed") != std::string::npos);
        CHECK(read_text(file) == installed);
        CHECK(read_text(file.string() + ".airlock-backup") == c.existing);

        // Installed: --check runs the probe through it, which comes back denied.
        const Ran check = ws.airlock({"init", c.agent, "--check"});
        CHECK_MESSAGE(check.exit_code == 0, check.out << check.err);
        CHECK(check.out.find("working") != std::string::npos);

        // Removed: the user's settings as they were, and --check fails again.
        const Ran removed = ws.airlock({"init", c.agent, "--remove"});
        CHECK(removed.exit_code == 0);
        const std::string after = read_text(file);
        if (c.agent == "codex")
            CHECK(after == c.existing);
        else
            CHECK(ordered_json::parse(after) == ordered_json::parse(c.existing));
        CHECK(read_text(file.string() + ".airlock-backup") == installed);
        CHECK(ws.airlock({"init", c.agent, "--check"}).exit_code == 1);
        const Ran remove_again = ws.airlock({"init", c.agent, "--remove"});
        CHECK(remove_again.exit_code == 0);
        CHECK(remove_again.out.find("nothing changed") != std::string::npos);
    }
}

TEST_CASE("airlock init into a file that does not exist yet, and --user under HOME") {
    Workspace ws;
    const Ran init = ws.airlock({"init", "claude-code", "--user"});
    REQUIRE_MESSAGE(init.exit_code == 0, init.err);
    const fs::path file = ws.outside() / "home/.claude/settings.json";
    const ordered_json j = ordered_json::parse(read_text(file));
    CHECK(j["hooks"]["PreToolUse"][0]["matcher"] == "*");
    CHECK_FALSE(fs::exists(file.string() + ".airlock-backup"));  // there was nothing to keep
    CHECK_FALSE(fs::exists(ws.path() / ".claude"));

    // Codex: $CODEX_HOME/config.toml when CODEX_HOME is set, as Codex itself reads it.
    const fs::path codex_home = ws.outside() / "codex-home";
    const Ran codex =
        ws.airlock({"init", "codex", "--user"}, "", {"CODEX_HOME=" + codex_home.string()});
    REQUIRE_MESSAGE(codex.exit_code == 0, codex.err);
    CHECK(read_text(codex_home / "config.toml").find("[[hooks.PreToolUse]]") != std::string::npos);
    CHECK_FALSE(fs::exists(ws.outside() / "home/.codex"));
}

TEST_CASE("airlock init leaves a file it cannot read as its format alone") {
    Workspace ws;
    const fs::path file = ws.path() / ".claude/settings.json";
    write_text(file, "{ \"model\": \"opus\", oops");
    const Ran r = ws.airlock({"init", "claude-code"});
    CHECK(r.exit_code == 125);
    CHECK(r.err.find("settings.json") != std::string::npos);
    CHECK(read_text(file) == "{ \"model\": \"opus\", oops");
    CHECK_FALSE(fs::exists(file.string() + ".airlock-backup"));

    write_text(file, R"J({"hooks": ["not", "an", "object"]})J");
    CHECK(ws.airlock({"init", "claude-code"}).exit_code == 125);
    CHECK(read_text(file) == R"J({"hooks": ["not", "an", "object"]})J");
}

TEST_CASE("airlock init: the user's symlinked settings are followed, a project's link is not") {
    Workspace ws;
    // --user: dotfiles kept elsewhere and linked into HOME are written where they point.
    const fs::path real = ws.outside() / "dotfiles/settings.json";
    write_text(real, R"J({"model": "opus"})J");
    fs::create_directories(ws.outside() / "home/.claude");
    fs::create_symlink(real, ws.outside() / "home/.claude/settings.json");
    const Ran user = ws.airlock({"init", "claude-code", "--user"});
    REQUIRE_MESSAGE(user.exit_code == 0, user.err);
    CHECK(fs::is_symlink(ws.outside() / "home/.claude/settings.json"));
    CHECK(ordered_json::parse(read_text(real))["hooks"].contains("PreToolUse"));
    CHECK(ordered_json::parse(read_text(real))["model"] == "opus");

    // A project's link (a cloned repository could point it at any file of the user's) is refused.
    const fs::path other = ws.outside() / "private.json";
    write_text(other, R"J({"token": "not-for-the-project"})J");
    fs::create_directories(ws.path() / ".cursor");
    fs::create_symlink(other, ws.path() / ".cursor/hooks.json");
    const Ran project = ws.airlock({"init", "cursor"});
    CHECK(project.exit_code == 125);
    CHECK(project.err.find("symbolic link") != std::string::npos);
    CHECK(read_text(other) == R"J({"token": "not-for-the-project"})J");
    CHECK(fs::is_symlink(ws.path() / ".cursor/hooks.json"));
    CHECK_FALSE(fs::exists(ws.path() / ".cursor/hooks.json.airlock-backup"));

    // An existing workspace policy is kept as it is.
    write_text(ws.path() / ".airlock/policy.json", R"J({"version": 1, "rules": []} // mine)J");
    REQUIRE(ws.airlock({"init", "claude-code"}).exit_code == 0);
    CHECK(read_text(ws.path() / ".airlock/policy.json") ==
          R"J({"version": 1, "rules": []} // mine)J");
    // No temporary files are left beside the settings.
    for (const auto& e : fs::directory_iterator(ws.path() / ".claude"))
        CHECK(e.path().filename().string().rfind(".settings.json.", 0) != 0);
}

TEST_CASE("airlock init: an airlock entry that moved or changed is put right, once") {
    Workspace ws;
    const fs::path file = ws.path() / ".claude/settings.json";
    // An older airlock's entry (another path), followed by the user's own.
    write_text(file, R"J({"hooks": {"PreToolUse": [
        {"matcher": "*", "hooks": [{"type": "command", "command": "'/old/bin/airlock' hook claude-code", "timeout": 30}]},
        {"matcher": "Bash", "hooks": [{"type": "command", "command": "my-linter"}]}]}})J");
    REQUIRE(ws.airlock({"init", "claude-code"}).exit_code == 0);
    const ordered_json j = ordered_json::parse(read_text(file));
    const auto& list = j["hooks"]["PreToolUse"];
    REQUIRE(list.size() == 2);
    CHECK(list[0]["hooks"][0]["command"] == "my-linter");
    CHECK(list[1]["hooks"][0]["command"] ==
          "'" + std::string(AIRLOCK_BINARY) + "' hook claude-code");
    const std::string once = read_text(file);
    CHECK(ws.airlock({"init", "claude-code"}).out.find("nothing changed") != std::string::npos);
    CHECK(read_text(file) == once);
}

}  // namespace airlock::test
