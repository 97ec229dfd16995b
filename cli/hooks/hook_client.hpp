// A hook call handed to a running hook server (hook_server.hpp).
//
// An agent starts `airlock hook AGENT` for every tool call, and most of a served call's time
// would be airlock's own start: static initialisation (libstdc++'s locales and streams,
// OpenSSL's CPU probe, the command line's tables) and the pages it touches. So the client runs
// before all of that, from the binary's .preinit_array (cli/main.cpp): it derives the address,
// connects, reads the event, hands it over, prints the answer and exits. When no server answers,
// it returns and leaves what it read to main. Until then nothing of the C++ runtime may be used
// that needs initialising: no heap (fixed buffers, mmap), no streams or locales, no globals with
// constructors, no exceptions; only system calls and code that needs none of that.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "cli/hooks/hook_server_address.hpp"
#include "cli/hooks/hook_server_wire.hpp"
#include "cli/hooks/mapped_buffer.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::hooks {

// How long a call waits for the server's answer once it was accepted (an agent's own hook
// timeout is 60 s or more; a hook that the agent kills is not a block for every agent).
inline constexpr int kServerAnswerSeconds = 20;

struct CallOutcome {
    enum class Kind {
        not_served,  // no server took the call: nothing was done, decide it here
        failed,      // the server took the call and gave no answer: fail closed with `reason`
        answered,    // `answer`, viewing into `message`
    };
    Kind kind = Kind::not_served;
    wire::AnswerView answer;
    MappedBuffer message;
    char reason[384] = {};
};

// A connection to the server at `socket` whose peer is this user, or an invalid fd.
UniqueFd connect_hook_server(const char* socket) noexcept;

// Hands the call to the server connected on `fd` (`socket` names it in a failure's reason).
CallOutcome exchange_with_hook_server(int fd, const char* socket, std::string_view key,
                                      std::string_view event, char** environment) noexcept;

// Both of the above.
CallOutcome call_hook_server(const char* socket, std::string_view key, std::string_view event,
                             char** environment) noexcept;

// What the early client left for main when no server answered.
struct EarlyHookCall {
    bool ran = false;         // the client has run (it runs once)
    bool agent_call = false;  // `airlock hook AGENT` from an agent (answer_hook_early)
    bool event_read = false;  // it read standard input: `event` is the agent's event
    bool failed = false;      // a server accepted the call and did not answer: `reason`
    std::string_view event;
    char reason[384] = {};
};
const EarlyHookCall& early_hook_call() noexcept;

// The early client: for `airlock hook AGENT` with the event on a pipe or file (not a terminal,
// no --help), answers from the command line's hook server and exits with the answer's status;
// otherwise returns. Runs once; a second call returns at once.
void answer_hook_early(int argc, char** argv, char** environment) noexcept;

}  // namespace airlock::hooks
