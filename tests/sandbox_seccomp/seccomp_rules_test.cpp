// The seccomp policy as data: golden dump, rule semantics (via a small evaluator of the rule
// list) and compilation to BPF. No filter is installed in this process.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>

#include "sandbox/seccomp_filter.hpp"

using namespace airlock::sandbox;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void check_golden(const SeccompOptions& options, const std::string& name) {
    const std::string actual = dump_seccomp_rules(options, build_seccomp_rules(options));
    const std::string expected = read_file(std::string(AIRLOCK_GOLDEN_DIR) + "/" + name);
    if (actual != expected) {
        const std::string actual_path = std::string(AIRLOCK_ACTUAL_DIR) + "/" + name;
        std::ofstream(actual_path, std::ios::binary) << actual;
        FAIL_CHECK("seccomp dump differs from golden/" << name << "; actual written to "
                                                       << actual_path);
    }
}

bool holds(const SeccompArgCondition& c, const std::array<std::uint64_t, 6>& args) {
    const std::uint64_t a = args.at(c.arg);
    switch (c.op) {
        case SeccompCompare::MaskedEq:
            return (a & c.mask) == c.value;
        case SeccompCompare::NotEqual:
            return a != c.value;
        case SeccompCompare::Greater:
            return a > c.value;
    }
    return false;
}

// Mirrors the filter's semantics: a syscall is refused if any of its rules has all its
// conditions true. Returns the errno, or 0 when the call is allowed.
int refused_with(const std::vector<SeccompRule>& rules, const std::string& syscall,
                 std::array<std::uint64_t, 6> args = {}) {
    for (const SeccompRule& rule : rules) {
        if (rule.syscall != syscall) continue;
        bool all = true;
        for (const SeccompArgCondition& c : rule.conditions)
            all = all && holds(c, args);
        if (all) return rule.errno_value;
    }
    return 0;
}

}  // namespace

TEST_CASE("seccomp dump matches the golden files") {
    check_golden(SeccompOptions{}, "seccomp_network_off.txt");
    check_golden(SeccompOptions{.allow_network = true}, "seccomp_network_on.txt");
    check_golden(SeccompOptions{.allow_network = false, .allow_unix_sockets = false},
                 "seccomp_network_off_no_unix.txt");
    check_golden(SeccompOptions{.allow_network = false,
                                .allow_unix_sockets = false,
                                .allow_mode_changes = false,
                                .allow_new_process_groups = false,
                                .tcp_only = true},
                 "seccomp_proxy_tcp_only.txt");
}

TEST_CASE("every rule names a syscall libseccomp knows and has a reason") {
    for (const SeccompRule& rule : build_seccomp_rules(SeccompOptions{})) {
        CAPTURE(rule.syscall);
        CHECK(seccomp_syscall_resolve_name(rule.syscall.c_str()) != __NR_SCMP_ERROR);
        CHECK(!rule.why.empty());
        CHECK(rule.conditions.size() <= 6);
        CHECK(rule.action == SeccompActionKind::Errno);
        CHECK(rule.errno_value != 0);
    }
}

TEST_CASE("the filter leaves what bwrap's reaper and every program need alone") {
    const auto rules = build_seccomp_rules(SeccompOptions{});
    for (const char* name : {"wait4", "waitid", "exit", "exit_group", "kill", "tgkill",
                             "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "execve",
                             "socketpair", "read", "write", "openat", "prctl", "seccomp"}) {
        CAPTURE(name);
        CHECK(refused_with(rules, name) == 0);
    }
}

