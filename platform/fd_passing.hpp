// One descriptor over a unix socket (SCM_RIGHTS): a seccomp child sends its notification
// listener to airlock. Plain libc and async-signal-safe, so that a child between fork and exec
// can use it.
#pragma once

namespace airlock {

// Receives one descriptor (close-on-exec, not waiting); -1 with errno on failure or at the end
// of the stream.
int receive_fd(int channel);
// Sends one descriptor. 0, or the errno of sendmsg.
int send_fd(int channel, int fd) noexcept;

}  // namespace airlock
