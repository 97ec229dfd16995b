// The compiled filter installed in a real forked child. Every probe also runs in a child
// without the filter (the baseline), which shows that the refusal comes from the filter and
// that the allowed calls work at all.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "child_probe.hpp"
#include "sandbox/seccomp_filter.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::sandbox;
using airlock::test::call_result;
using airlock::test::ChildReport;
using airlock::test::in_grandchild;
using airlock::test::Outcome;
using airlock::test::Probe;
using airlock::test::run_probes_in_child;

namespace {

long status_field(const std::string& field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    }
    return -2;
}

Outcome close_if_fd(long ret) {
    Outcome out = call_result(ret);
    if (ret >= 0) ::close(static_cast<int>(ret));
    return out;
}

// clone() with raw flags; a child that does get created exits at once and is reaped.
Outcome raw_clone(unsigned long flags) {
    const long ret = ::syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (ret == 0) ::_exit(0);
    Outcome out = call_result(ret);
    if (ret > 0) ::waitpid(static_cast<pid_t>(ret), nullptr, 0);
    return out;
}

Outcome null_ioctl(unsigned long request) {
    const int fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    char c = 'x';
    Outcome out = call_result(::syscall(SYS_ioctl, fd, request, &c));
    ::close(fd);
    return out;
}

std::vector<Probe> seccomp_probes() {
    std::vector<Probe> p;
    p.emplace_back("status_seccomp", [] { return Outcome{status_field("Seccomp"), 0, 0}; });
    p.emplace_back("status_no_new_privs", [] { return Outcome{status_field("NoNewPrivs"), 0, 0}; });
    p.emplace_back("getpid", [] { return call_result(::getpid()); });
    p.emplace_back("kill_self_0", [] { return call_result(::kill(::getpid(), 0)); });
    // A scratch file of the child's own, made without the filter's involvement (open and
    // write are never refused), then emptied by path and by descriptor.
    static const auto scratch = [] {
        const std::string path =
            "/tmp/airlock-seccomp-truncate-" + std::to_string(::getpid()) + ".txt";
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            (void)!::write(fd, "data", 4);
            ::close(fd);
        }
        return path;
    };
    p.emplace_back("truncate_path", [] {
        const std::string path = scratch();
        Outcome out = call_result(::truncate(path.c_str(), 0));
        ::unlink(path.c_str());
        return out;
    });
    p.emplace_back("ftruncate_fd", [] {
        const std::string path = scratch();
        const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
        Outcome out = call_result(::ftruncate(fd, 0));
        ::close(fd);
        ::unlink(path.c_str());
        return out;
    });
    p.emplace_back("ptrace_traceme", [] {
        return in_grandchild(
            [] { ::_exit(::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) == 0 ? 0 : errno); });
    });
    p.emplace_back("process_vm_readv", [] {
        char src = 'a', dst = 'b';
        iovec local{&dst, 1}, remote{&src, 1};
        return call_result(::process_vm_readv(::getpid(), &local, 1, &remote, 1, 0));
    });
    p.emplace_back("socket_inet", [] { return close_if_fd(::socket(AF_INET, SOCK_STREAM, 0)); });
    p.emplace_back("socket_inet6", [] { return close_if_fd(::socket(AF_INET6, SOCK_DGRAM, 0)); });
    p.emplace_back("socket_netlink",
                   [] { return close_if_fd(::socket(AF_NETLINK, SOCK_RAW, 0 /* ROUTE */)); });
    p.emplace_back("socket_inet_upper_bits", [] {
        return close_if_fd(::syscall(SYS_socket, (1UL << 32) | AF_INET, SOCK_STREAM, 0));
    });
    p.emplace_back("socket_unix", [] { return close_if_fd(::socket(AF_UNIX, SOCK_STREAM, 0)); });
    p.emplace_back("socketpair_unix", [] {
        int sv[2];
        Outcome out = call_result(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
        if (out.ret == 0) {
            ::close(sv[0]);
            ::close(sv[1]);
        }
        return out;
    });
    p.emplace_back("io_uring_setup", [] {
        io_uring_params params{};
        return close_if_fd(::syscall(SYS_io_uring_setup, 1, &params));
    });
    p.emplace_back("unshare_newuser", [] {
        return in_grandchild([] { ::_exit(::unshare(CLONE_NEWUSER) == 0 ? 0 : errno); });
    });
    p.emplace_back("unshare_newnet_newuser", [] {
        return in_grandchild(
            [] { ::_exit(::unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : errno); });
    });
    p.emplace_back("clone_newuser", [] { return raw_clone(CLONE_NEWUSER); });
    p.emplace_back("clone_newpid", [] { return raw_clone(CLONE_NEWPID); });
    p.emplace_back("clone3", [] { return call_result(::syscall(SYS_clone3, nullptr, 0)); });
    p.emplace_back("fork_wait", [] {
        const pid_t pid = ::fork();
        if (pid == 0) ::_exit(42);
        int status = 0;
        if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return call_result(-1);
        return Outcome{WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0, 0};
    });
    p.emplace_back("thread", [] {
        std::atomic<int> ran{0};
        std::thread t([&] { ran = 1; });
        t.join();
        return Outcome{ran.load(), 0, 0};
    });
    p.emplace_back("ioctl_tiocsti", [] { return null_ioctl(TIOCSTI); });
    p.emplace_back("ioctl_tiocsti_upper_bits", [] { return null_ioctl((1UL << 32) | TIOCSTI); });
    p.emplace_back("ioctl_tioclinux", [] { return null_ioctl(TIOCLINUX); });
    p.emplace_back("ioctl_fionread", [] {
        int fds[2];
        if (::pipe(fds) != 0) return call_result(-1);
        int n = -1;
        Outcome out = call_result(::ioctl(fds[0], FIONREAD, &n));
        ::close(fds[0]);
        ::close(fds[1]);
        return out;
    });
    p.emplace_back("personality_query", [] { return call_result(::personality(0xffffffff)); });
    p.emplace_back("personality_linux", [] { return call_result(::personality(PER_LINUX)); });
    p.emplace_back("personality_linux32", [] {
        return in_grandchild([] { ::_exit(::personality(PER_LINUX32) >= 0 ? 0 : errno); });
    });
    p.emplace_back("personality_no_aslr", [] {
        return in_grandchild([] { ::_exit(::personality(ADDR_NO_RANDOMIZE) >= 0 ? 0 : errno); });
    });
    p.emplace_back("personality_upper_bits", [] {
        // The kernel reads 32 bits and would see PER_LINUX; the filter refuses it anyway.
        return call_result(::syscall(SYS_personality, 1UL << 32));
    });
    p.emplace_back("mount", [] {
        return call_result(::mount("none", "/airlock-no-such-dir", "tmpfs", 0, nullptr));
    });
    p.emplace_back("umount2", [] { return call_result(::umount2("/airlock-no-such-dir", 0)); });
    p.emplace_back("setns", [] { return call_result(::setns(-1, 0)); });
    p.emplace_back("chroot",
                   [] { return in_grandchild([] { ::_exit(::chroot("/") == 0 ? 0 : errno); }); });
    p.emplace_back("bpf", [] { return call_result(::syscall(SYS_bpf, 0xffff, nullptr, 0)); });
    p.emplace_back("keyctl", [] {
        return call_result(::syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* SESSION */, 0));
    });
    p.emplace_back("userfaultfd",
                   [] { return close_if_fd(::syscall(SYS_userfaultfd, O_CLOEXEC)); });
    p.emplace_back("perf_event_open", [] {
        return close_if_fd(::syscall(SYS_perf_event_open, nullptr, 0, -1, -1, 0));
    });
