// Runs a program with bytes on its stdin and collects its stdout, under a deadline.
// No shell: the program is executed directly, with no arguments besides its own path.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "platform/result.hpp"

namespace airlock::approvals {

struct ChildRun {
    enum class End {
        exited,           // exit_code is valid
        signalled,        // term_signal is valid
        timed_out,        // killed (with its process group) at the deadline
        too_much_output,  // killed: stdout exceeded the limit
    };
    End end = End::exited;
    int exit_code = 0;
    int term_signal = 0;
    std::string output;  // stdout, at most the limit
};

// Errors (stage "approvals") only when the program could not be started at all (pipe, fork,
// exec failure, with the failing call and errno). The child gets airlock's environment, its
// stderr, an empty signal mask and no other inherited file descriptor; it runs in a process
// group of its own so that a timeout kills whatever it started too.
Result<ChildRun> run_child(const std::string& program, const std::string& input,
                           std::chrono::milliseconds timeout, std::size_t max_output);

}  // namespace airlock::approvals
