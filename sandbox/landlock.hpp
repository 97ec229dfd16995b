// Landlock filesystem rules: read everywhere listed, read-write only under writable roots; and,
// from ABI 4, TCP rules: no bind at all, connect only to the listed ports.
// The ruleset is built in the parent from plain data (a file descriptor comes out) and applied
// by the child to itself between fork and exec with an async-signal-safe call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::sandbox {

// What this kernel offers. abi == 0 means Landlock is unavailable and `reason` says why.
struct LandlockProbe {
    int abi = 0;
    std::string reason;
};

LandlockProbe probe_landlock();

struct LandlockSpec {
    // Absolute, already resolved paths (no symlinks): read and execute beneath them.
    // Typically {"/"}.
    std::vector<std::string> readonly_roots;
    // Absolute, resolved paths: every handled right beneath them except creating device nodes.
    // A file may be listed too (e.g. "/dev/null", which many shell commands write to); it gets
    // the file rights only.
    std::vector<std::string> writable_roots;
    // ABI 6: refuse connecting to abstract unix sockets created outside the sandbox.
    bool scope_abstract_unix_sockets = true;
    // ABI 6: refuse sending signals to processes outside the sandbox.
    bool scope_signals = true;
    // Absolute, resolved directories whose entries may be listed (read_dir only) but whose
    // files are neither read nor executed unless another rule grants it; e.g. "/" when the
    // read-only roots are its children except /dev. (Last, so that positional initialisers of
    // the fields above keep their meaning.)
    std::vector<std::string> listable_roots = {};
    // ABI 4: TCP bind and connect are handled; connect is allowed to these ports only (on any
    // address: Landlock's rules name ports, not hosts) and bind to none. Building such a
    // ruleset on an older ABI fails rather than leave TCP open.
    bool restrict_tcp = false;
    std::vector<std::uint16_t> connect_tcp_ports = {};
};

// The first Landlock ABI with TCP bind/connect rules.
inline constexpr int kLandlockTcpAbi = 4;

// The access masks enforced for a given ABI: rights the ABI does not know are dropped.
struct LandlockRights {
    int abi = 0;
    std::uint64_t handled_fs = 0;   // controlled by the ruleset: denied unless granted below
    std::uint64_t readonly_fs = 0;  // granted beneath readonly roots
    std::uint64_t writable_fs = 0;  // granted beneath writable roots
    std::uint64_t scoped = 0;       // LANDLOCK_SCOPE_* bits
    std::uint64_t handled_net = 0;  // LANDLOCK_ACCESS_NET_* bits (restrict_tcp, ABI 4)
};

LandlockRights landlock_rights_for_abi(int abi, const LandlockSpec& spec);

// Names of the bits, in bit order ("execute", "write_file", ... / "abstract_unix_socket",
// "signal"), for the `effective` evidence and for docs.
std::vector<std::string> landlock_fs_right_names(std::uint64_t rights);
std::vector<std::string> landlock_scope_names(std::uint64_t scoped);
// "bind_tcp", "connect_tcp".
std::vector<std::string> landlock_net_right_names(std::uint64_t rights);

// Probes the ABI and creates a ruleset fd holding the spec's rules, trimmed to that ABI.
// Fails (never silently weakens) when Landlock is unavailable, a root cannot be used, or TCP
// rules are asked of an ABI without them.
Result<UniqueFd> build_landlock_ruleset(const LandlockSpec& spec);

// For the child between fork and exec: sets no_new_privs and restricts the calling process
// with the ruleset. Async-signal-safe. Returns 0 or an errno value.
int apply_landlock(int ruleset_fd) noexcept;

}  // namespace airlock::sandbox
