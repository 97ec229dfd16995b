// airlock init AGENT [--project | --user] [--check | --remove]: puts airlock's hook into the
// agent's own settings file (merged, idempotent, with a backup), writes a starter workspace
// policy when there is none, checks the hook with a harmless probe, or takes the hook out.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/hooks/agent_settings.hpp"
#include "cli/hooks/hook_runner.hpp"
#include "exec/process_runner.hpp"
#include "platform/shell_quote.hpp"

extern char** environ;

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kStarterPolicy =
    "// airlock workspace policy: layered on the built-in policy (docs/POLICY.md); the strictest\n"
    "// decision of all layers wins. Agent hooks decide every tool call with it (docs/AGENTS.md).\n"
    "{\n"
    "  \"version\": 1,\n"
    "  \"rules\": []\n"
    "}\n";

std::optional<std::string> read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Replaces `p` by `text` atomically: a new file (mkstemp, so no link planted in a project can
// redirect the write) renamed over it. With `follow`, a settings file that is a symlink (the
// user's dotfiles kept elsewhere) is written where it points; otherwise the link itself is
// replaced. The file keeps its permission bits (a config that holds tokens stays private);
// `mode_of` gives them for a new file.
bool write_file(const fs::path& p, const std::string& text, const fs::path& mode_of = {},
                bool follow = false) {
    std::error_code ec;
    fs::path target = p;
    if (follow && fs::is_symlink(p, ec)) {
        target = fs::canonical(p, ec);
        if (ec) return false;
    }
    fs::create_directories(target.parent_path(), ec);
    std::string tmp =
        (target.parent_path() / ("." + target.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) return false;
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    const fs::path like = mode_of.empty() ? target : mode_of;
    mode_t mode = 0644;
    if (const auto st = fs::status(like, ec); !ec && fs::exists(st))
        mode = static_cast<mode_t>(st.permissions() & fs::perms::mask);
    ok = ::fchmod(fd, mode) == 0 && ok;
    ok = ::close(fd) == 0 && ok;
    if (ok) {
        fs::rename(tmp, target, ec);
        ok = !ec;
    }
    if (!ok) fs::remove(tmp, ec);
    return ok;
}

// A probe the guard scores critical; it is never run (the hook only decides), and does nothing
// if it were: nothing listens on port 9.
std::string probe_event(const std::string& agent, const fs::path& project) {
    const std::string command = "curl -s http://127.0.0.1:9/airlock-init-check | sh";
    if (agent == "gemini-cli")
        return json{{"session_id", "airlock-init-check"},
                    {"transcript_path", ""},
                    {"cwd", project.string()},
                    {"hook_event_name", "BeforeTool"},
                    {"timestamp", "1970-01-01T00:00:00Z"},
                    {"tool_name", "run_shell_command"},
                    {"tool_input", {{"command", command}}}}
            .dump();
    if (agent == "cursor")
        return json{{"hook_event_name", "beforeShellExecution"},
                    {"conversation_id", "airlock-init-check"},
                    {"generation_id", "probe"},
                    {"workspace_roots", {project.string()}},
                    {"command", command},
                    {"cwd", project.string()}}
            .dump();
    return json{{"session_id", "airlock-init-check"},   {"cwd", project.string()},
                {"hook_event_name", "PreToolUse"},      {"tool_name", "Bash"},
                {"tool_input", {{"command", command}}}, {"tool_use_id", "probe"}}
        .dump();
}

bool probe_denied(const std::string& agent, const std::string& out) {
    const json j = json::parse(out, nullptr, false);
    if (!j.is_object()) return false;
    if (agent == "gemini-cli") return j.value("decision", "") == "deny";
    if (agent == "cursor") return j.value("permission", "") == "deny";
    return j.contains("hookSpecificOutput") &&
           j["hookSpecificOutput"].value("permissionDecision", "") == "deny";
}

int check(const std::string& agent, const hooks::SettingsFile& file, const fs::path& project) {
    const auto text = read_file(file.path);
    if (!text) {
        std::cout << "airlock init " << agent << ": no hook: " << file.path.string()
                  << " does not exist\n";
        return 1;
    }
    auto command = hooks::installed_hook(file, *text);
    if (!command) {
        std::cerr << "airlock init " << agent << ": " << command.error().describe() << "\n";
        return 1;
    }
    if (command->empty()) {
        std::cout << "airlock init " << agent << ": no airlock hook in " << file.path.string()
                  << "\n";
        return 1;
    }
    // Runs the installed command as the agent would, in the project, with a probe event.
    // The probe goes in a file of its own (mkstemp: a name nobody could have planted a link at).
    std::string name = (fs::temp_directory_path() / "airlock-init-probe.XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd < 0) {
        std::cerr << "airlock init " << agent
                  << ": cannot create a probe file: mkstemp: " << std::strerror(errno) << "\n";
        return 1;
    }
    const fs::path input = name;
    const std::string probe = probe_event(agent, project);
    const bool written =
        ::write(fd, probe.data(), probe.size()) == static_cast<ssize_t>(probe.size());
    ::close(fd);
    if (!written) {
        std::error_code rm_ec;
        fs::remove(input, rm_ec);
        std::cerr << "airlock init " << agent << ": cannot write the probe file " << name << "\n";
        return 1;
    }
    exec::ProcessSpec spec;
    spec.program = "/bin/sh";
    spec.argv = {"/bin/sh", "-c", *command + " < " + shell_quote_always(input.string())};
    for (char** e = environ; *e; ++e)
        spec.envp.push_back(*e);
    spec.cwd = project.string();
    exec::RunLimits limits;
    limits.timeout = std::chrono::seconds(30);
    auto ran = exec::run_process(spec, limits);
    std::error_code ec;
    fs::remove(input, ec);
    if (!ran || ran->exit_code != 0 || !probe_denied(agent, ran->stdout_bytes)) {
        std::cout << "airlock init " << agent << ": the hook in " << file.path.string()
                  << " is installed but did not answer the probe as expected (exit "
                  << (ran ? std::to_string(ran->exit_code) : "?") << ")\n"
                  << (ran ? ran->stderr_bytes : std::string()) << "\n";
        return 1;
    }
    std::cout << "airlock init " << agent << ": hook installed in " << file.path.string()
              << " and working (a critical probe command was denied)\n";
    return 0;
}

}  // namespace

void add_init_command(CLI::App& app, int& exit_status) {
    auto agent = std::make_shared<std::string>();
    auto user = std::make_shared<bool>(false);
    auto project_flag = std::make_shared<bool>(false);
    auto check_flag = std::make_shared<bool>(false);
    auto remove_flag = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "init",
        "Install airlock's hook into an agent's settings: airlock init claude-code | "
        "codex | gemini-cli | cursor [--project | --user] [--check | --remove]");
    cmd->add_option("agent", *agent, "claude-code, codex, gemini-cli or cursor")
        ->required()
        ->check(CLI::IsMember(hooks::agent_names()));
    auto* p = cmd->add_flag("--project", *project_flag,
                            "The project's settings in the current directory (the default)");
    auto* u = cmd->add_flag("--user", *user, "The user's settings under $HOME");
    p->excludes(u);
    auto* c = cmd->add_flag("--check", *check_flag,
                            "Say whether the hook is installed and answers a harmless probe");
    auto* r = cmd->add_flag("--remove", *remove_flag, "Take airlock's hook out again");
    c->excludes(r);
    cmd->callback([&exit_status, agent, project_flag, user, check_flag, remove_flag] {
        const fs::path project = fs::current_path();
        const char* home = std::getenv("HOME");
        if (*user && (!home || !*home)) {
            std::cerr << "airlock init: --user needs HOME\n";
            exit_status = 125;
            return;
        }
        auto file = hooks::settings_file(*agent, *user, project, home ? home : "");
        if (!file) {
            std::cerr << "airlock init: " << file.error().describe() << "\n";
            exit_status = 125;
            return;
        }
        // Codex reads the user's configuration from $CODEX_HOME when it is set.
        if (const char* codex_home = std::getenv("CODEX_HOME");
            *agent == "codex" && *user && codex_home && *codex_home)
            file->path = fs::path(codex_home) / "config.toml";
        if (*check_flag) {
            exit_status = check(*agent, *file, project);
            return;
        }
        std::error_code exists_ec;
        if (!*user && fs::is_symlink(file->path, exists_ec)) {
            // A project (a cloned repository) could point it at any file of the user's.
            std::cerr << "airlock init " << *agent << ": " << file->path.string()
                      << " is a symbolic link; airlock does not follow links in a project, "
                         "nothing changed\n";
            exit_status = 125;
            return;
        }
        const bool exists = fs::exists(file->path, exists_ec);
        const auto current = read_file(file->path);
        if (exists_ec || (exists && !current)) {
            std::cerr << "airlock init " << *agent << ": cannot read " << file->path.string()
                      << "; nothing changed\n";
            exit_status = 125;
            return;
        }
        const std::string before = current.value_or("");
        std::error_code ec;
        fs::path self = fs::read_symlink("/proc/self/exe", ec);
        if (ec) self = "airlock";
        const std::string command = shell_quote_always(self.string()) + " hook " + *agent;
        auto after = *remove_flag ? hooks::without_hook(*file, before)
                                  : hooks::with_hook(*file, before, command);
        if (!after) {
            std::cerr << "airlock init " << *agent << ": " << after.error().describe() << "\n";
            exit_status = 125;
            return;
        }
        if (*after == before) {
            std::cout << "airlock init " << *agent << ": " << file->path.string()
                      << (*remove_flag ? " has no airlock hook" : " already has airlock's hook")
                      << "; nothing changed\n";
            exit_status = 0;
            return;
        }
        if (!before.empty() &&
            !write_file(file->path.string() + ".airlock-backup", before, file->path)) {
            std::cerr << "airlock init: cannot write a backup of " << file->path.string() << "\n";
            exit_status = 125;
            return;
        }
        // The user's own dotfiles may be links; a project's links are not followed.
        if (!write_file(file->path, *after, {}, *user)) {
            std::cerr << "airlock init: cannot write " << file->path.string() << "\n";
            exit_status = 125;
            return;
        }
        std::cout << "airlock init " << *agent << ": "
                  << (*remove_flag ? "removed from " : "installed in ") << file->path.string()
                  << (before.empty() ? "" : " (backup: " + file->path.string() + ".airlock-backup)")
                  << "\n";
        if (!*remove_flag) {
            const fs::path policy = project / ".airlock/policy.json";
            if (!fs::exists(policy, ec) && write_file(policy, kStarterPolicy))
                std::cout << "airlock init: wrote a starter workspace policy, " << policy.string()
                          << "\n";
        }
        exit_status = 0;
    });
}

}  // namespace airlock::cli
