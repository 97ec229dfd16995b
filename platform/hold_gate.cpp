#include "platform/hold_gate.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace airlock {

Result<HoldGate> make_hold_gate() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sys_error("sandbox", "cannot create a pipe", "pipe2");
    UniqueFd read_end(fds[0]);
    HoldGate gate;
    gate.release_end.reset(fds[1]);
    // Opening a pipe through /proc read-write gives a descriptor that is both of its ends.
    const std::string path = "/proc/self/fd/" + std::to_string(read_end.get());
    gate.child_end.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!gate.child_end.valid())
        return sys_error("sandbox", "cannot reopen the hold pipe read-write (" + path + ")",
                         "open");
    return gate;
}

bool release(const HoldGate& gate) {
    const char go = 1;
    ssize_t n;
    do {
        n = ::write(gate.release_end.get(), &go, 1);
    } while (n < 0 && errno == EINTR);
    return n == 1;
}

}  // namespace airlock
