// The hook server: after a hook call has answered its agent, it may leave a process behind that
// answers the next calls of the same hook command line (hook_server_address.hpp) in-process, so
// that an agent's hook costs the start of a small client instead of loading airlock, its policy
// layers and its guard at every tool call. Each call is still decided from scratch, exactly as
// the process that started the server decides (policy files and the run's log are read anew);
// only the process is reused.
//
// The server never runs anything: it is started only for hooks whose asks go to the agent or
// are denied (--approve unset or deny). It serves only unconfined processes of its own user (the
// peer's user and mount namespaces are the server's, no no_new_privs, no seccomp): a command in
// airlock's sandbox cannot use it to write the run's log. It is single-threaded, serves one call
// at a time, and ends after AIRLOCK_HOOK_SERVER_IDLE seconds without a call (default 600), when
// its working directory is removed, or when its socket is no longer its own.
#pragma once

#include "cli/hooks/hook_runner.hpp"
#include "cli/hooks/hook_server_address.hpp"

namespace airlock::hooks {

// Starts a server at `address` for calls answered with `options` by the adapter named `agent`,
// unless one may not or need not be started (another already holds the address's lock, the
// approvals could run something, the process has threads or is itself confined). Returns in the
// calling process in every case; the server is a forked child in a session of its own.
void start_hook_server(const HookServerAddress& address, std::string_view agent,
                       const HookOptions& options);

// The peer of an accepted connection may be served: same effective user, same user and mount
// namespaces as this process, neither no_new_privs nor a seccomp filter.
bool unconfined_peer(int fd);
bool unconfined_self();  // neither no_new_privs nor a seccomp filter

}  // namespace airlock::hooks
