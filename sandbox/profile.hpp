// A sandbox profile is plain data: built first, printed with --dry-run --json, then applied.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include <nlohmann/json_fwd.hpp>

#include "platform/result.hpp"
#include "sandbox/floor.hpp"
#include "sandbox/home.hpp"
#include "sandbox/host_identity.hpp"

namespace airlock::sandbox {

enum class Adapter { none, bwrap, seccomp, seatbelt };

std::string_view adapter_name(Adapter adapter);

// Where placeholder locks live: "<workspace>/.airlock/placeholders".
std::filesystem::path placeholder_lock_dir(const std::filesystem::path& workspace);

// What the caller (policy + call) asks of the sandbox.
struct SandboxRequest {
    std::string adapter = "auto";  // auto | bwrap | seccomp | seatbelt | none
    bool required = true;          // a restricted adapter is mandatory
    bool network = false;
    // The network goes through airlock's proxy only (policy "network": {...}): the command has
    // an empty network namespace and reaches the proxy on a loopback port there.
    bool network_proxy = false;
    std::filesystem::path workspace;           // canonical, absolute
    std::filesystem::path cwd;                 // absolute, inside the workspace
    std::vector<std::string> writable_roots;   // besides the workspace (as the policy gives them)
    std::vector<std::string> deny_read;        // hidden inside the sandbox
    std::vector<std::string> protected_paths;  // read-only even inside writable roots
    std::vector<std::string> unprotect;        // floor entries lifted on the command line
    std::filesystem::path home;                // for "~/" in the lists above
    std::vector<std::pair<std::string, std::string>> env;  // the child's whole environment
    // As root, bwrap's sandbox runs as an unprivileged host user (sandbox/host_identity.hpp).
    bool airlock_is_root = ::geteuid() == 0;
    // The sandbox's persistent home on the host (sandbox/home.hpp); empty: no home of its own.
    std::filesystem::path home_dir;
    // Why there is no home_dir although HOME is set (it could not be created), for `effective`.
    std::string home_unavailable;
    // With the network off, sockets among the sandbox's own processes: loopback IP, and with
    // local_unix_sockets AF_UNIX too (policy "local_sockets": "on" | "unix" | "off").
    bool local_sockets = true;
    bool local_unix_sockets = false;
    std::vector<std::string> toolchains;  // bound read-only at the same path ("~/" forms allowed)
    std::filesystem::path runtime_dir;    // XDG_RUNTIME_DIR of airlock's environment, if any
};

// One filesystem setup operation, in the order it is applied.
struct MountOp {
    MountOp() = default;
    MountOp(std::string op_, std::filesystem::path source_, std::filesystem::path dest_,
            std::string data_ = {})
        : op(std::move(op_)),
          source(std::move(source_)),
          dest(std::move(dest_)),
          data(std::move(data_)) {}
    std::string op;  // "ro-bind", "bind", "dev", "proc", "tmpfs", "remount-ro", "ro-bind-data"
    std::filesystem::path source;  // empty for dev/proc/tmpfs/ro-bind-data
    std::filesystem::path dest;
    std::string data;  // ro-bind-data: the file's content (generated, never a secret)
};

struct Profile {
    Adapter adapter = Adapter::none;
    bool network = false;
    bool network_proxy = false;  // see SandboxRequest::network_proxy
    // network_proxy: the loopback port the proxy listens on. Under bwrap, in the network
    // namespace airlock makes for the call (sandbox/netns.hpp; "net" in `namespaces`, though
    // bwrap is started inside it rather than asked to unshare it). Under the seccomp adapter on
    // the host's 127.0.0.1: an ephemeral port, 0 here until the proxy listens (set_proxy_port),
    // and Landlock lets TCP connect to that port only.
    int proxy_port = 0;
    std::filesystem::path workspace;
    std::filesystem::path cwd;
    std::vector<std::filesystem::path> writable;   // read-write inside the sandbox
    std::vector<std::filesystem::path> read_only;  // read-only even though under a writable root
    std::vector<std::filesystem::path> blocked;    // missing protected paths: cannot be created
    std::vector<std::filesystem::path> hidden;     // deny-read: empty inside the sandbox
    std::vector<MountOp> mounts;
    std::vector<std::string> namespaces;  // "user", "pid", "ipc", "uts", "cgroup", "net"
    bool new_session = true;
    bool die_with_parent = true;
    bool drop_capabilities = true;
    bool no_new_privs = true;
    bool seccomp = false;  // airlock's seccomp filter is installed in the sandboxed process
    int landlock_abi = 0;  // seccomp adapter: the Landlock ABI its ruleset uses
    std::vector<std::pair<std::string, std::string>> env;
    std::optional<HostIdentity> identity;  // bwrap as root: who the sandbox is on the host
    Floor floor;                           // the protection floor (sandbox/floor.hpp)
    std::optional<SandboxUser> user;       // bwrap: the name, passwd and group entries
    std::optional<SandboxHome> home;       // the writable, persistent HOME
    std::string home_unavailable;          // why there is no sandbox home, when there is none
    std::vector<std::filesystem::path> toolchains;  // bound read-only at the same path
    // Network off: loopback IP sockets (and AF_UNIX with local_unix_sockets) allowed in the
    // sandbox's own network namespace.
    bool local_sockets = false;
    bool local_unix_sockets = false;
    std::string local_sockets_refused;  // why the adapter cannot allow them, when asked
};

// Where the bwrap binary is: a fixed system path, never a PATH lookup (a writable PATH entry
// must not be able to replace the sandbox).
std::optional<std::filesystem::path> find_bwrap();

// The loopback port inside the sandbox's network namespace where the proxy is reached.
inline constexpr int kProxyPort = 3128;

// network_proxy: the port the command reaches the proxy on (127.0.0.1), and the proxy variables
// that name it (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY and their lowercase forms).
void set_proxy_port(Profile& profile, int port);

// network_proxy: where the proxy is reached and, under the seccomp adapter, the Landlock TCP
// rules that keep the command to it ({host, port, namespace, landlock_tcp?}); port is null
// while it is not known yet.
nlohmann::json proxy_json(const Profile& profile);

// Why bwrap cannot work on this host, or nullopt when it can be tried.
std::optional<std::string> bwrap_unavailable_reason();

// Which adapter a request gets, and why: plain data, shown as effective.adapter_choice in
// --dry-run --json output, in the WAL (run_started, sandbox_prepared) and by `airlock doctor`.
struct AdapterChoice {
    std::string requested;  // as asked: auto, bwrap, seccomp, seatbelt or none
    Adapter chosen = Adapter::none;
    std::string why;
};

// Resolves "auto" and checks that an explicitly named adapter can run here. Returns an Error
// (stage "sandbox") when the requested confinement cannot be given: the call must not run. An
// explicitly requested adapter is never replaced by another.
Result<AdapterChoice> choose_adapter(const SandboxRequest& request);

// {requested, chosen, why}; for a refusal, chosen is null and why is the error.
nlohmann::json to_json(const std::string& requested, const Result<AdapterChoice>& choice);

Result<Profile> build_profile(const SandboxRequest& request, Adapter adapter);

// The facts that are enforced, for results and the WAL ({filesystem, network, ...}).
nlohmann::json effective(const Profile& profile);

// The profile for --dry-run --json. Lists env keys only, never values.
nlohmann::json to_json(const Profile& profile);

}  // namespace airlock::sandbox
