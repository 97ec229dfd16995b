// Probes of what this host's kernel allows unconfined: the positive controls that host-dependent
// tests run before they expect airlock to refuse something. Each returns "" when the facility
// works here, else why it does not (the host refuses it by itself).
#pragma once

#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace airlock::test {

namespace host_facts_detail {

// Runs `body` in a forked child and describes how it ended: "" when it exited 0.
template <typename Body>
std::string in_child(const char* what, Body body) {
    const pid_t pid = ::fork();
    if (pid < 0) return std::string("fork failed: ") + std::strerror(errno);
    if (pid == 0) {
        // The test framework's crash handlers would report the probe's own fault as a crashed
        // test case (from the child, with a partial summary): the probe dies of it plainly.
        for (const int sig : {SIGSEGV, SIGILL, SIGBUS, SIGSYS, SIGFPE, SIGABRT})
            ::signal(sig, SIG_DFL);
        ::_exit(body());
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
    if (WIFSIGNALED(status))
        return std::string(what) + " unconfined is killed by signal " +
               std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")";
    return std::string(what) + " unconfined fails: " + std::strerror(WEXITSTATUS(status));
}

}  // namespace host_facts_detail

// IA-32 system calls (int 0x80) from a 64-bit process. Kernels built without IA32_EMULATION,
// or booted with ia32_emulation=0, fault (SIGSEGV) or answer ENOSYS.
inline std::string ia32_syscalls_refused_by_host() {
#if defined(__x86_64__)
    return host_facts_detail::in_child("int 0x80 (i386 getpid)", [] {
        long ret = 20;  // __NR_getpid in the i386 table
        asm volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
        return ret >= 0 ? 0 : static_cast<int>(-ret);
    });
#else
    return "not an x86_64 host";
#endif
}

// x32 system calls (the 0x40000000 bit) from a 64-bit process; most distribution kernels are
// built without X32 and answer ENOSYS.
inline std::string x32_syscalls_refused_by_host() {
#if defined(__x86_64__)
    return host_facts_detail::in_child("an x32 system call (getpid | 0x40000000)", [] {
        return ::syscall(0x40000000L | SYS_getpid) >= 0 ? 0 : errno;
    });
#else
    return "not an x86_64 host";
#endif
}

// A new user namespace for this process (what `unshare -r` needs). Hosts refuse it with
// user.max_user_namespaces = 0 (ENOSPC), kernel.unprivileged_userns_clone = 0 or AppArmor's
// restriction (EPERM/EACCES), or a container's seccomp profile.
inline std::string user_namespaces_refused_by_host() {
    return host_facts_detail::in_child("unshare(CLONE_NEWUSER)",
                                       [] { return ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno; });
}

}  // namespace airlock::test
