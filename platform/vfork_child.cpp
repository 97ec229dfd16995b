#include "platform/vfork_child.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

// AddressSanitizer follows one stack per thread: a child running on another stack in the same
// memory makes it warn (on airlock's stderr) and leaves that stack's poisoned shadow behind.
// Under it the child gets a copy of the memory instead, as a fork does, and runs on it.
#if defined(__SANITIZE_ADDRESS__)
#define AIRLOCK_VFORK_CHILD_FORKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIRLOCK_VFORK_CHILD_FORKS 1
#endif
#endif

namespace airlock {

namespace {

// The child's stack, with a guard page below it; unmapped once the child has exec'd or exited.
class ChildStack {
  public:
    static constexpr std::size_t kSize = 256 * 1024;
    ChildStack() {
        void* p = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (p == MAP_FAILED) return;
        base_ = static_cast<char*>(p);
        if (::mprotect(base_, static_cast<std::size_t>(::getpagesize()), PROT_NONE) != 0) {
            ::munmap(base_, kSize);
            base_ = nullptr;
        }
    }
    ~ChildStack() {
        if (base_ != nullptr) ::munmap(base_, kSize);
    }
    ChildStack(const ChildStack&) = delete;
    ChildStack& operator=(const ChildStack&) = delete;
    bool valid() const { return base_ != nullptr; }
    void* top() const { return base_ + kSize; }

  private:
    char* base_ = nullptr;
};

}  // namespace

pid_t clone_vfork(int (*entry)(void*), void* arg, int extra_flags) {
#if defined(AIRLOCK_VFORK_CHILD_FORKS)
    const pid_t forked = extra_flags == 0
                             ? ::fork()
                             : static_cast<pid_t>(::syscall(SYS_clone, SIGCHLD | extra_flags,
                                                            nullptr, nullptr, nullptr, nullptr));
    if (forked == 0) ::_exit(entry(arg));
    return forked;
#endif
    ChildStack stack;
    if (!stack.valid()) return -1;
    sigset_t all, old;
    sigfillset(&all);
    if (const int err = ::pthread_sigmask(SIG_SETMASK, &all, &old); err != 0) {
        errno = err;
        return -1;
    }
    const int dumpable = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    const pid_t pid =
        ::clone(entry, stack.top(), CLONE_VM | CLONE_VFORK | SIGCHLD | extra_flags, arg);
    const int saved = errno;
    if (dumpable >= 0 && ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != dumpable)
        ::prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    errno = saved;
    return pid;
}

}  // namespace airlock
