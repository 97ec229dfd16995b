// The seccomp adapter: no namespaces (for containers where bwrap cannot run). The child drops
// its capabilities, restricts itself with Landlock (read-only everywhere, read-write in the
// writable roots) and installs airlock's seccomp filter, in that order, right before exec.
// With airlock's proxy (network_proxy), Landlock also handles TCP: no bind, connect to the
// proxy's port only; and the filter keeps sockets to plain TCP, which those rules see.
#pragma once

#include <cstddef>
#include <vector>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "sandbox/profile.hpp"

namespace airlock::sandbox {

// Everything the child needs, prepared in the parent (no allocation happens in the child).
struct SeccompLaunch {
    std::vector<unsigned char> bpf;
    UniqueFd landlock_ruleset;
    // network_proxy: the filter puts connect(2) to airlock. The child sends the notification
    // listener over `listener_send`; airlock's supervisor receives it on `listener_receive`.
    UniqueFd listener_send, listener_receive;
};

Result<SeccompLaunch> prepare_seccomp_launch(const Profile& profile);

// Pre-exec hook (async-signal-safe); `context` is a const SeccompLaunch*. Returns 0 or errno.
int apply_seccomp_launch(const void* context) noexcept;

}  // namespace airlock::sandbox
