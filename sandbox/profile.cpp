#include "sandbox/profile.hpp"
#include "sandbox/path_list.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <system_error>

#include <nlohmann/json.hpp>

#include "platform/workspace_path.hpp"
#include "sandbox/landlock.hpp"
#include "sandbox/paths.hpp"
#include "sandbox/placeholders.hpp"
#include "sandbox/seatbelt.hpp"
#include "sandbox/userns_probe.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

std::string_view adapter_name(Adapter adapter) {
    switch (adapter) {
        case Adapter::none:
            return "none";
        case Adapter::bwrap:
            return "bwrap";
        case Adapter::seccomp:
            return "seccomp";
        case Adapter::seatbelt:
            return "seatbelt";
    }
    return "none";
}

std::optional<fs::path> find_bwrap() {
    for (const char* candidate : {"/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"}) {
        if (::access(candidate, X_OK) == 0) return fs::path(candidate);
    }
    return std::nullopt;
}

std::optional<std::string> bwrap_unavailable_reason() {
    if (!find_bwrap()) return "bubblewrap is not installed (fix: apt-get install bubblewrap)";
    // As root too: the sandbox then runs as an unprivileged user (sandbox/host_identity.hpp),
    // and that user must be able to create the namespace.
    const UsernsProbe& userns = user_namespaces_for_sandbox();
    if (!userns.works) return "user namespaces cannot be created: " + userns.why;
    return std::nullopt;
}

Result<AdapterChoice> choose_adapter(const SandboxRequest& request) {
    const std::string& want = request.adapter;
    if (want == "none") {
        if (request.required)
            return make_error("sandbox",
                              "sandbox \"none\" was requested but the policy requires a restricted "
                              "sandbox (sandbox.required is true)");
        return AdapterChoice{want, Adapter::none,
                             "requested, and the policy does not require a sandbox "
                             "(sandbox.required is false)"};
    }
    if (want == "bwrap") {
        if (auto reason = bwrap_unavailable_reason())
            return make_error("sandbox", "bwrap sandbox unavailable: " + *reason);
        return AdapterChoice{want, Adapter::bwrap,
                             "requested; " + user_namespaces_for_sandbox().why};
    }
    if (want == "seccomp") {
        const LandlockProbe landlock = probe_landlock();
        if (landlock.abi <= 0)
            return make_error("sandbox",
                              "the seccomp adapter needs Landlock to confine the "
                              "filesystem, and this kernel has none: " +
                                  landlock.reason);
        return AdapterChoice{
            want, Adapter::seccomp,
            "requested; Landlock ABI " + std::to_string(landlock.abi) + " confines the filesystem"};
    }
    if (want == "auto") {
        // The strongest adapter that works here, found by probing; never `none`.
        const auto bwrap = bwrap_unavailable_reason();
        if (!bwrap)
            return AdapterChoice{want, Adapter::bwrap,
                                 "bwrap is the strongest adapter and works here: " +
                                     user_namespaces_for_sandbox().why};
        const LandlockProbe landlock = probe_landlock();
        if (landlock.abi > 0)
            return AdapterChoice{want, Adapter::seccomp,
                                 "bwrap cannot work here (" + *bwrap +
                                     "); seccomp with Landlock ABI " +
                                     std::to_string(landlock.abi) + " is the next strongest"};
        if (::access(std::string(kSandboxExecPath).c_str(), X_OK) == 0)
            return AdapterChoice{want, Adapter::seatbelt,
                                 "macOS: " + std::string(kSandboxExecPath) + " is present"};
        return make_error("sandbox", "no sandbox adapter works on this host: bwrap: " + *bwrap +
                                         "; seccomp: no Landlock (" + landlock.reason +
                                         "). Run `airlock doctor` for fixes");
    }
    if (want == "seatbelt") {
        // Probed, not guessed from the OS name: seatbelt is wherever sandbox-exec is.
        if (::access(std::string(kSandboxExecPath).c_str(), X_OK) != 0)
            return make_error("sandbox", "the seatbelt adapter needs macOS's " +
                                             std::string(kSandboxExecPath) + ", not found here");
        return AdapterChoice{want, Adapter::seatbelt,
                             "requested; " + std::string(kSandboxExecPath) + " is present"};
    }
    return make_error("sandbox", "unknown sandbox adapter \"" + want +
                                     "\" (expected auto, bwrap, seccomp, seatbelt or none)");
}

