#include "sandbox/host_identity.hpp"

#include <sys/stat.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "platform/workspace_path.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

// Search permission for uid/gid by the mode bits (no supplementary groups: the sandbox user
// has none).
bool can_enter(const struct stat& st, uid_t uid, gid_t gid) {
    if (st.st_uid == uid) return (st.st_mode & S_IXUSR) != 0;
    if (st.st_gid == gid) return (st.st_mode & S_IXGRP) != 0;
    return (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

Result<HostIdentity> plan_host_identity(const std::vector<fs::path>& writable, uid_t uid,
                                        gid_t gid) {
    HostIdentity identity;
    identity.uid = uid;
    identity.gid = gid;
    for (const auto& root : writable) {
        // A root inside another one is reached through the outer one's idmapped mount.
        const bool nested = std::any_of(writable.begin(), writable.end(), [&](const fs::path& o) {
            return o != root && is_within(root, o);
        });
        if (nested) continue;
        struct stat st {};
        if (::stat(root.c_str(), &st) != 0)
            return sys_error("sandbox", "cannot examine writable root \"" + root.string() + "\"",
                             "stat");
        identity.idmapped.push_back({root, st.st_uid, st.st_gid});
        // Each proper ancestor, from "/" down: the first one the sandbox user cannot enter is
        // masked (everything below it was out of its reach anyway).
        fs::path ancestor = root.root_path();
        for (auto it = std::next(root.begin()); it != root.end(); ancestor /= *it++) {
            struct stat ast {};
            if (::stat(ancestor.c_str(), &ast) != 0)
                return sys_error("sandbox", "cannot examine \"" + ancestor.string() + "\"", "stat");
            if (can_enter(ast, uid, gid)) continue;
            const bool covered =
                std::any_of(identity.masked.begin(), identity.masked.end(),
                            [&](const fs::path& m) { return is_within(ancestor, m); });
            if (!covered) identity.masked.push_back(ancestor);
            break;
        }
    }
    return identity;
}

bool unreachable(const HostIdentity& identity, const fs::path& path) {
    if (identity.home && is_within(path, identity.home_dest)) return false;
    const bool in_masked = std::any_of(identity.masked.begin(), identity.masked.end(),
                                       [&](const fs::path& m) { return is_within(path, m); });
    if (!in_masked) return false;
    return std::none_of(identity.idmapped.begin(), identity.idmapped.end(),
                        [&](const IdmappedRoot& r) { return is_within(path, r.path); });
}

nlohmann::json to_json(const HostIdentity& identity) {
    nlohmann::json idmapped = nlohmann::json::array();
    for (const auto& r : identity.idmapped)
        idmapped.push_back(
            {{"path", r.path.string()}, {"owner_uid", r.owner_uid}, {"owner_gid", r.owner_gid}});
    nlohmann::json masked = nlohmann::json::array();
    for (const auto& m : identity.masked)
        masked.push_back(m.string());
    nlohmann::json j = {
        {"uid", identity.uid}, {"gid", identity.gid}, {"idmapped", idmapped}, {"masked", masked}};
    if (identity.home) {
        nlohmann::json read_only = nlohmann::json::array();
        for (const auto& [from, at] : identity.read_only)
            read_only.push_back({{"path", from.string()}, {"shown_at", at.string()}});
        j["home"] = {{"path", identity.home->path.string()},
                     {"shown_at", identity.home_dest.string()},
                     {"owner_uid", identity.home->owner_uid},
                     {"owner_gid", identity.home->owner_gid},
                     {"read_only", read_only}};
    }
    return j;
}

}  // namespace airlock::sandbox
