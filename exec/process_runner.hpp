// Runs one child process with bounded output, a wall-clock timeout and no inherited state.
//
// airlock starts and execs the child itself (platform/vfork_child.hpp) rather than using
// Boost.Process 1.81: between clone and exec it must run only async-signal-safe code, report
// every setup failure instead of exec'ing anyway, and control exactly which descriptors the
// child keeps (Boost.Process 1.81 gets all three wrong in ways that matter for a sandbox).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "platform/result.hpp"

namespace airlock::exec {

// Runs in the child after all other setup, right before execve. Must be async-signal-safe.
// Returns 0 or an errno value; non-zero means the child exits 127 without exec'ing.
using PreExecHook = int (*)(const void* context);

struct ProcessSpec {
    std::string program;  // absolute path; never looked up through PATH here
    std::vector<std::string> argv;
    std::vector<std::string> envp;    // KEY=VALUE, the child's whole environment
    std::string cwd;                  // chdir before exec; empty keeps airlock's
    std::vector<int> pass_fds;        // become fds 3, 4, ... in the child, in this order
    std::uint64_t memory_bytes = 0;   // RLIMIT_AS; 0 = unchanged
    std::uint64_t max_processes = 0;  // RLIMIT_NPROC; 0 = unchanged
    int cgroup_procs_fd = -1;         // the child joins this cgroup first (writes "0" to it)
    // Called in the parent once the child has exited or timed out: kills whatever it left
    // behind (a cgroup's members), so that no descendant keeps the output pipes open.
    std::function<void()> kill_descendants;
    // The child is the init of a PID namespace of its own (needs CAP_SYS_ADMIN): when it exits,
    // or dies with airlock, the kernel kills every process inside, whatever they did to escape
    // their parent. Its PID as the child itself sees it is then 1.
    bool own_pid_namespace = false;
    // The child joins these namespaces (setns) before anything but its cgroup and session: a
    // user namespace (when >= 0), then a network namespace (sandbox/netns.hpp).
    int join_userns_fd = -1;
    int join_netns_fd = -1;
    PreExecHook pre_exec = nullptr;
    const void* pre_exec_context = nullptr;
    // Called in the parent once the child has exec'd, before anything is waited for: the place
    // to release a child that holds its command back (bwrap --block-fd) after work done while
    // it set itself up. false: the child and its descendants are killed and reaped, and the
    // outcome is `withheld`.
    std::function<bool()> on_started;
};

struct RunLimits {
    std::chrono::milliseconds timeout{120000};
    std::uint64_t output_bytes = 1024 * 1024;  // kept per stream; the rest is drained and dropped
    bool passthrough = false;  // also forward the child's output to airlock's stdout/stderr
    int cancel_fd = -1;        // readable (e.g. an eventfd that was written) = kill the child now
};

struct ProcessOutcome {
    int exit_code = 0;    // the child's status, 128+N for a signal
    int term_signal = 0;  // N when killed by a signal
    bool timed_out = false;
    bool cancelled = false;
    bool withheld = false;  // on_started said no: killed before it could run the command
    std::string stdout_bytes;
    std::string stderr_bytes;
    bool stdout_truncated = false;
    bool stderr_truncated = false;
    std::uint64_t stdout_dropped = 0;  // bytes read past the cap and not kept
    std::uint64_t stderr_dropped = 0;
    double seconds = 0;
};

// Error (stage "exec") only when the child could not be started or set up; in that case
// nothing of the command ran.
Result<ProcessOutcome> run_process(const ProcessSpec& spec, const RunLimits& limits);

}  // namespace airlock::exec