#if defined(__x86_64__)
    p.emplace_back("x32_getpid", [] {
        return in_grandchild([] { ::_exit(::syscall(0x40000000L | SYS_getpid) >= 0 ? 0 : errno); });
    });
    p.emplace_back("i386_getpid", [] {
        return in_grandchild([] {
            long ret = 20;  // __NR_getpid in the i386 table
            asm volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
            ::_exit(ret >= 0 ? 0 : static_cast<int>(-ret));
        });
    });
#endif
    return p;
}

std::vector<unsigned char> compiled(const SeccompOptions& options) {
    auto bpf = compile_seccomp(options);
    REQUIRE_MESSAGE(bpf.ok(), (bpf.ok() ? "" : bpf.error().describe()));
    return *bpf;
}

ChildReport run_filtered(const std::vector<unsigned char>& bpf) {
    return run_probes_in_child([&] { return install_seccomp_bpf(bpf.data(), bpf.size()); },
                               seccomp_probes());
}

ChildReport run_baseline() {
    return run_probes_in_child([] { return 0; }, seccomp_probes());
}

Outcome refused(int err) {
    return Outcome{-1, err, 0};
}
Outcome exited(int code) {
    return Outcome{code, 0, 0};
}
Outcome killed(int sig) {
    return Outcome{-1, 0, sig};
}

