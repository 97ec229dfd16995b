// A per-call pids cgroup: caps the number of processes (fork bombs) and lets airlock kill
// every process a command started, including daemons that left its session.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::sandbox {

// Where new pids cgroups can be made, or nullopt with the reason in `why`: on cgroup v2,
// airlock's own cgroup when the pids controller is available there and airlock may write it
// (root, or a delegated cgroup); on cgroup v1, the pids hierarchy. Changes nothing.
std::optional<std::filesystem::path> pids_cgroup_parent(std::string* why = nullptr);

class CgroupLeaf {
  public:
    // Creates <parent>/airlock-<name> with pids.max = max_processes. On cgroup v2 the leaf is
    // a threaded cgroup, and the pids controller is enabled in <parent> first if need be.
    static Result<CgroupLeaf> create(const std::filesystem::path& parent, const std::string& name,
                                     std::uint64_t max_processes);

    // The child writes "0" here (async-signal-safe) to join before exec.
    int procs_fd() const { return procs_.get(); }

    // SIGKILLs every member until the cgroup is empty; returns how many were killed.
    int kill_all();

    const std::filesystem::path& path() const { return path_; }
    std::uint64_t max_processes() const { return max_; }

    CgroupLeaf(CgroupLeaf&& other) noexcept;
    CgroupLeaf& operator=(CgroupLeaf&&) = delete;
    ~CgroupLeaf();  // kill_all, then remove the directory

  private:
    CgroupLeaf(std::filesystem::path path, UniqueFd procs, std::uint64_t max)
        : path_(std::move(path)), procs_(std::move(procs)), max_(max) {}
    std::filesystem::path path_;
    UniqueFd procs_;
    std::uint64_t max_ = 0;
};

// Async-signal-safe: moves the calling (single-threaded) process into the cgroup whose join
// file ("tasks" on cgroup v1, "cgroup.procs" on v2) is `fd`.
int join_cgroup(int procs_fd) noexcept;

}  // namespace airlock::sandbox
