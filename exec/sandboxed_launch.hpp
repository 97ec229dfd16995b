// Turns a sandbox profile and a command into a process launch, and runs it: the adapter's
// command line (bwrap) or pre-exec hook (seccomp), the descriptors it needs, and the reading of
// bwrap's status afterwards. Everything the child needs is prepared before anything runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "exec/process_runner.hpp"
#include "platform/hold_gate.hpp"
#include "platform/result.hpp"
#include "platform/unique_fd.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/idmap.hpp"
#include "sandbox/profile.hpp"
#include "sandbox/seccomp_adapter.hpp"

namespace airlock::exec {

struct LaunchRequest {
    const sandbox::Profile* profile = nullptr;
    std::vector<std::string> command;        // argv as it will run
    std::filesystem::path resolved_program;  // where argv[0] was found (unsandboxed adapters)
    std::uint64_t memory_bytes = 0;
    std::uint64_t max_processes = 0;        // RLIMIT_NPROC; 0 = none
    sandbox::CgroupLeaf* cgroup = nullptr;  // joined first; emptied when the command ends
};

// A launch ready to run. Owns the descriptors and data the child inherits or reads.
class Launch {
  public:
    // Error (stage "sandbox") when the adapter cannot be prepared: nothing will run.
    static Result<std::unique_ptr<Launch>> prepare(const LaunchRequest& request);

    const ProcessSpec& spec() const { return spec_; }
    // Seccomp adapter with the proxy: airlock's end of the channel the child sends its
    // connect(2) notification listener on (exec/connect_supervisor.hpp); invalid otherwise.
    UniqueFd take_connect_channel() {
        return seccomp_ ? std::move(seccomp_->listener_receive) : UniqueFd();
    }
    // bwrap with the proxy: the listening socket in the call's network namespace, for the
    // proxy to serve; invalid otherwise.
    UniqueFd take_proxy_listener() { return std::move(proxy_listener_); }

    struct Outcome {
        enum class Kind {
            ran,             // the command ran (whatever its exit status)
            sandbox_failed,  // the sandbox could not be set up; the command never ran
            not_found,       // the program was not there inside the sandbox
            withheld,        // `before_command` said no: the command never ran
        };
        Kind kind = Kind::ran;
        ProcessOutcome process;
        std::string message;  // for sandbox_failed / not_found
    };
    // Error (stage "exec") when the child could not be started: nothing ran.
    // `before_command` runs before the command may start; false withholds it. With bwrap it runs
    // while bwrap sets the sandbox up (bwrap waits on --block-fd before it execs the command),
    // so that work done there (the WAL's sync) overlaps the sandbox's set-up; with the other
    // adapters it runs before the child is started.
    Result<Outcome> run(const RunLimits& limits, const std::function<bool()>& before_command = {});

  private:
    Launch() = default;
    ProcessSpec spec_;
    bool bwrap_ = false;
    bool seatbelt_ = false;
    bool own_pid_namespace_ = false;
    UniqueFd status_read_, status_write_, seccomp_fd_;
    UniqueFd netns_user_, netns_net_;  // network_proxy: what bwrap's launcher joins
    UniqueFd proxy_listener_;
    std::optional<HoldGate> hold_;               // bwrap --block-fd: the command waits for a byte
    const sandbox::Profile* profile_ = nullptr;  // bwrap: its seccomp filter is written in run
    std::string filter_error_;
    std::vector<UniqueFd> data_fds_;  // bwrap's ro-bind-data contents (passwd, group)
    std::optional<sandbox::SeccompLaunch> seccomp_;
    std::optional<sandbox::IdentityLaunch> identity_;
};

}  // namespace airlock::exec