TEST_CASE("clone and unshare: any new-namespace flag is refused, thread and fork flags are not") {
    const auto rules = build_seccomp_rules(SeccompOptions{});
    const std::uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                                       CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS |
                                       CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    CHECK(refused_with(rules, "clone", {thread_flags}) == 0);
    CHECK(refused_with(rules, "clone", {CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD}) == 0);
    CHECK(refused_with(rules, "clone", {CLONE_VM | CLONE_VFORK | SIGCHLD}) == 0);
    CHECK(refused_with(rules, "unshare", {CLONE_FILES | CLONE_FS}) == 0);
    for (std::uint64_t flag : {CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC,
                               CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET}) {
        CAPTURE(flag);
        CHECK(refused_with(rules, "clone", {flag | SIGCHLD}) == EPERM);
        CHECK(refused_with(rules, "clone", {thread_flags | flag}) == EPERM);
        CHECK(refused_with(rules, "unshare", {flag}) == EPERM);
    }
    CHECK(refused_with(rules, "unshare", {0x80 /* CLONE_NEWTIME */}) == EPERM);
    CHECK(refused_with(rules, "clone3") == ENOSYS);
}

TEST_CASE("personality: only PER_LINUX and the query pass") {
    const auto rules = build_seccomp_rules(SeccompOptions{});
    CHECK(refused_with(rules, "personality", {0}) == 0);
    CHECK(refused_with(rules, "personality", {0xffffffffULL}) == 0);
    for (std::uint64_t persona :
         {0x1ULL, 0x8ULL /* PER_LINUX32 */, 0x0040000ULL /* ADDR_NO_RANDOMIZE */,
          0x0400000ULL /* READ_IMPLIES_EXEC */, 0x7fffffffULL, 0x80000000ULL, 0xfffffffeULL,
          0xfffffff7ULL, 0x100000000ULL, 0xffffffffffffffffULL}) {
        CAPTURE(persona);
        CHECK(refused_with(rules, "personality", {persona}) == EPERM);
    }
    // Every single-bit and every single-clear-bit value, exhaustively.
    for (unsigned bit = 0; bit < 32; ++bit) {
        CAPTURE(bit);
        CHECK(refused_with(rules, "personality", {1ULL << bit}) == EPERM);
        CHECK(refused_with(rules, "personality", {0xffffffffULL & ~(1ULL << bit)}) == EPERM);
    }
}

TEST_CASE("ioctl: TIOCSTI and TIOCLINUX are refused on their low 32 bits only") {
    const auto rules = build_seccomp_rules(SeccompOptions{});
    CHECK(refused_with(rules, "ioctl", {1, 0x5412}) == EPERM);
    CHECK(refused_with(rules, "ioctl", {1, 0x541C}) == EPERM);
    CHECK(refused_with(rules, "ioctl", {1, 0xdead00005412ULL}) == EPERM);
    CHECK(refused_with(rules, "ioctl", {1, 0x5401 /* TCGETS */}) == 0);
    CHECK(refused_with(rules, "ioctl", {1, 0x541B /* FIONREAD */}) == 0);
}

TEST_CASE("socket: network off allows only AF_UNIX, network on allows all") {
    const auto off = build_seccomp_rules(SeccompOptions{});
    CHECK(refused_with(off, "socket", {AF_UNIX, SOCK_STREAM}) == 0);
    CHECK(refused_with(off, "socket", {AF_INET, SOCK_STREAM}) == EAFNOSUPPORT);
    CHECK(refused_with(off, "socket", {AF_INET6, SOCK_DGRAM}) == EAFNOSUPPORT);
    CHECK(refused_with(off, "socket", {AF_NETLINK, SOCK_RAW}) == EAFNOSUPPORT);
    CHECK(refused_with(off, "socket", {AF_PACKET, SOCK_RAW}) == EAFNOSUPPORT);
    CHECK(refused_with(off, "socket", {(1ULL << 32) | AF_INET}) == EAFNOSUPPORT);
    CHECK(refused_with(off, "socket", {(1ULL << 32) | AF_UNIX}) == EAFNOSUPPORT);

    const auto on = build_seccomp_rules(SeccompOptions{.allow_network = true});
    CHECK(refused_with(on, "socket", {AF_INET, SOCK_STREAM}) == 0);
    CHECK(refused_with(on, "ptrace") == EPERM);

    const auto no_unix =
        build_seccomp_rules(SeccompOptions{.allow_network = false, .allow_unix_sockets = false});
    CHECK(refused_with(no_unix, "socket", {AF_UNIX, SOCK_STREAM}) == EAFNOSUPPORT);
    CHECK(refused_with(no_unix, "socketpair", {AF_UNIX, SOCK_STREAM}) == 0);
}