nlohmann::json to_json(const std::string& requested, const Result<AdapterChoice>& choice) {
    if (!choice)
        return {{"requested", requested}, {"chosen", nullptr}, {"why", choice.error().describe()}};
    return {{"requested", choice->requested},
            {"chosen", adapter_name(choice->chosen)},
            {"why", choice->why}};
}

fs::path placeholder_lock_dir(const fs::path& workspace) {
    return workspace / ".airlock" / "placeholders";
}

namespace {

// Paths that are private inside the sandbox already (/tmp is a fresh tmpfs, /dev and /proc
// are new): masking the host's copy there is meaningless.
bool private_in_sandbox(const fs::path& path) {
    return is_within(path, "/tmp") || is_within(path, "/dev") || is_within(path, "/proc");
}

void set_env(std::vector<std::pair<std::string, std::string>>& env, const std::string& key,
             const std::string& value, bool replace = true) {
    for (auto& [k, v] : env) {
        if (k != key) continue;
        if (replace) v = value;
        return;
    }
    env.emplace_back(key, value);
    std::sort(env.begin(), env.end());
}

// Every directory above `path` lets other users through (the sandbox's user, as root).
bool reachable_by_others(const fs::path& path) {
    for (fs::path dir = path.parent_path();; dir = dir.parent_path()) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return false;
        if (dir == dir.root_path() || dir.empty()) return true;
    }
}

bool could_have_home(const SandboxRequest& request) {
    return !request.home_dir.empty() && request.home.is_absolute() &&
           request.home != request.home.root_path();
}

// bwrap finds a bind's source as the sandbox's user: as root, a home below a directory others
// cannot enter (a private mktemp -d) cannot be shown at its path; the command then keeps the
// host's HOME as the rest of the filesystem shows it (deny_read still hides what it names).
bool home_closed_to_sandbox_user(const SandboxRequest& request) {
    return request.airlock_is_root && !reachable_by_others(request.home);
}

bool wants_home(const SandboxRequest& request) {
    return could_have_home(request) && !home_closed_to_sandbox_user(request);
}

// The toolchain directories under the invoking user's home: where each is shown (its path
// under that home, as written) and what is shown there (its target, symlinks resolved).
Result<std::vector<std::pair<fs::path, fs::path>>> plan_toolchains(const SandboxRequest& request) {
    std::vector<std::pair<fs::path, fs::path>> out;
    for (const auto& spec : request.toolchains) {
        auto r = resolve_profile_path(spec, request.workspace, request.home);
        if (!r) return r.error();
        if (!r->exists || !r->is_directory) continue;
        fs::path at = spec.rfind("~/", 0) == 0 ? request.home / spec.substr(2) : fs::path(spec);
        at = at.lexically_normal();
        if (!at.has_filename()) at = at.parent_path();
        // Outside the home, a toolchain is seen as the rest of the host's filesystem is.
        if (!is_within(at, request.home) || at == request.home) continue;
        out.emplace_back(r->path, at);
    }
    return out;
}

}  // namespace

