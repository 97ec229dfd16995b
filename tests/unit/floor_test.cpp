// The protection floor as data: which entries, where the scan finds nested projects, and what a
// workspace-relative path falls under.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "sandbox/floor.hpp"
#include "sandbox/paths.hpp"

using namespace airlock::sandbox;
namespace fs = std::filesystem;

namespace {

struct Tree {
    Tree() {
        std::string tmpl = (fs::temp_directory_path() / "airlock-floor.XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~Tree() { fs::remove_all(path); }
    void dir(const std::string& rel) const { fs::create_directories(path / rel); }
    fs::path path;
};

bool has(const std::vector<fs::path>& list, const fs::path& p) {
    return std::find(list.begin(), list.end(), p) != list.end();
}

}  // namespace

TEST_CASE("floor_entry_for finds an entry at any depth, and only whole components") {
    CHECK(floor_entry_for(".git/hooks/pre-commit", {}) == ".git/hooks");
    CHECK(floor_entry_for("a/b/.git/config", {}) == ".git/config");
    CHECK(floor_entry_for("deep/x/.bashrc", {}) == ".bashrc");
    CHECK(floor_entry_for(".vscode/tasks.json", {}) == ".vscode");
    CHECK(floor_entry_for(".airlock/policy.json", {}) == ".airlock");
    // Positive controls: near misses are not on the floor.
    CHECK_FALSE(floor_entry_for(".git/description", {}));
    CHECK_FALSE(floor_entry_for("src/bashrc", {}));
    CHECK_FALSE(floor_entry_for("my.vscode/x", {}));
    CHECK_FALSE(floor_entry_for(".gitignore", {}));
    CHECK_FALSE(floor_entry_for("hooks/.git", {}));
    // A lifted entry no longer matches; the others still do.
    CHECK_FALSE(floor_entry_for(".git/hooks/pre-commit", {".git/hooks"}));
    CHECK(floor_entry_for(".git/config", {".git/hooks"}) == ".git/config");
}

TEST_CASE("--unprotect names must be floor entries, and .airlock is never liftable") {
    CHECK(validate_unprotect({".git/hooks", ".vscode"}).ok());
    CHECK_FALSE(validate_unprotect({".git"}).ok());
    CHECK_FALSE(validate_unprotect({"../.bashrc"}).ok());
    const auto airlock = validate_unprotect({".airlock"});
    REQUIRE_FALSE(airlock.ok());
    CHECK(airlock.error().message.find("cannot be lifted") != std::string::npos);
}

TEST_CASE("plan_floor covers each root and nested projects within the scan depth") {
    Tree t;
    t.dir("a/.git/hooks");         // depth 1: a nested repository
    t.dir("x/y/.vscode");          // depth 2
    t.dir("p/q/r/s/.git");         // depth 4: beyond the scan
    t.dir("node_modules/m/.git");  // not scanned
    t.dir("src/lib");              // no marker: not a project
    const Floor floor = plan_floor({t.path}, {".envrc"});
    CHECK(floor.scan_complete);
    CHECK(has(floor.roots, t.path));
    CHECK(has(floor.roots, t.path / "a"));
    CHECK(has(floor.roots, t.path / "x/y"));
    CHECK_FALSE(has(floor.roots, t.path / "p/q/r/s"));
    CHECK_FALSE(has(floor.roots, t.path / "node_modules/m"));
    CHECK_FALSE(has(floor.roots, t.path / "src/lib"));
    CHECK(has(floor.paths, t.path / "a/.git/hooks"));
    CHECK(has(floor.paths, t.path / "x/y/.bashrc"));   // missing entries are covered too
    CHECK_FALSE(has(floor.paths, t.path / ".envrc"));  // lifted
    CHECK(to_json(floor)["lifted"] == nlohmann::json::array({".envrc"}));
}

TEST_CASE("plan_floor stops at its budget and says so") {
    Tree t;
    for (int i = 0; i < kFloorScanBudget + 10; ++i)
        t.dir("d" + std::to_string(i));
    const Floor floor = plan_floor({t.path}, {});
    CHECK_FALSE(floor.scan_complete);
    CHECK(to_json(floor)["scan"]["complete"] == false);
    CHECK(has(floor.paths, t.path / ".git/hooks"));  // the root itself is always covered
}

TEST_CASE(
    "resolve_profile_path: a protected path that comes and goes meanwhile is present or missing, "
    "never an error") {
    // Concurrent calls share a workspace: another sandbox's placeholder appears and is removed
    // while this call resolves its protected paths.
    Tree t;
    const fs::path flickering = t.path / ".agents";
    std::atomic<bool> stop{false};
    std::thread other([&] {
        while (!stop.load()) {
            std::ofstream(flickering).put('\0');
            ::unlink(flickering.c_str());
        }
    });
    int present = 0, missing = 0, errors = 0;
    std::string first_error;
    for (int i = 0; i < 20000; ++i) {
        auto r = resolve_profile_path(".agents", t.path, "", nullptr);
        if (!r) {
            if (errors++ == 0) first_error = r.error().describe();
            continue;
        }
        if (r->exists && r->path == flickering) ++present;
        if (!r->exists && r->first_missing && *r->first_missing == flickering) ++missing;
    }
    stop = true;
    other.join();
    INFO("first error: " << first_error);
    CHECK(errors == 0);
    CHECK(present + missing == 20000);

    // Positive control: a dangling symlink there is still refused (it would steer a placeholder).
    fs::create_symlink(t.path / "nowhere", flickering);
    auto dangling = resolve_profile_path(".agents", t.path, "", nullptr);
    REQUIRE_FALSE(dangling.ok());
    CHECK(dangling.error().message.find("cannot resolve") != std::string::npos);
}
