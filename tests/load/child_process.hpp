// Starting the process under test, waiting for it with a deadline, and catching everything it
// leaves behind: the load tools make themselves a child subreaper, so whatever the process
// under test orphans is re-parented to them and can be counted, waited for and reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "tests/load/proc_stats.hpp"

namespace airlock::load {

struct SpawnOptions {
    std::vector<std::string> argv;
    bool pipe_stdio = false;  // stdin and stdout become pipes to us, else they are inherited
    std::string stdout_path;  // when not empty (and no pipes): stdout goes to this file
    std::string stderr_path;  // when not empty: stderr goes to this file
};

struct Child {
    pid_t pid = -1;
    UniqueFd to_stdin;     // our end of its stdin (pipe_stdio only)
    UniqueFd from_stdout;  // our end of its stdout (pipe_stdio only)
};

// Blocks SIGCHLD (it is read through a signalfd) and SIGPIPE (a dead server is a write error),
// and makes this process a child subreaper. Call once, first thing in main.
Result<void> prepare_supervisor();

Result<Child> spawn(const SpawnOptions& options);

// How a process ended, as a shell reports it: the exit status, or 128 + the signal.
struct Exit {
    int status = 0;
    bool signalled = false;
};

// Waits for `pid` (our child) until `deadline`; nullopt when it is still running then.
std::optional<Exit> wait_for(pid_t pid, std::chrono::steady_clock::time_point deadline);

// Reaps, without blocking, the children of ours that have exited, except `keep` (the process
// under test, waited for by wait_for). They are processes the process under test orphaned and
// that have ended since (e.g. a sandbox's init that outlives bwrap's outer process for a
// moment); reaping them as they come keeps a long run from filling the process table with
// zombies. Returns how many were reaped.
std::size_t reap_exited_orphans(pid_t keep);

struct Orphans {
    std::vector<ProcessInfo> exited;     // re-parented to us, gone within the grace period
    std::vector<ProcessInfo> leftovers;  // still alive after it: killed and reported
};

// Reaps every remaining child of ours (processes orphaned by the process under test), waiting
// for them until `grace` has passed; whatever is alive then is a leftover: it is SIGKILLed,
// reaped and reported.
Orphans reap_orphans(std::chrono::milliseconds grace);

}  // namespace airlock::load