bool same(const Outcome& a, const Outcome& b) {
    return a.ret == b.ret && a.err == b.err && a.signal == b.signal;
}

std::string show(const Outcome& o) {
    std::ostringstream s;
    s << "{ret " << o.ret << ", errno " << o.err << ", signal " << o.signal << "}";
    return s.str();
}

// The filtered child must show `expected`; the unfiltered one should not (when it does, the
// host refuses the call by itself and the probe proves less, which is reported).
void expect_refused(const ChildReport& filtered, const ChildReport& baseline,
                    const std::string& name, const Outcome& expected) {
    CAPTURE(name);
    REQUIRE_MESSAGE(filtered.outcomes.count(name) == 1, filtered.raw);
    const Outcome& got = filtered.outcomes.at(name);
    CHECK_MESSAGE(same(got, expected), "got " << show(got) << ", expected " << show(expected));
    REQUIRE(baseline.outcomes.count(name) == 1);
    const Outcome& base = baseline.outcomes.at(name);
    if (same(base, expected)) {
        MESSAGE("probe " << name << " is refused by the host without the filter too " << show(base)
                         << "; it does not discriminate here");
    }
}

void expect_allowed(const ChildReport& report, const std::string& name) {
    CAPTURE(name);
    REQUIRE_MESSAGE(report.outcomes.count(name) == 1, report.raw);
    const Outcome& got = report.outcomes.at(name);
    CHECK_MESSAGE(got.ok(), "got " << show(got));
}

}  // namespace

TEST_CASE("a child under the network-off filter") {
    const auto bpf = compiled(SeccompOptions{});
    const ChildReport filtered = run_filtered(bpf);
    const ChildReport baseline = run_baseline();
    REQUIRE_MESSAGE(filtered.setup_error == 0, filtered.raw);
    REQUIRE_MESSAGE(baseline.setup_error == 0, baseline.raw);

    SUBCASE("reports seccomp mode 2 and no_new_privs; the baseline does not") {
        CHECK(filtered.outcomes.at("status_seccomp").ret == 2);
        CHECK(filtered.outcomes.at("status_no_new_privs").ret == 1);
        CHECK(baseline.outcomes.at("status_seccomp").ret == 0);
    }
    SUBCASE("ordinary calls still work (positive controls)") {
        for (const char* name : {"getpid", "kill_self_0", "socket_unix", "socketpair_unix",
                                 "ioctl_fionread", "personality_query", "personality_linux"}) {
            expect_allowed(filtered, name);
        }
        CHECK(same(filtered.outcomes.at("fork_wait"), exited(42)));
        CHECK(same(filtered.outcomes.at("thread"), exited(1)));
    }
    SUBCASE("the same calls work without the filter (controls for the refusals)") {
        for (const char* name :
             {"socket_inet", "socket_inet6", "socket_inet_upper_bits", "personality_upper_bits"}) {
            expect_allowed(baseline, name);
        }
        CHECK(same(baseline.outcomes.at("personality_linux32"), exited(0)));
        CHECK(same(baseline.outcomes.at("ioctl_tiocsti"), refused(ENOTTY)));
        CHECK(same(baseline.outcomes.at("ioctl_tiocsti_upper_bits"), refused(ENOTTY)));
        CHECK(same(baseline.outcomes.at("setns"), refused(EBADF)));
        CHECK(baseline.outcomes.at("clone3").err != ENOSYS);
    }
    SUBCASE("escape primitives are refused") {
        expect_refused(filtered, baseline, "ptrace_traceme", exited(EPERM));
        expect_refused(filtered, baseline, "process_vm_readv", refused(EPERM));
        expect_refused(filtered, baseline, "io_uring_setup", refused(EPERM));
        expect_refused(filtered, baseline, "unshare_newuser", exited(EPERM));
        expect_refused(filtered, baseline, "unshare_newnet_newuser", exited(EPERM));
        expect_refused(filtered, baseline, "clone_newuser", refused(EPERM));
        expect_refused(filtered, baseline, "clone_newpid", refused(EPERM));
        expect_refused(filtered, baseline, "clone3", refused(ENOSYS));
        expect_refused(filtered, baseline, "ioctl_tiocsti", refused(EPERM));
        expect_refused(filtered, baseline, "ioctl_tiocsti_upper_bits", refused(EPERM));
        expect_refused(filtered, baseline, "ioctl_tioclinux", refused(EPERM));
        expect_refused(filtered, baseline, "personality_linux32", exited(EPERM));
        expect_refused(filtered, baseline, "personality_no_aslr", exited(EPERM));
        expect_refused(filtered, baseline, "personality_upper_bits", refused(EPERM));
        expect_refused(filtered, baseline, "mount", refused(EPERM));
        expect_refused(filtered, baseline, "umount2", refused(EPERM));
        expect_refused(filtered, baseline, "setns", refused(EPERM));
        expect_refused(filtered, baseline, "chroot", exited(EPERM));
        expect_refused(filtered, baseline, "bpf", refused(EPERM));
        expect_refused(filtered, baseline, "keyctl", refused(EPERM));
        expect_refused(filtered, baseline, "userfaultfd", refused(EPERM));
        expect_refused(filtered, baseline, "perf_event_open", refused(EPERM));
    }
    SUBCASE("network sockets are refused, including with garbage in the upper bits") {
        expect_refused(filtered, baseline, "socket_inet", refused(EAFNOSUPPORT));
        expect_refused(filtered, baseline, "socket_inet6", refused(EAFNOSUPPORT));
        expect_refused(filtered, baseline, "socket_netlink", refused(EAFNOSUPPORT));
        expect_refused(filtered, baseline, "socket_inet_upper_bits", refused(EAFNOSUPPORT));
    }
#if defined(__x86_64__)
    SUBCASE("x32 and i386 system calls kill the process") {
        // The filter sees an x32 call whatever the kernel was built with: it is killed first.
        expect_refused(filtered, baseline, "x32_getpid", killed(SIGSYS));
        CHECK(baseline.outcomes.at("x32_getpid").signal != SIGSYS);
        CHECK(baseline.outcomes.at("i386_getpid").signal != SIGSYS);
        const Outcome& i386 = filtered.outcomes.at("i386_getpid");
        const Outcome& i386_host = baseline.outcomes.at("i386_getpid");
        if (same(i386_host, exited(0))) {
            expect_refused(filtered, baseline, "i386_getpid", killed(SIGSYS));
        } else {
            // A kernel without IA-32 emulation refuses int 0x80 before any filter runs.
            airlock::test::not_applicable("int 0x80 killed by the seccomp filter (SIGSYS)",
                                          "unfiltered, int 0x80 ends as " + show(i386_host));
            CHECK_MESSAGE((same(i386, i386_host) || same(i386, killed(SIGSYS))),
                          "got " << show(i386));
            CHECK(!same(i386, exited(0)));
        }
    }
#endif
}

