// The protection floor: paths that stay read-only inside every writable root whatever the
// policy layers say, because something on the host runs what they hold later (git hooks and
// config, editors' and agents' project settings, shell startup files) or because they are
// airlock's own evidence (.airlock/). A policy can add protected paths; no layer can take one
// of these away. Only the command line can lift one, by naming it (`--unprotect PATH`), and the
// lift is shown in `effective` and recorded in the WAL.
//
// This file is data and matching only: which paths, where they are found below a writable root,
// and whether a workspace-relative path falls under one. build_profile turns the result into
// read-only binds and blocked placeholders like any protected path (rename-proof through the
// same pinned ancestors).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platform/result.hpp"

namespace airlock::sandbox {

struct FloorEntry {
    std::string_view path;  // relative to a writable root or to a nested project directory
    std::string_view why;
};

// Every entry of the floor, in a fixed order.
const std::vector<FloorEntry>& floor_entries();

// How deep below a writable root nested projects (a directory holding .git, .vscode, ...) are
// looked for, and how many directories one scan may read before it stops.
inline constexpr int kFloorScanDepth = 3;
inline constexpr int kFloorScanBudget = 4096;

// What the floor covers for one call: each path absolute, and the entries the command line
// lifted.
struct Floor {
    std::vector<std::string> lifted;           // entries lifted with --unprotect
    std::vector<std::filesystem::path> roots;  // writable roots and nested project dirs
    std::vector<std::filesystem::path> paths;  // every entry below every root, absolute
    bool scan_complete = true;                 // false: the budget ran out (reported)
};

// Checks the names given to --unprotect: each must be an entry of the floor.
Result<void> validate_unprotect(const std::vector<std::string>& lifted);

// The floor for these writable roots: the entries (less the lifted ones) below each root and
// below each nested project directory found within kFloorScanDepth levels (symlinks are not
// followed; the scan never leaves a root).
Floor plan_floor(const std::vector<std::filesystem::path>& writable_roots,
                 const std::vector<std::string>& lifted);

// The floor entry a workspace-relative path falls under (at any depth: `a/b/.git/hooks/x` is
// under `.git/hooks`), or nullopt. For file tools, which airlock runs itself.
std::optional<std::string> floor_entry_for(const std::filesystem::path& relative,
                                           const std::vector<std::string>& lifted);

nlohmann::json to_json(const Floor& floor);

}  // namespace airlock::sandbox
