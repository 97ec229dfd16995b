// Who the command is inside the sandbox, and where its home is. The sandbox user has a name, a
// passwd and a group entry of its own, and a HOME that is writable and persists across the calls
// of one workspace: a directory on the host kept for that workspace, never the real home, shown
// at the path of the invoking user's home (so tools that find their data through HOME, such as
// rustup or pyenv, find the toolchains bound there read-only).
//
// The paths and the generated files are plain data; ensure_workspace_home creates the directory.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include "platform/result.hpp"

namespace airlock::sandbox {

// The sandbox user as the command sees it (uid and gid inside the sandbox).
struct SandboxUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string group;
};

// The sandbox's home: where it lives on the host, and where the command sees it.
struct SandboxHome {
    std::filesystem::path host_dir;  // ${XDG_STATE_HOME:-~/.local/state}/airlock/homes/NAME-HASH
    std::filesystem::path path;      // HOME inside the sandbox
};

// "<workspace name>-<first 12 hex digits of the SHA-256 of its canonical path>" under
// `state_home`/airlock/homes. `state_home` is XDG_STATE_HOME when that is an absolute path, else
// `home`/.local/state.
std::filesystem::path workspace_home_dir(const std::filesystem::path& workspace,
                                         const std::filesystem::path& home,
                                         const std::string& xdg_state_home);

// Creates the directory (and its parents) if missing, 0700; an Error (stage "sandbox") when it
// cannot, or when a component of it is not a directory (a symlink included).
Result<void> ensure_workspace_home(const std::filesystem::path& dir);

// Makes each directory from `home` down to `mount_point` (which is inside it) as a real
// directory, refusing symlinks: where a later mount lands inside the persistent home is never
// decided by what a command left there.
Result<void> ensure_mount_point(const std::filesystem::path& home,
                                const std::filesystem::path& mount_point);

// The sandbox user: "airlock" as root (the sandbox runs as `uid`/`gid`, sandbox/host_identity.hpp),
// otherwise the invoking user's own name and group (falling back to "airlock" when it has none).
SandboxUser sandbox_user(bool airlock_is_root, uid_t uid, gid_t gid);

// Minimal passwd and group files: root, nobody/nogroup, and the sandbox user with its home.
// Nothing of the host's account database is copied.
std::string passwd_file(const SandboxUser& user, const std::filesystem::path& home);
std::string group_file(const SandboxUser& user);

// For an adapter that cannot show the home at the real home's path (seccomp): the variables
// that point the usual toolchains back at their directories under the real home (CARGO_HOME,
// RUSTUP_HOME, PYENV_ROOT, NVM_DIR), for those that exist there.
std::vector<std::pair<std::string, std::string>> toolchain_variables(
    const std::filesystem::path& real_home);

}  // namespace airlock::sandbox
