#include "sandbox/landlock.hpp"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>

// Rights and scopes newer than some kernel headers (values are kernel ABI, never change).
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif

namespace airlock::sandbox {
namespace {

// The ruleset attribute as of ABI 6. Older kernels accept the larger struct as long as the
// fields they do not know are zero, which landlock_rights_for_abi guarantees.
struct RulesetAttr {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;
    std::uint64_t scoped;
};

// LANDLOCK_RULE_NET_PORT's attribute (ABI 4), as the kernel defines it; older headers lack it.
constexpr int kRuleNetPort = 2;
struct NetPortAttr {
    std::uint64_t allowed_access;
    std::uint64_t port;
};

constexpr std::uint64_t kAbi1Fs =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
    LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
    LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
    LANDLOCK_ACCESS_FS_MAKE_SYM;

constexpr std::uint64_t kReadFs =
    LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;

// Device nodes are never created, not even in writable roots: a root-run child could otherwise
// make a node for the host disk.
constexpr std::uint64_t kNeverGranted =
    LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK;

// Rights that may be attached to a rule on a non-directory.
constexpr std::uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                      LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                      LANDLOCK_ACCESS_FS_IOCTL_DEV;

constexpr const char* kFsRightNames[] = {
    "execute",   "write_file", "read_file", "read_dir",  "remove_dir", "remove_file",
    "make_char", "make_dir",   "make_reg",  "make_sock", "make_fifo",  "make_block",
    "make_sym",  "refer",      "truncate",  "ioctl_dev",
};

int create_ruleset(const RulesetAttr* attr, std::size_t size, std::uint32_t flags) {
    return static_cast<int>(::syscall(SYS_landlock_create_ruleset, attr, size, flags));
}

Result<void> check_resolved(const std::string& path, const char* kind) {
    if (path.empty() || path.front() != '/') {
        return make_error("sandbox",
                          std::string("landlock ") + kind + " '" + path + "' is not absolute");
    }
    std::unique_ptr<char, decltype(&std::free)> real(::realpath(path.c_str(), nullptr), &std::free);
    if (!real) {
        return sys_error("sandbox", std::string("landlock ") + kind + " '" + path + "' is unusable",
                         "realpath");
    }
    if (path != real.get()) {
        return make_error("sandbox", std::string("landlock ") + kind + " '" + path +
                                         "' is not a resolved path (it resolves to '" + real.get() +
                                         "'); pass the resolved path");
    }
    return {};
}

Result<void> add_path_rule(int ruleset_fd, const std::string& path, std::uint64_t rights,
                           const char* kind) {
    Result<void> resolved = check_resolved(path, kind);
    if (!resolved) return resolved;
    UniqueFd fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd.valid()) {
        return sys_error("sandbox", std::string("cannot open landlock ") + kind + " '" + path + "'",
                         "open");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return sys_error("sandbox", std::string("cannot stat landlock ") + kind + " '" + path + "'",
                         "fstat");
    }
    landlock_path_beneath_attr rule{};
    rule.allowed_access = S_ISDIR(st.st_mode) ? rights : (rights & kFileRights);
    rule.parent_fd = fd.get();
    if (rule.allowed_access == 0) return {};
    if (::syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) != 0) {
        return sys_error("sandbox",
                         std::string("cannot add landlock rule for ") + kind + " '" + path + "'",
                         "landlock_add_rule");
    }
    return {};
}

}  // namespace

LandlockProbe probe_landlock() {
    const int abi = create_ruleset(nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    if (abi > 0) return LandlockProbe{abi, {}};
    const int err = errno;
    switch (err) {
        case ENOSYS:
            return {0,
                    "the kernel has no Landlock support (landlock_create_ruleset: ENOSYS; "
                    "needs Linux 5.13 built with CONFIG_SECURITY_LANDLOCK)"};
        case EOPNOTSUPP:
            return {0,
                    "Landlock is built in but disabled at boot (add 'landlock' to the lsm= "
                    "kernel parameter)"};
        default:
            return {0, std::string("landlock_create_ruleset failed: ") + std::strerror(err)};
    }
}

LandlockRights landlock_rights_for_abi(int abi, const LandlockSpec& spec) {
    LandlockRights rights;
    rights.abi = abi;
    if (abi < 1) return rights;
    std::uint64_t handled = kAbi1Fs;
    if (abi >= 2) handled |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) handled |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5) handled |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    rights.handled_fs = handled;
    rights.readonly_fs = kReadFs & handled;
    rights.writable_fs = handled & ~kNeverGranted;
    if (abi >= kLandlockTcpAbi && spec.restrict_tcp)
        rights.handled_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
    if (abi >= 6) {
        if (spec.scope_abstract_unix_sockets) rights.scoped |= LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
        if (spec.scope_signals) rights.scoped |= LANDLOCK_SCOPE_SIGNAL;
    }
    return rights;
}

