// Inside the Session (not part of its interface): one call as it moves through the pipeline, and
// the helpers its stages share (session.cpp, session_sandbox.cpp, session_execute.cpp).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "exec/session.hpp"
#include "sandbox/cgroup.hpp"
#include "sandbox/placeholders.hpp"
#include "sandbox/profile.hpp"

namespace airlock::exec {

// One call moving through the pipeline: the request, what each stage found, the result so far.
struct Session::Call {
    ToolCall call;
    CallResult result;
    std::filesystem::path cwd;            // shell_exec: absolute working directory
    std::filesystem::path relative_path;  // file tools: validated path relative to the workspace
    std::vector<std::pair<std::string, std::string>> env;  // the child's environment
    std::vector<std::string> command;                      // argv as it will run
    std::filesystem::path resolved_program;                // where argv[0] was found
    sandbox::SandboxRequest sandbox_request;               // what the policy asks of the sandbox
    sandbox::Adapter adapter = sandbox::Adapter::none;     // the adapter that will give it
    nlohmann::json adapter_choice;  // asked for, chosen and why (sandbox::to_json), for the record
    std::optional<sandbox::Profile> profile;
    int cancel_fd = -1;
    long long timeout_ms = 0;
    nlohmann::json processes;                   // how the process limit is enforced, for the record
    std::optional<sandbox::CgroupLeaf> cgroup;  // per-call pids cgroup, when the host has one
    std::optional<sandbox::PlaceholderLease> placeholders;  // released after the command
    bool nproc_rlimit = false;  // otherwise RLIMIT_NPROC, when it can bind
    std::string granted_by;     // a redeemed grant stands for the approval: the deciding call
    bool ask_caller = false;    // decide_only: the caller asks its user
};

namespace session_detail {

inline constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// The environment a command gets: only what the policy lets through, never airlock's own.
std::vector<std::pair<std::string, std::string>> child_environment(const policy::EnvSettings& env);

// What the WAL keeps of an output stream: its size and digest, never its bytes.
nlohmann::json output_summary(const std::string& bytes, bool truncated);

}  // namespace session_detail

}  // namespace airlock::exec
