#include "sandbox/seccomp_filter.hpp"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "platform/unique_fd.hpp"

namespace airlock::sandbox {
namespace {

// Kernel constants spelled out where old headers may lack them.
constexpr std::uint64_t kCloneNewTime = 0x00000080;  // unshare/clone3 only; CSIGNAL bits for clone
constexpr std::uint64_t kLow32 = 0xffffffffULL;
constexpr std::uint64_t kTiocsti = 0x5412;
constexpr std::uint64_t kTioclinux = 0x541C;
constexpr std::uint64_t kSockTypeMask = 0xf;        // SOCK_TYPE_MASK: the type without flags
constexpr std::uint64_t kMsgFastopen = 0x20000000;  // MSG_FASTOPEN
constexpr std::uint64_t kIpprotoTcp = 6;            // IPPROTO_TCP, also SOL_TCP
constexpr std::uint64_t kTcpFastopenConnect = 30;   // TCP_FASTOPEN_CONNECT

SeccompRule deny(std::string syscall, std::string why, int err = EPERM) {
    return SeccompRule{std::move(syscall), SeccompActionKind::Errno, err, {}, std::move(why)};
}

SeccompRule deny_if(std::string syscall, SeccompArgCondition condition, std::string why,
                    int err = EPERM) {
    return SeccompRule{
        std::move(syscall), SeccompActionKind::Errno, err, {condition}, std::move(why)};
}

SeccompArgCondition masked_eq(unsigned arg, std::uint64_t mask, std::uint64_t value) {
    return SeccompArgCondition{arg, SeccompCompare::MaskedEq, mask, value};
}

struct NamedFlag {
    const char* name;
    std::uint64_t bit;
};

// The new-namespace flags. A rule per flag, because libseccomp can only test
// "(flags & mask) == value", and any one of them set must be refused.
constexpr NamedFlag kNamespaceFlags[] = {
    {"CLONE_NEWNS", CLONE_NEWNS},     {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
    {"CLONE_NEWUTS", CLONE_NEWUTS},   {"CLONE_NEWIPC", CLONE_NEWIPC},
    {"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWPID", CLONE_NEWPID},
    {"CLONE_NEWNET", CLONE_NEWNET},   {"CLONE_NEWTIME", kCloneNewTime},
};

void add_process_rules(std::vector<SeccompRule>& rules) {
    const std::string inspect = "reads or changes another process's memory and registers";
    rules.push_back(deny("ptrace", inspect));
    rules.push_back(deny("process_vm_readv", inspect));
    rules.push_back(deny("process_vm_writev", inspect));
}

void add_mount_rules(std::vector<SeccompRule>& rules) {
    const std::string why = "changes the mount table the sandbox is built from";
    for (const char* name : {"mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen",
                             "fsconfig", "fsmount", "fspick", "mount_setattr"}) {
        rules.push_back(deny(name, why));
    }
    rules.push_back(deny("chroot",
                         "a root-run child outside a user namespace could chroot and confuse "
                         "path-based checks; no tool call needs it"));
    rules.push_back(deny("open_by_handle_at",
                         "opens files by handle, bypassing the mount view (the 'shocker' escape)"));
}

void add_namespace_rules(std::vector<SeccompRule>& rules) {
    for (const NamedFlag& flag : kNamespaceFlags) {
        rules.push_back(deny_if("unshare", masked_eq(0, flag.bit, flag.bit),
                                std::string("new namespace (") + flag.name +
                                    ") could undo the sandbox's view or gain capabilities"));
    }
    for (const NamedFlag& flag : kNamespaceFlags) {
        if (flag.bit == kCloneNewTime) continue;  // for clone() that bit is part of CSIGNAL
        rules.push_back(deny_if("clone", masked_eq(0, flag.bit, flag.bit),
                                std::string("new namespace (") + flag.name +
                                    ") could undo the sandbox's view or gain capabilities"));
    }
    rules.push_back(deny("clone3",
                         "its flags live in memory seccomp cannot read; ENOSYS makes libc fall "
                         "back to clone(), whose flags are checked",
                         ENOSYS));
    rules.push_back(deny("setns", "joins another namespace"));
}

void add_kernel_rules(std::vector<SeccompRule>& rules) {
    const std::string kernel = "changes the running kernel";
    for (const char* name :
         {"kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"}) {
        rules.push_back(deny(name, kernel));
    }
    rules.push_back(deny("reboot", "reboots or halts the host"));
    rules.push_back(deny("swapon", "changes host swap"));
    rules.push_back(deny("swapoff", "changes host swap"));
    rules.push_back(deny("acct", "switches host process accounting"));
    rules.push_back(deny("syslog", "reads the kernel log (addresses, host activity)"));
    const std::string clock = "sets the host clock (a root-run child may still hold CAP_SYS_TIME)";
    for (const char* name : {"settimeofday", "clock_settime", "clock_adjtime", "adjtimex"}) {
        rules.push_back(deny(name, clock));
    }
    rules.push_back(deny("iopl", "raw I/O port access (x86)"));
    rules.push_back(deny("ioperm", "raw I/O port access (x86)"));
    rules.push_back(deny("bpf", "loads kernel programs; large kernel attack surface"));
    rules.push_back(deny("perf_event_open", "observes other processes and the kernel"));
    rules.push_back(deny("userfaultfd", "stalls kernel accesses; a common exploit primitive"));
    const std::string keys = "the kernel keyring is shared with the host user";
    rules.push_back(deny("keyctl", keys));
    rules.push_back(deny("add_key", keys));
    rules.push_back(deny("request_key", keys));
    const std::string uring =
        "io_uring performs socket and file operations without the syscalls "
        "this filter checks";
    rules.push_back(deny("io_uring_setup", uring));
    rules.push_back(deny("io_uring_enter", uring));
    rules.push_back(deny("io_uring_register", uring));
}

// personality(2) takes an unsigned int: only PER_LINUX (0) and the query 0xffffffff are allowed.
// libseccomp tests each argument at most once per rule, so "low 32 bits neither all zero nor all
// one" is spelled as alternatives: any such value has, going round the 32 bits as a ring, a set
// bit followed by a clear one. Values with any upper bit set are refused outright (fail closed;
// the kernel would silently drop those bits).
void add_personality_rules(std::vector<SeccompRule>& rules) {
    const std::string why =
        "personality changes (32-bit layout, no ASLR, READ_IMPLIES_EXEC); only PER_LINUX (0) "
        "and the query 0xffffffff are allowed";
    rules.push_back(deny_if("personality", {0, SeccompCompare::Greater, 0, kLow32}, why));
    for (unsigned bit = 0; bit < 32; ++bit) {
        const std::uint64_t set = 1ULL << bit;
        const std::uint64_t next = 1ULL << ((bit + 1) % 32);
        rules.push_back(deny_if("personality", masked_eq(0, set | next, set), why));
    }
}

void add_terminal_rules(std::vector<SeccompRule>& rules) {
    // The request is an unsigned int: compare only the low 32 bits so that garbage in the upper
    // half of the register cannot slip past.
    rules.push_back(deny_if("ioctl", masked_eq(1, kLow32, kTiocsti),
                            "TIOCSTI injects input into the controlling terminal"));
    rules.push_back(deny_if("ioctl", masked_eq(1, kLow32, kTioclinux),
                            "TIOCLINUX can inject input through the Linux console"));
}

// A setuid or setgid file left in the workspace would keep its bits on the host (the sandbox's
// nosuid mount only protects the sandbox itself), and when airlock runs as root it would be
// owned by root: refuse to set those bits, whether by chmod or when creating a file.
void add_setid_rules(std::vector<SeccompRule>& rules) {
    const std::string why = "sets a setuid/setgid bit that would survive on the host";
    struct ModeArg {
        const char* syscall;
        unsigned arg;
    };
    constexpr ModeArg kModeArgs[] = {{"chmod", 1},     {"fchmod", 1}, {"fchmodat", 2},
                                     {"fchmodat2", 2}, {"creat", 1},  {"open", 2},
                                     {"openat", 3},    {"mknod", 1},  {"mknodat", 2}};
    for (const auto& m : kModeArgs) {
        rules.push_back(deny_if(m.syscall, masked_eq(m.arg, S_ISUID, S_ISUID), why));
        rules.push_back(deny_if(m.syscall, masked_eq(m.arg, S_ISGID, S_ISGID), why));
    }
    // openat2's mode hides in a struct the filter cannot read: ENOSYS makes callers fall back
    // to openat.
    rules.push_back(
        deny("openat2", why + " (mode not inspectable; callers fall back to openat)", ENOSYS));
}

// Landlock confines writes to file contents and names, not modes: the seccomp adapter refuses
// every mode change rather than let `chmod 666` reach a host file.
void add_mode_rules(const SeccompOptions& options, std::vector<SeccompRule>& rules) {
    if (options.allow_mode_changes) return;
    const std::string why =
        "no mount namespace and Landlock does not cover file modes: a chmod could reach any host "
        "file the user owns";
    for (const char* name : {"chmod", "fchmod", "fchmodat", "fchmodat2"})
        rules.push_back(deny(name, why));
}

void add_process_group_rules(const SeccompOptions& options, std::vector<SeccompRule>& rules) {
    if (options.allow_new_process_groups) return;
    const std::string why =
        "leaves the process group airlock kills when the call ends (no pid namespace)";
    rules.push_back(deny("setsid", why));
    rules.push_back(deny("setpgid", why));
}

void add_truncate_rules(const SeccompOptions& options, std::vector<SeccompRule>& rules) {
    if (options.allow_path_truncate) return;
    rules.push_back(deny("truncate",
                         "Landlock before ABI 3 does not cover truncation: truncate(2) could "
                         "empty any host file the user can write (ftruncate still works)"));
}

// With the network reached through Landlock's TCP rules only: what those rules do not see.
void add_tcp_only_rules(std::vector<SeccompRule>& rules) {
    for (const std::uint64_t family : {std::uint64_t{AF_INET}, std::uint64_t{AF_INET6}}) {
        const SeccompArgCondition is_family = masked_eq(0, kLow32, family);
        // The type without SOCK_NONBLOCK / SOCK_CLOEXEC must be SOCK_STREAM.
        for (std::uint64_t type = 0; type <= kSockTypeMask; ++type) {
            if (type == SOCK_STREAM) continue;
            rules.push_back(SeccompRule{
                "socket",
                SeccompActionKind::Errno,
                EACCES,
                {is_family, masked_eq(1, kSockTypeMask, type)},
                "only TCP reaches the proxy, and Landlock's rules see only TCP: no UDP, raw or "
                "other IP sockets"});
        }
        // The protocol must be 0 or IPPROTO_TCP: MPTCP and SCTP streams pass Landlock by.
        const std::string why =
            "only plain TCP: Landlock's TCP rules do not apply to MPTCP or SCTP sockets";
        rules.push_back(SeccompRule{"socket",
                                    SeccompActionKind::Errno,
                                    EPROTONOSUPPORT,
                                    {is_family, {2, SeccompCompare::Greater, 0, kIpprotoTcp}},
                                    why});
        for (std::uint64_t protocol = 1; protocol < kIpprotoTcp; ++protocol)
            rules.push_back(SeccompRule{"socket",
                                        SeccompActionKind::Errno,
                                        EPROTONOSUPPORT,
                                        {is_family, masked_eq(2, kLow32, protocol)},
                                        why});
    }
    // EOPNOTSUPP is what a kernel with client Fast Open disabled answers: clients fall back to
    // connect(2), which Landlock checks.
    const std::string fastopen =
        "TCP Fast Open connects without connect(2), past Landlock's TCP rules";
    rules.push_back(
        deny_if("sendto", masked_eq(3, kMsgFastopen, kMsgFastopen), fastopen, EOPNOTSUPP));
    rules.push_back(
        deny_if("sendmsg", masked_eq(2, kMsgFastopen, kMsgFastopen), fastopen, EOPNOTSUPP));
    rules.push_back(
        deny_if("sendmmsg", masked_eq(3, kMsgFastopen, kMsgFastopen), fastopen, EOPNOTSUPP));
    rules.push_back(
        SeccompRule{"setsockopt",
                    SeccompActionKind::Errno,
                    EOPNOTSUPP,
                    {masked_eq(1, kLow32, kIpprotoTcp), masked_eq(2, kLow32, kTcpFastopenConnect)},
                    fastopen});
    rules.push_back(SeccompRule{"connect",
                                SeccompActionKind::Notify,
                                0,
                                {},
                                "airlock answers: only the proxy's address (Landlock's rules "
                                "name the port, on any address)"});
    rules.push_back(deny("listen",
                         "listen(2) binds an unbound socket to a port without bind(2), which "
                         "is all Landlock checks; nothing may listen"));
}

void add_network_rules(const SeccompOptions& options, std::vector<SeccompRule>& rules) {
    if (options.allow_network) return;
    if (options.allow_local_sockets || options.tcp_only) {
        // Every family but AF_INET (2), AF_INET6 (10) and, when allowed, AF_UNIX (1), on all 64
        // bits: above 10, or exactly one of the others. libseccomp tests an argument once per
        // rule, so each refused value below 10 is a rule of its own.
        const std::string why =
            options.tcp_only
                ? (options.allow_unix_sockets
                       ? "network through airlock's proxy: only unix and TCP sockets may be "
                         "created"
                       : "network through airlock's proxy: only TCP sockets may be created")
            : options.allow_unix_sockets
                ? "network is off: only unix and IP sockets, inside the sandbox's own network "
                  "namespace, may be created"
                : "network is off: only IP sockets, inside the sandbox's own network namespace, "
                  "may be created";
        rules.push_back(
            deny_if("socket", {0, SeccompCompare::Greater, 0, AF_INET6}, why, EAFNOSUPPORT));
        for (std::uint64_t family = 0; family < AF_INET6; ++family) {
            if ((family == AF_UNIX && options.allow_unix_sockets) || family == AF_INET) continue;
            rules.push_back(deny_if("socket", masked_eq(0, ~0ULL, family), why, EAFNOSUPPORT));
        }
        if (options.tcp_only) add_tcp_only_rules(rules);
        return;
    }
    if (!options.allow_unix_sockets) {
        rules.push_back(deny("socket",
                             "network is off and no mount namespace hides host unix sockets; "
                             "socketpair() still works",
                             EAFNOSUPPORT));
        return;
    }
    // All 64 bits must equal AF_UNIX; the kernel reads only the low 32, so anything else
    // (including AF_INET with garbage in the upper half) is refused.
    rules.push_back(deny_if("socket", {0, SeccompCompare::NotEqual, 0, AF_UNIX},
                            "network is off: only AF_UNIX sockets may be created", EAFNOSUPPORT));
}

std::string errno_name(int err) {
    switch (err) {
        case EPERM:
            return "EPERM";
        case ENOSYS:
            return "ENOSYS";
        case EAFNOSUPPORT:
            return "EAFNOSUPPORT";
        case EACCES:
            return "EACCES";
        case EPROTONOSUPPORT:
            return "EPROTONOSUPPORT";
        case EOPNOTSUPP:
            return "EOPNOTSUPP";
        default:
            return std::to_string(err);
    }
}

std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string describe_condition(const SeccompArgCondition& c) {
    const std::string arg = "arg" + std::to_string(c.arg);
    switch (c.op) {
        case SeccompCompare::MaskedEq:
            return arg + " & " + hex(c.mask) + " == " + hex(c.value);
        case SeccompCompare::NotEqual:
            return arg + " != " + hex(c.value);
        case SeccompCompare::Greater:
            return arg + " > " + hex(c.value);
    }
    return arg + " ?";
}

std::string describe_action(const SeccompRule& rule) {
    if (rule.action == SeccompActionKind::KillProcess) return "kill_process";
    if (rule.action == SeccompActionKind::Notify) return "notify";
    return "errno(" + errno_name(rule.errno_value) + ")";
}

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using FilterCtx = std::unique_ptr<void, FilterDeleter>;

Error seccomp_error(std::string message, std::string call, int negative_rc) {
    return sys_error("sandbox", std::move(message), std::move(call), -negative_rc);
}

scmp_arg_cmp to_libseccomp(const SeccompArgCondition& c) {
    switch (c.op) {
        case SeccompCompare::MaskedEq:
            return {c.arg, SCMP_CMP_MASKED_EQ, c.mask, c.value};
        case SeccompCompare::NotEqual:
            return {c.arg, SCMP_CMP_NE, c.value, 0};
        case SeccompCompare::Greater:
            return {c.arg, SCMP_CMP_GT, c.value, 0};
    }
    return {c.arg, _SCMP_CMP_MIN, 0, 0};  // rejected by libseccomp: fails closed
}

// System calls newer than the libseccomp this is built with (2.5.4) knows by name. Numbers from
// 424 on are shared by every Linux architecture.
int resolve_syscall(const std::string& name) {
    const int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr != __NR_SCMP_ERROR) return nr;
    if (name == "fchmodat2") return 452;
    return __NR_SCMP_ERROR;
}

Result<void> add_rule(void* ctx, const SeccompRule& rule) {
    const int nr = resolve_syscall(rule.syscall);
    if (nr == __NR_SCMP_ERROR) {
        return make_error("sandbox",
                          "seccomp rule names an unknown syscall '" + rule.syscall + "'");
    }
    // A negative number is libseccomp's placeholder for a syscall this architecture does not
    // have (e.g. iopl on aarch64): it cannot be called natively, so there is nothing to filter.
    if (nr < 0) return {};
    if (rule.conditions.size() > 6) {
        return make_error("sandbox",
                          "seccomp rule for '" + rule.syscall + "' has too many conditions");
    }
    scmp_arg_cmp cmps[6];
    for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
        cmps[i] = to_libseccomp(rule.conditions[i]);
    }
    const std::uint32_t action = rule.action == SeccompActionKind::KillProcess
                                     ? SCMP_ACT_KILL_PROCESS
                                 : rule.action == SeccompActionKind::Notify
                                     ? SCMP_ACT_NOTIFY
                                     : SCMP_ACT_ERRNO(static_cast<std::uint32_t>(rule.errno_value));
    const int rc = seccomp_rule_add_exact_array(
        ctx, action, nr, static_cast<unsigned>(rule.conditions.size()), cmps);
    if (rc < 0) {
        return seccomp_error("cannot add seccomp rule for '" + rule.syscall + "'",
                             "seccomp_rule_add_exact_array", rc);
    }
    return {};
}

Result<std::vector<unsigned char>> read_all(int fd) {
    if (::lseek(fd, 0, SEEK_SET) < 0) {
        return sys_error("sandbox", "cannot rewind the exported seccomp filter", "lseek");
    }
    std::vector<unsigned char> out;
    unsigned char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("sandbox", "cannot read the exported seccomp filter", "read");
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    return out;
}

}  // namespace