void set_proxy_port(Profile& p, int port) {
    p.proxy_port = port;
    const std::string url = "127.0.0.1:" + std::to_string(port);
    for (const char* key : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"})
        set_env(p.env, key, "http://" + url);
    for (const char* key : {"ALL_PROXY", "all_proxy"})
        set_env(p.env, key, "socks5h://" + url);
    // Under bwrap the loopback is the sandbox's own: not through the proxy. Under seccomp
    // nothing is reached but through the proxy (a loopback service the policy allows included).
    for (const char* key : {"NO_PROXY", "no_proxy"})
        set_env(p.env, key, p.adapter == Adapter::seccomp ? "" : "localhost,127.0.0.1,::1");
}

nlohmann::json proxy_json(const Profile& p) {
    nlohmann::json j = {{"host", "127.0.0.1"},
                        {"port", p.proxy_port > 0 ? nlohmann::json(p.proxy_port) : nullptr}};
    if (p.adapter != Adapter::seccomp) {
        // Made by airlock before bwrap starts, bwrap started inside it (sandbox/netns.hpp).
        j["namespace"] = "sandbox";
        j["namespace_made_by"] = "airlock: loopback only, the proxy listening on it";
        return j;
    }
    j["namespace"] = "host";
    if (p.proxy_port <= 0) j["port_chosen"] = "when the proxy listens (an ephemeral port)";
    LandlockSpec spec;
    spec.restrict_tcp = true;
    j["landlock_tcp"] = {
        {"handled",
         landlock_net_right_names(landlock_rights_for_abi(p.landlock_abi, spec).handled_net)},
        {"connect_tcp_ports", p.proxy_port > 0 ? nlohmann::json::array({p.proxy_port})
                                               : nlohmann::json::array({"the proxy's port"})},
        {"bind_tcp_ports", nlohmann::json::array()},
        {"note", "Landlock's rules name ports, not addresses"}};
    // The address: every connect(2) is put to airlock (exec/connect_supervisor.hpp).
    j["connect"] = "answered by airlock (seccomp user notification): the proxy's address only";
    return j;
}

Result<Profile> build_profile(const SandboxRequest& request, Adapter adapter) {
    if (request.workspace.empty() || !request.workspace.is_absolute())
        return make_error("sandbox", "workspace must be an absolute path");
    if (request.workspace == request.workspace.root_path())
        return make_error("sandbox", "the workspace cannot be the root directory");

    Profile p;
    p.adapter = adapter;
    p.network = request.network;
    p.network_proxy = request.network_proxy && !request.network;
    p.workspace = request.workspace;
    p.cwd = request.cwd.empty() ? request.workspace : request.cwd;
    p.env = request.env;
    p.writable.push_back(request.workspace);
    // The workspace is canonical (SandboxRequest): when it is a directory, the paths below
    // need not resolve it again. (A missing one has nothing below it to protect.)
    CanonicalCache resolved;
    if (std::error_code ec; fs::is_directory(request.workspace, ec))
        resolved.emplace(request.workspace, request.workspace);
    for (const auto& spec : request.writable_roots) {
        // A writable root that is a symlink is bound at its target, never at the link.
        auto root = resolve_profile_path(spec, request.workspace, request.home, &resolved);
        if (!root) return root.error();
        if (!root->exists || !root->is_directory)
            return make_error("sandbox",
                              "writable root \"" + spec + "\" is not an existing directory");
        if (root->path == root->path.root_path())
            return make_error("sandbox", "the root directory cannot be a writable root");
        add_unique(p.writable, root->path);
    }
    const fs::path lock_dir = placeholder_lock_dir(request.workspace);
    // Another sandbox's placeholder is blocked here too; so is one removed since it was seen
    // (its call ended meanwhile): bound read-only, a path that is gone would fail bwrap.
    auto placeholder_or_gone = [&](const fs::path& path) {
        std::error_code ec;
        return is_known_placeholder(lock_dir, path) || !fs::exists(fs::symlink_status(path, ec));
    };
    // A protected path that exists is bound read-only; a missing one is blocked at its first
    // missing component, so that it cannot be created.
    auto protect = [&](const ResolvedPath& r) {
        if (r.exists) {
            if (!inside_any(r.path, p.writable)) return;  // read-only already
            if (placeholder_or_gone(r.path))
                add_unique(p.blocked, r.path);
            else
                add_unique(p.read_only, r.path);
            return;
        }
        const fs::path missing = *r.first_missing;
        // Below a writable root only (a root that does not exist has nothing to protect).
        if (!inside_any(missing, p.writable) ||
            std::find(p.writable.begin(), p.writable.end(), missing) != p.writable.end())
            return;
        std::error_code ec;
        if (const fs::path holder = missing.parent_path();
            !resolved.count(holder) && !fs::is_directory(holder, ec)) {
            // `.git` is a file: another sandbox's placeholder (blocked here too), or a
            // worktree's or submodule's pointer, kept read-only so it cannot be replaced.
            add_unique(placeholder_or_gone(holder) ? p.blocked : p.read_only, holder);
            return;
        }
        add_unique(p.blocked, missing);
    };
    for (const auto& spec : request.protected_paths) {
        // A relative protected path applies inside every writable root.
        std::vector<fs::path> bases;
        if (fs::path(spec).is_relative() && spec.rfind("~", 0) != 0)
            bases = p.writable;
        else
            bases = {request.workspace};
        for (const auto& base : bases) {
            auto r = resolve_profile_path(spec, base, request.home, &resolved);
            if (!r) return r.error();
            protect(*r);
        }
    }
    // The floor, whatever the policy says (sandbox/floor.hpp).
    if (auto lifted = validate_unprotect(request.unprotect); !lifted) return lifted.error();
    p.floor = plan_floor(p.writable, request.unprotect);
    for (const auto& path : p.floor.paths) {
        // Most entries are one missing name right below a root resolved already: there is
        // nothing to follow, and the general resolution's path arithmetic would be most of the
        // floor's cost. Anything else (an entry that exists, a deeper one) takes the general way.
        if (const auto holder = resolved.find(path.parent_path()); holder != resolved.end()) {
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
                const fs::path missing = holder->second / path.filename();
                protect(ResolvedPath{missing, false, false, missing});
                continue;
            }
        }
        auto r = resolve_profile_path(path.string(), request.workspace, request.home, &resolved);
        if (!r) return r.error();
        protect(*r);
    }
    for (const auto& spec : request.deny_read) {
        auto r = resolve_profile_path(spec, request.workspace, request.home, &resolved);
        if (!r) return r.error();
        // Nothing to read there; and under bwrap, /tmp, /dev and /proc are the sandbox's own.
        if (!r->exists || (adapter == Adapter::bwrap && private_in_sandbox(r->path))) continue;
        // Under bwrap the real home is covered by the sandbox's own: nothing of it to hide but
        // what is shown again inside it (a workspace, a toolchain).
        if (adapter == Adapter::bwrap && wants_home(request) && is_within(r->path, request.home) &&
            !inside_any(r->path, p.writable)) {
            auto toolchains = plan_toolchains(request);
            if (!toolchains) return toolchains.error();
            const bool shown =
                std::any_of(toolchains->begin(), toolchains->end(),
                            [&](const auto& t) { return is_within(r->path, t.second); });
            if (!shown) continue;
        }
        add_unique(p.hidden, r->path);
    }

    if (adapter == Adapter::none) {
        p.new_session = true;
        p.die_with_parent = false;
        p.drop_capabilities = false;
        p.no_new_privs = false;
        p.network = true;
        p.read_only.clear();
        p.blocked.clear();
        p.hidden.clear();
        return p;
    }

    if (p.network_proxy && adapter == Adapter::seatbelt)
        return make_error("sandbox",
                          "the seatbelt adapter cannot confine the network to airlock's proxy "
                          "(the policy's network allow list needs bwrap, or seccomp with Landlock "
                          "ABI " +
                              std::to_string(kLandlockTcpAbi) + ")");
    if (adapter == Adapter::seatbelt) {
        // sandbox-exec confines with its own profile (seatbelt.cpp): no namespaces, no seccomp.
        p.drop_capabilities = false;
        p.no_new_privs = false;
        return p;
    }
    p.seccomp = true;
    if (adapter == Adapter::seccomp) {
        // Landlock grants and never carves out: what it cannot give, it must not pretend to.
        if (!p.hidden.empty())
            return make_error("sandbox", "the seccomp adapter cannot hide deny_read path \"" +
                                             p.hidden.front().string() + "\" (use bwrap)");
        std::vector<fs::path> carve = p.blocked;
        for (const auto& r : p.read_only)
            if (r != request.workspace / ".airlock") carve.push_back(r);
        if (!carve.empty()) {
            const fs::path& first = carve.front();
            const bool on_floor = std::any_of(
                p.floor.paths.begin(), p.floor.paths.end(),
                [&](const fs::path& f) { return is_within(f, first) || is_within(first, f); });
            return make_error(
                "sandbox",
                "the seccomp adapter cannot keep protected path \"" + first.string() +
                    "\" read-only inside a writable root (use bwrap" +
                    (on_floor ? "; it is on the protection floor, which only --unprotect ENTRY "
                                "lifts: see docs/SANDBOX.md)"
                              : ")"));
        }
        p.landlock_abi = probe_landlock().abi;
        if (p.network_proxy) {
            // Without a network namespace, only Landlock's TCP rules keep the command to the
            // proxy: never an open network where they are missing.
            if (p.landlock_abi < kLandlockTcpAbi)
                return make_error(
                    "sandbox",
                    "the seccomp adapter confines the network to airlock's proxy with Landlock's "
                    "TCP rules, which need Landlock ABI " +
                        std::to_string(kLandlockTcpAbi) + " (Linux 6.7); this kernel has " +
                        (p.landlock_abi > 0 ? "ABI " + std::to_string(p.landlock_abi)
                                            : std::string("no Landlock")) +
                        " (use bwrap, or \"network\": \"off\")");
            set_proxy_port(p, 0);  // known once the proxy listens
        }
        p.read_only.clear();  // reported honestly: .airlock is writable under this adapter
        p.home_unavailable = request.home_unavailable;
        if (wants_home(request)) {
            // No mount namespace: the home is seen at its host path, writable through Landlock;
            // toolchains found through HOME are pointed back at the real home's (read-only).
            p.home = SandboxHome{request.home_dir, request.home_dir};
            set_env(p.env, "HOME", request.home_dir.string());
            for (const auto& [key, value] : toolchain_variables(request.home))
                set_env(p.env, key, value, false);
        }
        if (!request.network && request.local_sockets)
            p.local_sockets_refused =
                "the seccomp adapter has no network namespace of its own to keep the sandbox's "
                "sockets from the host's, so socket() stays refused (use bwrap for local sockets)";
        return p;
    }
    if (request.airlock_is_root) {
        auto identity = plan_host_identity(p.writable);
        if (!identity) return identity.error();
        p.identity = std::move(identity).value();
    }
    p.namespaces = {"user", "pid", "ipc", "uts", "cgroup"};
    if (!request.network) p.namespaces.push_back("net");
    // The proxy is reached on a loopback port of the sandbox's own namespace.
    p.local_sockets = !request.network && (request.local_sockets || p.network_proxy);
    if (p.network_proxy) set_proxy_port(p, kProxyPort);
    p.local_unix_sockets = p.local_sockets && request.local_unix_sockets;
    std::vector<std::pair<fs::path, fs::path>> toolchains;
    if (!request.home_unavailable.empty()) {
        p.home_unavailable = request.home_unavailable;
    } else if (could_have_home(request) && home_closed_to_sandbox_user(request)) {
        p.home_unavailable = "a directory above " + request.home.string() +
                             " is closed to other users, so the sandbox home cannot be shown there";
    } else if (wants_home(request)) {
        auto planned = plan_toolchains(request);
        if (!planned) return planned.error();
        toolchains = std::move(planned).value();
        p.home = SandboxHome{request.home_dir, request.home};
        for (const auto& t : toolchains)
            p.toolchains.push_back(t.second);
        if (p.identity) {
            // As root the home and the toolchains in root's home are attached before bwrap starts
            // (sandbox/idmap.hpp); bwrap then binds them where they already are.
            struct stat st {};
            if (::stat(request.home_dir.c_str(), &st) == 0) {
                p.identity->home = IdmappedRoot{request.home_dir, st.st_uid, st.st_gid};
            } else {
                // Not created yet (--dry-run): owned by airlock's user once it is.
                p.identity->home = IdmappedRoot{request.home_dir, ::geteuid(), ::getegid()};
            }
            p.identity->home_dest = request.home;
            p.identity->read_only = toolchains;
        }
        const uid_t uid = p.identity ? p.identity->uid : ::getuid();
        const gid_t gid = p.identity ? p.identity->gid : ::getgid();
        p.user = sandbox_user(request.airlock_is_root, uid, gid);
        set_env(p.env, "HOME", request.home.string());
        set_env(p.env, "USER", p.user->name);
        set_env(p.env, "LOGNAME", p.user->name);
    }
    p.mounts.push_back({"ro-bind", "/", "/"});
    p.mounts.push_back({"dev", {}, "/dev"});
    p.mounts.push_back({"proc", {}, "/proc"});
    p.mounts.push_back({"tmpfs", {}, "/tmp"});
    // Everything below stacks on the read-only root. bwrap applies operations in order and a
    // later mount covers an earlier one, so shallower paths go first: a hidden directory that
    // contains the workspace is masked before the workspace is bound back into it, and a
    // protected path inside the workspace is bound read-only after the workspace.
    std::vector<MountOp> layered;
    if (p.home) {
        layered.push_back({"bind", p.identity ? p.home->path : p.home->host_dir, p.home->path});
        for (const auto& [from, at] : toolchains)
            layered.push_back({"ro-bind", p.identity ? at : from, at});
        layered.push_back({"ro-bind-data", {}, "/etc/passwd", passwd_file(*p.user, p.home->path)});
        layered.push_back({"ro-bind-data", {}, "/etc/group", group_file(*p.user)});
    }
    if (p.local_unix_sockets) {
        // Host unix sockets live here: the sandbox gets empty ones of its own.
        layered.push_back({"tmpfs", {}, "/run"});
        const fs::path& runtime = request.runtime_dir;
        std::error_code ec;
        if (runtime.is_absolute() && fs::is_directory(runtime, ec) && !is_within(runtime, "/run") &&
            !is_within(runtime, "/tmp") && !(p.home && is_within(runtime, p.home->path)))
            layered.push_back({"tmpfs", {}, runtime});
    }
    for (const auto& w : p.writable)
        layered.push_back({"bind", w, w});
    // rename(2) refuses to move a mount point (EBUSY). Binding each directory between a writable
    // root and a protected path onto itself (still writable) pins it in place, so `mv .git x`
    // cannot carry .git/hooks away and leave a fresh, writable .git/hooks behind.
    std::vector<fs::path> pinned;
    auto pin_ancestors = [&](const fs::path& protected_path) {
        for (const auto& w : p.writable) {
            if (!is_within(protected_path, w) || protected_path == w) continue;
            for (fs::path a = protected_path.parent_path(); a != w && is_within(a, w);
                 a = a.parent_path()) {
                if (std::find(pinned.begin(), pinned.end(), a) == pinned.end()) pinned.push_back(a);
            }
        }
    };
    for (const auto& r : p.read_only)
        pin_ancestors(r);
    for (const auto& b : p.blocked)
        pin_ancestors(b);
    for (const auto& a : pinned)
        layered.push_back({"bind", a, a});
    for (const auto& r : p.read_only) {
        std::error_code ec;
        if (fs::exists(r, ec)) layered.push_back({"ro-bind", r, r});
    }
    for (const auto& b : p.blocked)
        layered.push_back({"ro-bind", "/dev/null", b});
    std::vector<fs::path> hidden_dirs;
    for (const auto& h : p.hidden) {
        std::error_code ec;
        if (fs::is_directory(h, ec)) {
            layered.push_back({"tmpfs", {}, h});
            hidden_dirs.push_back(h);
        } else {
            layered.push_back({"ro-bind", "/dev/null", h});
        }
    }
    if (p.identity) {
        // What lies in a masked directory is out of the sandbox user's reach already (and its
        // mount point could not be made there).
        std::erase_if(layered, [&](const MountOp& m) { return unreachable(*p.identity, m.dest); });
        std::erase_if(hidden_dirs, [&](const fs::path& h) { return unreachable(*p.identity, h); });
    }
    auto depth = [](const fs::path& path) { return std::distance(path.begin(), path.end()); };
    std::stable_sort(layered.begin(), layered.end(), [&](const MountOp& a, const MountOp& b) {
        return depth(a.dest) < depth(b.dest);
    });
    p.mounts.insert(p.mounts.end(), layered.begin(), layered.end());
    // Hidden directories become read-only last, once everything mounted inside them is there.
    for (const auto& h : hidden_dirs)
        p.mounts.push_back({"remount-ro", {}, h});
    return p;
}

