// Can this process's sandbox create a user namespace? bubblewrap needs one for every sandbox, and
// hosts refuse it in several ways: user.max_user_namespaces = 0 (possibly only in the user
// namespace airlock itself runs in), Debian's kernel.unprivileged_userns_clone = 0, AppArmor's
// kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 24.04 and later), a container's
// seccomp profile. The sysctls alone cannot tell, so the probe does what bwrap does first: a
// forked child (as the sandbox's own host user when airlock is root) calls
// unshare(CLONE_NEWUSER) and writes its uid map. The sysctls then explain a refusal.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace airlock::sandbox {

struct UsernsProbe {
    bool works = false;
    uid_t probed_as = 0;      // the uid the child ran the probe as
    std::string failed_call;  // "unshare(CLONE_NEWUSER)", "write /proc/self/uid_map", ...
    int err_no = 0;
    std::string why;      // works: what was shown; otherwise the reason, with a fix
    bool cached = false;  // works, as shown by an earlier probe since boot (not probed now)
    // The sysctls as read (nullopt: absent on this kernel).
    std::optional<long> max_user_namespaces;
    std::optional<long> unprivileged_userns_clone;
    std::optional<long> apparmor_restrict_unprivileged_userns;
};

// Probes as `uid`/`gid` (switching to them in the child when airlock is root). Not cached.
UsernsProbe probe_user_namespaces(uid_t uid, gid_t gid);

// What a successful probe depends on, as one line: the boot, airlock's own user namespace, the
// effective and probed ids, the kernel release and the three sysctls. A cached success is used
// only while every one of them is the same.
std::string userns_probe_key(uid_t uid, gid_t gid, const UsernsProbe& sysctls);

// probe_user_namespaces, with a success remembered in `cache_dir` (created 0700 when missing;
// empty: no cache): a file named for the ids holding the key, this user's own, not writable by
// anyone else. A failure is never cached (it is probed again, and explained, every time).
UsernsProbe probe_user_namespaces_cached(uid_t uid, gid_t gid,
                                         const std::filesystem::path& cache_dir);

// Where user_namespaces_for_sandbox keeps its cache: $XDG_RUNTIME_DIR/airlock when that is this
// user's own directory, else /run/airlock for root, else ${XDG_STATE_HOME:-~/.local/state}/
// airlock/probe (beside the sandbox homes); empty (no cache) when there is none of them. The
// key names the boot, so a file from an earlier boot is never used.
std::filesystem::path userns_probe_cache_dir();

// The probe for the identity bwrap's sandbox would have: this user, or as root the sandbox's
// host user (sandbox/host_identity.hpp). Once per process; a success is also cached per boot
// (probe_user_namespaces_cached), so that a call does not start a probe child.
const UsernsProbe& user_namespaces_for_sandbox();

nlohmann::json to_json(const UsernsProbe& probe);

}  // namespace airlock::sandbox