TEST_CASE("socket: through the proxy (tcp_only) only plain TCP, no Fast Open, no listen") {
    const SeccompOptions options{
        .allow_network = false, .allow_unix_sockets = false, .tcp_only = true};
    const auto rules = build_seccomp_rules(options);
    constexpr std::uint64_t kFlags = SOCK_NONBLOCK | SOCK_CLOEXEC;
    for (std::uint64_t family : {AF_INET, AF_INET6}) {
        CAPTURE(family);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM}) == 0);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM | kFlags}) == 0);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM, IPPROTO_TCP}) == 0);
        CHECK(refused_with(rules, "socket", {family, SOCK_DGRAM}) == EACCES);
        CHECK(refused_with(rules, "socket", {family, SOCK_DGRAM | kFlags}) == EACCES);
        CHECK(refused_with(rules, "socket", {family, SOCK_RAW, IPPROTO_ICMP}) == EACCES);
        CHECK(refused_with(rules, "socket", {family, SOCK_SEQPACKET}) == EACCES);
        CHECK(refused_with(rules, "socket", {family, (1ULL << 32) | SOCK_DGRAM}) == EACCES);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM, 262 /* MPTCP */}) ==
              EPROTONOSUPPORT);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM, IPPROTO_SCTP}) ==
              EPROTONOSUPPORT);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM, 1}) == EPROTONOSUPPORT);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM, 0xffffffffULL}) ==
              EPROTONOSUPPORT);
        CHECK(refused_with(rules, "socket", {family, SOCK_STREAM, (1ULL << 32) | IPPROTO_TCP}) ==
              EPROTONOSUPPORT);
        for (std::uint64_t type = 0; type < 16; ++type)
            if (type != SOCK_STREAM) CHECK(refused_with(rules, "socket", {family, type}) == EACCES);
    }
    CHECK(refused_with(rules, "socket", {AF_UNIX, SOCK_STREAM}) == EAFNOSUPPORT);
    CHECK(refused_with(rules, "socket", {AF_NETLINK, SOCK_RAW}) == EAFNOSUPPORT);
    CHECK(refused_with(rules, "socket", {AF_PACKET, SOCK_RAW}) == EAFNOSUPPORT);
    CHECK(refused_with(rules, "socket", {(1ULL << 32) | AF_INET, SOCK_STREAM}) == EAFNOSUPPORT);
    CHECK(refused_with(rules, "socketpair", {AF_UNIX, SOCK_STREAM}) == 0);

    CHECK(refused_with(rules, "sendto", {3, 0, 1, 0x20000000 /* MSG_FASTOPEN */}) == EOPNOTSUPP);
    CHECK(refused_with(rules, "sendto", {3, 0, 1, 0x20000000 | MSG_NOSIGNAL}) == EOPNOTSUPP);
    CHECK(refused_with(rules, "sendto", {3, 0, 1, MSG_NOSIGNAL}) == 0);
    CHECK(refused_with(rules, "sendmsg", {3, 0, 0x20000000}) == EOPNOTSUPP);
    CHECK(refused_with(rules, "sendmsg", {3, 0, MSG_DONTWAIT}) == 0);
    CHECK(refused_with(rules, "sendmmsg", {3, 0, 1, 0x20000000}) == EOPNOTSUPP);
    CHECK(refused_with(rules, "sendmmsg", {3, 0, 1, 0}) == 0);
    CHECK(refused_with(rules, "setsockopt", {3, IPPROTO_TCP, 30 /* TCP_FASTOPEN_CONNECT */}) ==
          EOPNOTSUPP);
    CHECK(refused_with(rules, "setsockopt", {3, IPPROTO_TCP, 1 /* TCP_NODELAY */}) == 0);
    CHECK(refused_with(rules, "setsockopt", {3, SOL_SOCKET, 30}) == 0);
    CHECK(refused_with(rules, "listen", {3, 1}) == EPERM);
    // connect(2) is put to airlock (by port, Landlock; by address, exec/connect_supervisor).
    const auto connect = std::find_if(rules.begin(), rules.end(),
                                      [](const SeccompRule& r) { return r.syscall == "connect"; });
    REQUIRE(connect != rules.end());
    CHECK(connect->action == SeccompActionKind::Notify);
    CHECK(connect->conditions.empty());

    // None of this where the network namespace or the open network makes it moot.
    for (const auto& other :
         {build_seccomp_rules(SeccompOptions{}),
          build_seccomp_rules(SeccompOptions{.allow_network = true, .tcp_only = true})}) {
        CHECK(refused_with(other, "sendto", {3, 0, 1, 0x20000000}) == 0);
        CHECK(refused_with(other, "listen", {3, 1}) == 0);
        for (const auto& r : other)
            CHECK(r.action != SeccompActionKind::Notify);
    }
}