namespace {

// Who the sandboxed process is on the host: what file permissions it meets outside the sandbox.
nlohmann::json host_user(const Profile& p) {
    if (p.identity) {
        nlohmann::json j = to_json(*p.identity);
        j["why"] = "airlock runs as root; the sandbox runs as an unprivileged user";
        return j;
    }
    return {{"uid", ::getuid()}, {"gid", ::getgid()}};
}

// Who the command is and where its home is, inside the sandbox.
nlohmann::json identity_json(const Profile& p) {
    nlohmann::json j = nlohmann::json::object();
    if (p.user)
        j["user"] = {{"name", p.user->name},
                     {"uid", p.user->uid},
                     {"gid", p.user->gid},
                     {"passwd", "generated (root, nobody and this user)"}};
    if (!p.home && !p.home_unavailable.empty())
        j["home"] = {{"provided", false}, {"why", p.home_unavailable}};
    if (p.home) {
        nlohmann::json toolchains = nlohmann::json::array();
        for (const auto& t : p.toolchains)
            toolchains.push_back(t.string());
        j["home"] = {{"path", p.home->path.string()},
                     {"on_host", p.home->host_dir.string()},
                     {"persistent", "per workspace"},
                     {"real_home", p.home->path == p.home->host_dir ? "read-only" : "not visible"},
                     {"toolchains_read_only", toolchains}};
    }
    return j;
}

std::string bwrap_sockets(const Profile& p) {
    if (p.network) return "any";
    if (p.local_unix_sockets)
        return "unix, inet and inet6 in the sandbox's own network namespace (loopback only); "
               "private /run, /tmp, XDG_RUNTIME_DIR and home";
    if (p.local_sockets)
        return "inet and inet6 in the sandbox's own network namespace (loopback only); no "
               "AF_UNIX (socketpair only)";
    return "none (socketpair only)";
}

}  // namespace