TEST_CASE("a child under the network-on filter may open network sockets, nothing else changes") {
    const ChildReport filtered = run_filtered(compiled(SeccompOptions{.allow_network = true}));
    REQUIRE_MESSAGE(filtered.setup_error == 0, filtered.raw);
    expect_allowed(filtered, "socket_inet");
    expect_allowed(filtered, "socket_inet6");
    expect_allowed(filtered, "socket_unix");
    CHECK(same(filtered.outcomes.at("ptrace_traceme"), exited(EPERM)));
    CHECK(same(filtered.outcomes.at("io_uring_setup"), refused(EPERM)));
    CHECK(same(filtered.outcomes.at("unshare_newuser"), exited(EPERM)));
    CHECK(filtered.outcomes.at("status_seccomp").ret == 2);
}

TEST_CASE("a child under the no-path-truncate filter (Landlock before ABI 3) keeps ftruncate") {
    const ChildReport filtered =
        run_filtered(compiled(SeccompOptions{.allow_path_truncate = false}));
    const ChildReport baseline = run_baseline();
    REQUIRE_MESSAGE(filtered.setup_error == 0, filtered.raw);
    expect_allowed(baseline, "truncate_path");  // the positive control
    CHECK(same(filtered.outcomes.at("truncate_path"), refused(EPERM)));
    expect_allowed(filtered, "ftruncate_fd");
    // The default filter leaves truncate(2) to Landlock (ABI 3 and later).
    expect_allowed(run_filtered(compiled(SeccompOptions{})), "truncate_path");
}

TEST_CASE("a child under the no-unix-sockets filter keeps socketpair") {
    const ChildReport filtered =
        run_filtered(compiled(SeccompOptions{.allow_network = false, .allow_unix_sockets = false}));
    REQUIRE_MESSAGE(filtered.setup_error == 0, filtered.raw);
    CHECK(same(filtered.outcomes.at("socket_unix"), refused(EAFNOSUPPORT)));
    CHECK(same(filtered.outcomes.at("socket_inet"), refused(EAFNOSUPPORT)));
    expect_allowed(filtered, "socketpair_unix");
}