TEST_CASE("the required denials are all present") {
    const auto rules = build_seccomp_rules(SeccompOptions{});
    for (const char* name : {"ptrace",
                             "process_vm_readv",
                             "process_vm_writev",
                             "mount",
                             "umount2",
                             "pivot_root",
                             "move_mount",
                             "open_tree",
                             "fsopen",
                             "fsconfig",
                             "fsmount",
                             "fspick",
                             "mount_setattr",
                             "kexec_load",
                             "kexec_file_load",
                             "init_module",
                             "finit_module",
                             "delete_module",
                             "bpf",
                             "perf_event_open",
                             "keyctl",
                             "add_key",
                             "request_key",
                             "userfaultfd",
                             "io_uring_setup",
                             "io_uring_enter",
                             "io_uring_register",
                             "setns",
                             "acct",
                             "swapon",
                             "swapoff",
                             "reboot",
                             "syslog",
                             "chroot"}) {
        CAPTURE(name);
        CHECK(refused_with(rules, name) == EPERM);
    }
}

TEST_CASE("compile produces a deterministic sock_filter array that depends on the options") {
    const auto off = compile_seccomp(SeccompOptions{});
    REQUIRE_MESSAGE(off.ok(), (off.ok() ? "" : off.error().describe()));
    CHECK(!off->empty());
    CHECK(off->size() % 8 == 0);

    const auto again = compile_seccomp(SeccompOptions{});
    REQUIRE(again.ok());
    CHECK(*again == *off);

    const auto on = compile_seccomp(SeccompOptions{.allow_network = true});
    REQUIRE(on.ok());
    CHECK(on->size() % 8 == 0);
    CHECK(*on != *off);
}

TEST_CASE("install_seccomp_bpf rejects a malformed program before touching the process") {
    const unsigned char bytes[16] = {};
    CHECK(install_seccomp_bpf(nullptr, 8) == EINVAL);
    CHECK(install_seccomp_bpf(bytes, 0) == EINVAL);
    CHECK(install_seccomp_bpf(bytes, 7) == EINVAL);
}

TEST_CASE("truncate(2) is refused only when Landlock cannot cover truncation") {
    CHECK(refused_with(build_seccomp_rules(SeccompOptions{}), "truncate") == 0);
    CHECK(refused_with(build_seccomp_rules(SeccompOptions{.allow_path_truncate = false}),
                       "truncate") == EPERM);
    CHECK(refused_with(build_seccomp_rules(SeccompOptions{.allow_path_truncate = false}),
                       "ftruncate") == 0);
}