nlohmann::json effective(const Profile& p) {
    nlohmann::json writable = nlohmann::json::array();
    for (const auto& w : p.writable)
        writable.push_back(w.string());
    nlohmann::json read_only = nlohmann::json::array();
    for (const auto& r : p.read_only)
        read_only.push_back(r.string());
    for (const auto& b : p.blocked)
        read_only.push_back(b.string());
    nlohmann::json hidden = nlohmann::json::array();
    for (const auto& h : p.hidden)
        hidden.push_back(h.string());
    const bool confined = p.adapter != Adapter::none;
    if (p.adapter == Adapter::seatbelt) {
        return {{"filesystem",
                 {{"root", "read-only (seatbelt)"},
                  {"writable", writable},
                  {"read_only", read_only},
                  {"hidden", hidden},
                  {"floor", to_json(p.floor)}}},
                {"network", p.network         ? "on"
                            : p.network_proxy ? "proxy"
                                              : "off"},
                {"seccomp", false},
                {"namespaces", nlohmann::json::array()},
                {"capabilities", "inherited"},
                {"no_new_privs", false}};
    }
    if (p.adapter == Adapter::seccomp) {
        nlohmann::json e = {
            {"filesystem",
             {{"root", "read-only (landlock)"},
              {"writable", writable},
              {"landlock_abi", p.landlock_abi},
              {"wal_protected", false},
              {"floor", to_json(p.floor)},
              {"dev", "null, zero, full, random, urandom only"},
              {"tmp", "shared with the host, read-only"}}},
            {"network", p.network         ? "on"
                        : p.network_proxy ? "proxy"
                                          : "off"},
            {"identity", identity_json(p)},
            {"seccomp",
             {{"filter", "airlock-default"},
              {"sockets", p.network ? "any"
                          : p.network_proxy
                              ? "TCP only (AF_INET, AF_INET6; no UDP, raw, MPTCP or SCTP, no TCP "
                                "Fast Open, no listen; not AF_UNIX)"
                          : p.local_sockets_refused.empty()
                              ? "none (not even AF_UNIX)"
                              : "none (not even AF_UNIX): " + p.local_sockets_refused},
              {"mode_changes", "refused"},
              {"process_groups", "refused"},
              {"foreign_arch", "killed"}}},
            {"namespaces", nlohmann::json::array()},
            {"capabilities", "none"},
            {"no_new_privs", true},
            {"host_user", host_user(p)},
        };
        if (p.network_proxy) e["proxy"] = proxy_json(p);
        return e;
    }
    return {
        {"filesystem", confined ? nlohmann::json{{"root", "read-only"},
                                                 {"writable", writable},
                                                 {"read_only", read_only},
                                                 {"hidden", hidden},
                                                 {"floor", to_json(p.floor)},
                                                 {"tmp", "private"}}
                                : nlohmann::json{{"root", "unrestricted"}}},
        {"network", p.network         ? "on"
                    : p.network_proxy ? "proxy"
                                      : "off"},
        {"seccomp", p.seccomp ? nlohmann::json{{"filter", "airlock-default"},
                                               {"sockets", bwrap_sockets(p)},
                                               {"foreign_arch", "killed"}}
                              : nlohmann::json(false)},
        {"identity", identity_json(p)},
        {"namespaces", p.namespaces},
        {"capabilities", p.drop_capabilities ? "none" : "inherited"},
        {"no_new_privs", p.no_new_privs},
        {"host_user", host_user(p)},
    };
}

nlohmann::json to_json(const Profile& p) {
    nlohmann::json mounts = nlohmann::json::array();
    for (const auto& m : p.mounts) {
        nlohmann::json j = {{"op", m.op}, {"dest", m.dest.string()}};
        if (!m.source.empty()) j["source"] = m.source.string();
        if (m.op == "ro-bind-data") j["data"] = m.data;
        mounts.push_back(j);
    }
    nlohmann::json env_keys = nlohmann::json::array();
    for (const auto& [k, v] : p.env)
        env_keys.push_back(k);
    return {{"adapter", adapter_name(p.adapter)},
            {"workspace", p.workspace.string()},
            {"cwd", p.cwd.string()},
            {"mounts", mounts},
            {"env_keys", env_keys},
            {"new_session", p.new_session},
            {"die_with_parent", p.die_with_parent},
            {"host_identity", p.identity ? to_json(*p.identity) : nlohmann::json(nullptr)},
            {"effective", effective(p)}};
}

}  // namespace airlock::sandbox
