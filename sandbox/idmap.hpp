// Applies a HostIdentity (sandbox/host_identity.hpp): idmapped copies of the writable roots are
// made in the parent (open_tree + mount_setattr, so a filesystem without idmap support fails
// here, with the call and errno, before anything runs); the child then, between fork and exec,
// enters a private mount namespace, masks the directories its new user could not enter, attaches
// the idmapped roots and becomes that user, before exec'ing bwrap.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "sandbox/host_identity.hpp"

namespace airlock::sandbox {

// Everything the child needs, prepared in the parent (no allocation happens in the child).
struct IdentityLaunch {
    uid_t uid = kSandboxHostUid;
    gid_t gid = kSandboxHostGid;
    std::vector<std::string> masked;     // an empty tmpfs goes over each, in order
    std::vector<std::string> make_dirs;  // then these are created inside the masks, in order
    std::vector<UniqueFd> trees;         // detached idmapped copies of the writable roots
    std::vector<std::string> tree_dests;
    // The trees' descriptor numbers in the child (the launcher passes them on); the hook closes
    // them once attached, so the sandboxed command never inherits one.
    std::vector<int> tree_child_fds;
};

Result<IdentityLaunch> prepare_identity_launch(const HostIdentity& identity);

// Pre-exec hook (async-signal-safe); `context` is a const IdentityLaunch*. Returns 0 or errno.
int apply_identity_launch(const void* context) noexcept;

}  // namespace airlock::sandbox
