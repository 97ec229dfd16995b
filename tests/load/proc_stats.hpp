// What /proc says about the server under load: memory, descriptors, and its process tree.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace airlock::load {

struct ProcessInfo {
    pid_t pid = 0;
    pid_t ppid = 0;
    char state = '?';  // R, S, D, Z, ...
    std::string comm;
    std::string detail;  // detail_of(), when asked for
};

// VmRSS of `pid` in KiB; nullopt when the process is gone.
std::optional<long> rss_kib(pid_t pid);

// How many descriptors `pid` has open; nullopt when the process is gone.
std::optional<int> open_fds(pid_t pid);

// Every process on the host (those that vanish while /proc is read are skipped).
std::vector<ProcessInfo> list_processes();

// The processes whose parent chain leads to `root` (`root` itself excluded).
std::vector<ProcessInfo> descendants(pid_t root);

// "pid comm (state)" (and the detail) for reports.
std::string describe(const ProcessInfo& p);

// What a process is: its command line and where it sleeps in the kernel (for a process that
// should not be there any more).
std::string detail_of(pid_t pid);

}  // namespace airlock::load
