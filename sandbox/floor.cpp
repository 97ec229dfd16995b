#include "sandbox/floor.hpp"
#include "sandbox/path_list.hpp"

#include <algorithm>
#include <deque>
#include <set>
#include <system_error>

#include <nlohmann/json.hpp>

namespace airlock::sandbox {

namespace fs = std::filesystem;

const std::vector<FloorEntry>& floor_entries() {
    static const std::vector<FloorEntry> entries = {
        {".airlock", "airlock's run logs and workspace policy"},
        {".git/hooks", "git runs hooks on the host at the next commit, merge or checkout"},
        {".git/config", "git config can name hooks, filters, an fsmonitor and aliases to run"},
        {".gitconfig", "git reads it as the user's configuration when the root is a home"},
        {".vscode", "editor tasks, launch and terminal settings run commands"},
        {".idea", "IDE run configurations and startup tasks run commands"},
        {".devcontainer", "dev container lifecycle commands run on the host's container engine"},
        {".mcp.json", "agents start the MCP servers it names"},
        {".claude", "Claude Code settings and hooks run commands and grant tools"},
        {".codex", "Codex configuration, rules and hooks"},
        {".cursor", "Cursor rules, hooks and MCP servers"},
        {".gemini", "Gemini CLI settings, hooks and policies"},
        {".agents", "agent configuration shared by several agents"},
        {".envrc", "direnv runs it when a shell enters the directory"},
        {".bashrc", "shell startup file"},
        {".bash_profile", "shell startup file"},
        {".bash_login", "shell startup file"},
        {".bash_logout", "shell logout file"},
        {".profile", "shell startup file"},
        {".zshrc", "shell startup file"},
        {".zshenv", "shell startup file"},
        {".zprofile", "shell startup file"},
        {".zlogin", "shell startup file"},
        {".zlogout", "shell logout file"},
    };
    return entries;
}

namespace {

bool is_lifted(std::string_view entry, const std::vector<std::string>& lifted) {
    return std::find(lifted.begin(), lifted.end(), entry) != lifted.end();
}

// The first component of every entry: a directory holding one of these is a project whose
// floor applies below it too.
const std::set<std::string>& marker_names() {
    static const std::set<std::string> names = [] {
        std::set<std::string> out;
        for (const auto& e : floor_entries())
            out.insert(fs::path(e.path).begin()->string());
        return out;
    }();
    return names;
}

// Directories below `root` (within kFloorScanDepth levels) that hold a floor entry's first
// component. Symlinks are not followed, so the scan never leaves the root.
void find_nested_projects(const fs::path& root, Floor& floor, int& budget) {
    std::deque<std::pair<fs::path, int>> queue{{root, 0}};
    while (!queue.empty()) {
        auto [dir, depth] = queue.front();
        queue.pop_front();
        if (budget-- <= 0) {
            floor.scan_complete = false;
            return;
        }
        std::error_code ec;
        fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
        if (ec) continue;
        bool project = false;
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const std::string name = it->path().filename().string();
            if (marker_names().count(name)) project = true;
            // Not into .git (its entries are named), nor into dependency trees that nobody runs
            // git or an editor in; never below the scan depth.
            if (depth + 1 > kFloorScanDepth || name == ".git" || name == ".airlock" ||
                name == "node_modules" || name == ".venv" || name == "__pycache__")
                continue;
            std::error_code type_ec;
            if (it->is_directory(type_ec) && !it->is_symlink(type_ec))
                queue.emplace_back(it->path(), depth + 1);
        }
        if (project && depth > 0) add_unique(floor.roots, dir);
    }
}

}  // namespace

Result<void> validate_unprotect(const std::vector<std::string>& lifted) {
    for (const auto& name : lifted) {
        if (name == ".airlock")
            return make_error("config",
                              "--unprotect \".airlock\": airlock's own run logs stay read-only "
                              "inside the sandbox; this entry cannot be lifted");
        const auto& entries = floor_entries();
        const bool known = std::any_of(entries.begin(), entries.end(),
                                       [&](const FloorEntry& e) { return e.path == name; });
        if (!known) {
            std::string list;
            for (const auto& e : entries)
                list += (list.empty() ? "" : ", ") + std::string(e.path);
            return make_error("config", "--unprotect \"" + name +
                                            "\" is not on the protection floor; it lists: " + list);
        }
    }
    return {};
}

Floor plan_floor(const std::vector<fs::path>& writable_roots,
                 const std::vector<std::string>& lifted) {
    Floor floor;
    floor.lifted = lifted;
    int budget = kFloorScanBudget;
    for (const auto& root : writable_roots)
        add_unique(floor.roots, root);
    for (const auto& root : writable_roots)
        find_nested_projects(root, floor, budget);
    for (const auto& root : floor.roots) {
        for (const auto& e : floor_entries()) {
            if (is_lifted(e.path, lifted)) continue;
            add_unique(floor.paths, root / e.path);
        }
    }
    return floor;
}

std::optional<std::string> floor_entry_for(const fs::path& relative,
                                           const std::vector<std::string>& lifted) {
    const std::vector<fs::path> parts(relative.begin(), relative.end());
    for (const auto& e : floor_entries()) {
        if (is_lifted(e.path, lifted)) continue;
        const fs::path entry_path(e.path);
        const std::vector<fs::path> entry(entry_path.begin(), entry_path.end());
        for (std::size_t i = 0; i + entry.size() <= parts.size(); ++i) {
            if (std::equal(entry.begin(), entry.end(), parts.begin() + static_cast<long>(i)))
                return std::string(e.path);
        }
    }
    return std::nullopt;
}

nlohmann::json to_json(const Floor& floor) {
    nlohmann::json entries = nlohmann::json::array();
    for (const auto& e : floor_entries())
        if (!is_lifted(e.path, floor.lifted)) entries.push_back(std::string(e.path));
    nlohmann::json roots = nlohmann::json::array();
    for (const auto& r : floor.roots)
        roots.push_back(r.string());
    return {{"entries", entries},
            {"lifted", floor.lifted},
            {"roots", roots},
            {"scan", {{"depth", kFloorScanDepth}, {"complete", floor.scan_complete}}}};
}

}  // namespace airlock::sandbox
