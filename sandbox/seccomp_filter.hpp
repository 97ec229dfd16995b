// The seccomp filter as a value: a rule list built from options, printable as a stable text
// dump, compiled with libseccomp into the raw BPF that the kernel (or `bwrap --seccomp FD`)
// takes, and installed in a forked child by an async-signal-safe helper.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/result.hpp"

namespace airlock::sandbox {

struct SeccompOptions {
    // false: socket() is refused for every address family except AF_UNIX.
    bool allow_network = false;
    // false (only meaningful with allow_network == false): socket(AF_UNIX) is refused too, so host
    // unix sockets (/run/..., abstract names) cannot be reached where no mount namespace hides
    // them. socketpair() stays allowed either way.
    bool allow_unix_sockets = true;
    // true (only meaningful with allow_network == false): AF_INET and AF_INET6 sockets (and
    // AF_UNIX when allow_unix_sockets) may be created, every other family is refused. Only where
    // the sandbox has a network namespace of its own: its loopback and abstract unix names are
    // its own.
    bool allow_local_sockets = false;
    // false: chmod, fchmod, fchmodat and fchmodat2 are refused outright. Without a mount
    // namespace nothing else stops a mode change on a host file (Landlock does not cover file
    // modes), and as root every file is the child's own.
    bool allow_mode_changes = true;
    // false: setsid and setpgid are refused. Without a pid namespace (or a pids cgroup) the
    // process group is what airlock kills at the end of a call; a command must not leave it.
    bool allow_new_process_groups = true;
    // false: truncate(2) by path is refused (ftruncate on a descriptor stays allowed: opening
    // for writing is what Landlock checks). Landlock covers truncation only from ABI 3; before
    // that, truncate(2) could empty any host file the user can write.
    bool allow_path_truncate = true;
    // true (only meaningful with allow_network == false): the host's network, reached through
    // Landlock's TCP rules (seccomp adapter with airlock's proxy). AF_INET and AF_INET6 sockets
    // may be created as plain TCP only (SOCK_STREAM, protocol 0 or IPPROTO_TCP: no UDP, raw,
    // SCTP or MPTCP, which Landlock's TCP rules do not see); TCP Fast Open, whose sendto/sendmsg
    // connects without connect(2) and past Landlock, and listen(2), whose automatic bind
    // Landlock does not check, are refused. AF_UNIX follows allow_unix_sockets. connect(2)
    // itself is put to airlock (Notify): Landlock's rules name a port, not an address.
    bool tcp_only = false;
};

enum class SeccompActionKind {
    Errno,        // the call fails with `errno_value`; the program sees a clean error
    KillProcess,  // the whole process is killed with SIGSYS
    Notify,       // the call waits for airlock's answer (seccomp user notification)
};

enum class SeccompCompare {
    MaskedEq,  // (arg & mask) == value
    NotEqual,  // arg != value, on all 64 bits
    Greater,   // arg > value, on all 64 bits
};

// One comparison on one syscall argument. The conditions of a rule must all hold (AND);
// libseccomp allows each argument at most once per rule.
struct SeccompArgCondition {
    unsigned arg = 0;  // argument index, 0..5
    SeccompCompare op = SeccompCompare::MaskedEq;
    std::uint64_t mask = 0;  // MaskedEq only
    std::uint64_t value = 0;
};

// Several rules for the same syscall are alternatives (OR).
struct SeccompRule {
    std::string syscall;  // libseccomp name, e.g. "ptrace"
    SeccompActionKind action = SeccompActionKind::Errno;
    int errno_value = 0;
    std::vector<SeccompArgCondition> conditions;
    std::string why;
};

// Everything that is not a listed rule is allowed. Non-native architectures (32-bit and x32
// syscalls on x86_64) kill the process; they are handled by compile_seccomp, not by a rule.
std::vector<SeccompRule> build_seccomp_rules(const SeccompOptions& options);

// A stable, human-readable text of the policy (one line per rule), for golden tests and
// `--dry-run` output.
std::string dump_seccomp_rules(const SeccompOptions& options,
                               const std::vector<SeccompRule>& rules);

// Compiles the policy with libseccomp for the native architecture and returns exactly what
// seccomp_export_bpf emits: a struct sock_filter array (length a multiple of 8 bytes).
// Call it in the parent; the child only installs the bytes.
Result<std::vector<unsigned char>> compile_seccomp(const SeccompOptions& options);

// For the child between fork and exec: sets no_new_privs and installs a compiled filter.
// Async-signal-safe (no allocation, no locks). Returns 0 or an errno value.
int install_seccomp_bpf(const unsigned char* bpf, std::size_t len) noexcept;

// The same for a filter with Notify rules: the notification listener (a descriptor the
// supervisor answers the calls on) is stored in *listener. Async-signal-safe.
int install_seccomp_bpf_with_listener(const unsigned char* bpf, std::size_t len,
                                      int* listener) noexcept;

}  // namespace airlock::sandbox