std::vector<std::string> landlock_fs_right_names(std::uint64_t rights) {
    std::vector<std::string> names;
    for (unsigned bit = 0; bit < std::size(kFsRightNames); ++bit) {
        if (rights & (1ULL << bit)) names.emplace_back(kFsRightNames[bit]);
    }
    if (rights >> std::size(kFsRightNames)) names.emplace_back("unknown");
    return names;
}

std::vector<std::string> landlock_scope_names(std::uint64_t scoped) {
    std::vector<std::string> names;
    if (scoped & LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET) names.emplace_back("abstract_unix_socket");
    if (scoped & LANDLOCK_SCOPE_SIGNAL) names.emplace_back("signal");
    return names;
}

std::vector<std::string> landlock_net_right_names(std::uint64_t rights) {
    std::vector<std::string> names;
    if (rights & LANDLOCK_ACCESS_NET_BIND_TCP) names.emplace_back("bind_tcp");
    if (rights & LANDLOCK_ACCESS_NET_CONNECT_TCP) names.emplace_back("connect_tcp");
    return names;
}

Result<UniqueFd> build_landlock_ruleset(const LandlockSpec& spec) {
    const LandlockProbe probe = probe_landlock();
    if (probe.abi < 1) return make_error("sandbox", "Landlock is unavailable: " + probe.reason);
    if (spec.restrict_tcp && probe.abi < kLandlockTcpAbi)
        return make_error("sandbox", "Landlock ABI " + std::to_string(probe.abi) +
                                         " has no TCP rules (they need ABI " +
                                         std::to_string(kLandlockTcpAbi) +
                                         ", Linux 6.7): TCP cannot be restricted");

    const LandlockRights rights = landlock_rights_for_abi(probe.abi, spec);
    const RulesetAttr attr{rights.handled_fs, rights.handled_net, rights.scoped};
    UniqueFd ruleset(create_ruleset(&attr, sizeof attr, 0));
    if (!ruleset.valid()) {
        return sys_error("sandbox",
                         "cannot create a Landlock ruleset for ABI " + std::to_string(probe.abi),
                         "landlock_create_ruleset");
    }
    for (const std::string& root : spec.readonly_roots) {
        Result<void> added =
            add_path_rule(ruleset.get(), root, rights.readonly_fs, "readonly root");
        if (!added) return added.error();
    }
    for (const std::string& root : spec.listable_roots) {
        Result<void> added = add_path_rule(
            ruleset.get(), root, rights.readonly_fs & LANDLOCK_ACCESS_FS_READ_DIR, "listable root");
        if (!added) return added.error();
    }
    for (const std::string& root : spec.writable_roots) {
        Result<void> added =
            add_path_rule(ruleset.get(), root, rights.writable_fs, "writable root");
        if (!added) return added.error();
    }
    for (const std::uint16_t port : spec.connect_tcp_ports) {
        // Port 0 would mean "any port the kernel picks" for bind, and nothing for connect.
        if (port == 0 || !spec.restrict_tcp)
            return make_error("sandbox",
                              "a Landlock TCP connect rule needs restrict_tcp and a "
                              "port other than 0");
        const NetPortAttr rule{LANDLOCK_ACCESS_NET_CONNECT_TCP, port};
        if (::syscall(SYS_landlock_add_rule, ruleset.get(), kRuleNetPort, &rule, 0) != 0)
            return sys_error("sandbox",
                             "cannot add the Landlock rule for TCP port " + std::to_string(port),
                             "landlock_add_rule");
    }
    return ruleset;
}

int apply_landlock(int ruleset_fd) noexcept {
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    if (::syscall(SYS_landlock_restrict_self, ruleset_fd, 0) != 0) return errno;
    return 0;
}

}  // namespace airlock::sandbox
