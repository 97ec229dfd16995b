// A hook call handed to a running hook server (hook_server.hpp).
#pragma once

#include <string>
#include <variant>

#include "cli/hooks/adapter.hpp"
#include "cli/hooks/hook_server_address.hpp"

namespace airlock::hooks {

struct NotServed {};   // no server took the call: nothing was done, decide it here
struct ServerFailed {  // the server took the call and gave no answer: fail closed
    std::string reason;
};
using ServedOutcome = std::variant<Rendered, NotServed, ServerFailed>;

// How long a call waits for the server's answer once it was accepted (an agent's own hook
// timeout is 60 s or more; a hook that the agent kills is not a block for every agent).
inline constexpr int kServerAnswerSeconds = 20;

ServedOutcome call_hook_server(const HookServerAddress& address, const std::string& event);

}  // namespace airlock::hooks
