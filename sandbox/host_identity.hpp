// Who the sandboxed process is on the host. When airlock runs as root, bwrap's user namespace
// would map the sandbox's user to host uid 0, which owns every root-only file: dropping
// capabilities does not stop an owner from reading its own files. So as root, the sandbox runs
// as a dedicated unprivileged host user instead, and the writable roots are shown to it through
// idmapped mounts (their owner appears as that user; what it creates belongs to the owner on
// disk). Directories on the way to a writable root that this user could not enter are replaced,
// in a private mount namespace, by an empty tmpfs holding just the way through: it hides only
// what the user could never have reached.
//
// This file builds that plan as plain data; sandbox/idmap.* applies it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "platform/result.hpp"

namespace airlock::sandbox {

// The sandbox's host identity when airlock runs as root. Debian reserves 65000-65533 for
// purposes like this one, so no account or file on the host should be owned by it.
inline constexpr uid_t kSandboxHostUid = 65533;
inline constexpr gid_t kSandboxHostGid = 65533;

struct IdmappedRoot {
    std::filesystem::path path;  // a writable root, absolute and resolved
    uid_t owner_uid = 0;         // shown to the sandbox user as its own
    gid_t owner_gid = 0;
};

struct HostIdentity {
    uid_t uid = kSandboxHostUid;
    gid_t gid = kSandboxHostGid;
    std::vector<IdmappedRoot> idmapped;
    // Shallowest directories the sandbox user cannot enter on the way to a writable root.
    std::vector<std::filesystem::path> masked;
    // The sandbox home (sandbox/home.hpp): its host directory, idmapped like a writable root,
    // shown at `home_dest` (the invoking user's home path), and the directories below that path
    // shown read-only over it at their own path (toolchains).
    std::optional<IdmappedRoot> home;
    std::filesystem::path home_dest;
    std::vector<std::pair<std::filesystem::path, std::filesystem::path>> read_only;  // from, at
};

// The plan for these writable roots (the first is the workspace). Error (stage "sandbox") when a
// root cannot be examined.
Result<HostIdentity> plan_host_identity(const std::vector<std::filesystem::path>& writable,
                                        uid_t uid = kSandboxHostUid, gid_t gid = kSandboxHostGid);

// True when `path` is inside a masked directory and not inside any writable root: the sandbox
// cannot see it at all.
bool unreachable(const HostIdentity& identity, const std::filesystem::path& path);

nlohmann::json to_json(const HostIdentity& identity);

}  // namespace airlock::sandbox
