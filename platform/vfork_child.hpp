// Starting a child process the way posix_spawn does, for the children airlock starts per call.
#pragma once

#include <sys/types.h>

namespace airlock {

// Runs `entry(arg)` in a child created with clone(CLONE_VM | CLONE_VFORK | SIGCHLD |
// `extra_flags`): the child shares this process's memory until it execs or exits, and the calling
// thread waits until then. A fork would copy the page tables of all of airlock's memory and make
// every page airlock writes afterwards fault once more (in every thread of `airlock serve`).
//
// The child runs on a stack of its own with every signal blocked (no handler of airlock's may
// run in it); `entry` must call only async-signal-safe functions, allocate nothing, write no
// memory but its own stack (and errno), use raw system calls to change its ids (glibc's
// wrappers would signal airlock's threads), and end in execve or _exit. A change of user in the
// child resets the dumpable flag of the shared memory: airlock's is restored afterwards.
// Under AddressSanitizer (the sanitized test build) the child is forked instead, with the same
// flags. Returns the child's pid, or -1 with errno set.
pid_t clone_vfork(int (*entry)(void*), void* arg, int extra_flags = 0);

}  // namespace airlock