std::vector<SeccompRule> build_seccomp_rules(const SeccompOptions& options) {
    std::vector<SeccompRule> rules;
    add_process_rules(rules);
    add_mount_rules(rules);
    add_namespace_rules(rules);
    add_kernel_rules(rules);
    add_personality_rules(rules);
    add_terminal_rules(rules);
    add_setid_rules(rules);
    add_mode_rules(options, rules);
    add_process_group_rules(options, rules);
    add_truncate_rules(options, rules);
    add_network_rules(options, rules);
    return rules;
}

std::string dump_seccomp_rules(const SeccompOptions& options,
                               const std::vector<SeccompRule>& rules) {
    std::string out;
    out += "# airlock seccomp policy\n";
    out += std::string("options: allow_network=") + (options.allow_network ? "true" : "false") +
           " allow_unix_sockets=" + (options.allow_unix_sockets ? "true" : "false") +
           (options.allow_local_sockets ? " allow_local_sockets=true" : "") +
           (options.allow_mode_changes ? "" : " allow_mode_changes=false") +
           (options.allow_new_process_groups ? "" : " allow_new_process_groups=false") +
           (options.allow_path_truncate ? "" : " allow_path_truncate=false") +
           (options.tcp_only ? " tcp_only=true" : "") + "\n";
    out += "default: allow\n";
    out += "architectures: native only; any other architecture -> kill_process\n";
    out += "x32 (syscall number with bit 0x40000000 on x86_64): kill_process\n";
    for (const SeccompRule& rule : rules) {
        out += rule.syscall + " -> " + describe_action(rule);
        for (std::size_t i = 0; i < rule.conditions.size(); ++i) {
            out += (i == 0 ? " if " : " && ") + describe_condition(rule.conditions[i]);
        }
        out += "  # " + rule.why + "\n";
    }
    return out;
}

