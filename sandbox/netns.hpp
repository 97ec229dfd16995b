// The network namespace of a call whose network goes through airlock's egress proxy: made by
// airlock before bwrap starts, holding only a loopback interface (up) and one listening socket
// on 127.0.0.1:PORT. The launch's child joins it before it execs bwrap, which then does not
// unshare the network itself; the listening socket goes to the proxy, which accepts on it. So the
// command's only way out is that socket, and nothing of airlock has to run inside the sandbox
// first to open it.
//
// As root the namespace belongs to the host's user namespace: the sandbox, in a user namespace
// below it, has no capability over it (it cannot add an interface or an address, nor bring
// loopback down). Unprivileged, a user namespace is made for it first, mapping only the caller's
// own uid and gid to themselves; bwrap's user namespace is then made inside that one, so again
// the sandbox has no capability over the network namespace.
#pragma once

#include <cstdint>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::sandbox {

struct LoopbackNetns {
    UniqueFd user;      // unprivileged: the user namespace that owns `net`; invalid as root
    UniqueFd net;       // the network namespace
    UniqueFd listener;  // TCP, listening on 127.0.0.1:port inside `net`
    std::uint16_t port = 0;
};

// Makes the namespaces and the listening socket in a short-lived child (airlock's threads stay
// where they are). port 0: an ephemeral port (the probe of `airlock doctor`). Error (stage
// "sandbox") naming the step and its errno; nothing is left behind then.
Result<LoopbackNetns> make_loopback_netns(std::uint16_t port);

}  // namespace airlock::sandbox