Result<std::vector<unsigned char>> compile_seccomp(const SeccompOptions& options) {
    FilterCtx ctx(seccomp_init(SCMP_ACT_ALLOW));
    if (!ctx) return make_error("sandbox", "cannot create a seccomp filter (seccomp_init failed)");

    // The filter's architecture list holds only the native one; everything else (i386 through
    // int 0x80, and on x86_64 the x32 ABI, which libseccomp checks by the 0x40000000 bit) takes
    // the bad-architecture action.
    int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc < 0) {
        return seccomp_error("cannot make foreign architectures kill the process",
                             "seccomp_attr_set", rc);
    }
    for (const SeccompRule& rule : build_seccomp_rules(options)) {
        Result<void> added = add_rule(ctx.get(), rule);
        if (!added) return added.error();
    }

    UniqueFd memfd(::memfd_create("airlock-seccomp", MFD_CLOEXEC));
    if (!memfd.valid()) {
        return sys_error("sandbox", "cannot create a memfd for the seccomp filter", "memfd_create");
    }
    rc = seccomp_export_bpf(ctx.get(), memfd.get());
    if (rc < 0) return seccomp_error("cannot export the seccomp filter", "seccomp_export_bpf", rc);

    Result<std::vector<unsigned char>> bpf = read_all(memfd.get());
    if (!bpf) return bpf;
    if (bpf->empty() || bpf->size() % sizeof(sock_filter) != 0 ||
        bpf->size() / sizeof(sock_filter) > BPF_MAXINSNS) {
        return make_error("sandbox", "exported seccomp filter has an invalid size of " +
                                         std::to_string(bpf->size()) + " bytes");
    }
    return bpf;
}

namespace {

int install_filter(const unsigned char* bpf, std::size_t len, unsigned flags,
                   long* result) noexcept {
    if (bpf == nullptr || len == 0 || len % sizeof(sock_filter) != 0 ||
        len / sizeof(sock_filter) > BPF_MAXINSNS) {
        return EINVAL;
    }
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    sock_fprog prog{};
    prog.len = static_cast<unsigned short>(len / sizeof(sock_filter));
    // The kernel only reads the program; sock_fprog just lacks const.
    prog.filter = reinterpret_cast<sock_filter*>(const_cast<unsigned char*>(bpf));
    *result = ::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    if (*result < 0) return errno;
    return 0;
}

}  // namespace

int install_seccomp_bpf(const unsigned char* bpf, std::size_t len) noexcept {
    long result = 0;
    return install_filter(bpf, len, 0, &result);
}

int install_seccomp_bpf_with_listener(const unsigned char* bpf, std::size_t len,
                                      int* listener) noexcept {
    long result = 0;
    const int err = install_filter(bpf, len, SECCOMP_FILTER_FLAG_NEW_LISTENER, &result);
    if (err == 0) *listener = static_cast<int>(result);
    return err;
}

}  // namespace airlock::sandbox
