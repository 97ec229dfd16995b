#include "tests/load/proc_stats.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <map>
#include <sstream>

#include "platform/unique_fd.hpp"

namespace airlock::load {

namespace fs = std::filesystem;

namespace {

// A /proc file's text, or nullopt when the process is gone. Not std::ifstream: a read of a
// process that exits after the open fails with ESRCH, and libstdc++'s filebuf throws on that.
std::optional<std::string> read_proc_file(const std::string& path) {
    const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) return std::nullopt;
    std::string text;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n > 0) {
            text.append(buf, static_cast<size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno != EINTR) {
            return std::nullopt;
        }
    }
    return text;
}

}  // namespace

std::optional<long> rss_kib(pid_t pid) {
    const auto text = read_proc_file("/proc/" + std::to_string(pid) + "/status");
    if (!text) return std::nullopt;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return std::nullopt;
}

std::optional<int> open_fds(pid_t pid) {
    std::error_code ec;
    fs::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
    if (ec) return std::nullopt;
    int n = 0;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) return std::nullopt;
        ++n;
    }
    return n;
}

namespace {

// /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so the
// fields after it are found from the last ')'.
std::optional<ProcessInfo> read_stat(pid_t pid) {
    const std::string text = read_proc_file("/proc/" + std::to_string(pid) + "/stat").value_or("");
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) return {};
    ProcessInfo p;
    p.pid = pid;
    p.comm = text.substr(open + 1, close - open - 1);
    std::istringstream rest(text.substr(close + 1));
    rest >> p.state >> p.ppid;
    if (!rest) return {};
    return p;
}

}  // namespace

std::vector<ProcessInfo> list_processes() {
    std::vector<ProcessInfo> out;
    std::error_code ec;
    for (fs::directory_iterator it("/proc", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
        if (auto p = read_stat(static_cast<pid_t>(std::stol(name)))) out.push_back(*p);
    }
    return out;
}

std::vector<ProcessInfo> descendants(pid_t root) {
    const auto all = list_processes();
    std::map<pid_t, pid_t> parent;
    for (const auto& p : all)
        parent[p.pid] = p.ppid;
    std::vector<ProcessInfo> out;
    for (const auto& p : all) {
        // Walk up; the depth bound guards against a pid reused while /proc was read.
        pid_t up = p.ppid;
        for (int depth = 0; depth < 64 && up > 1; ++depth) {
            if (up == root) {
                out.push_back(p);
                break;
            }
            const auto it = parent.find(up);
            if (it == parent.end()) break;
            up = it->second;
        }
    }
    return out;
}

std::string describe(const ProcessInfo& p) {
    return std::to_string(p.pid) + " " + p.comm + " (" + std::string(1, p.state) + ")" +
           (p.detail.empty() ? "" : " " + p.detail);
}

std::string detail_of(pid_t pid) {
    const std::string proc = "/proc/" + std::to_string(pid);
    std::string cmdline = read_proc_file(proc + "/cmdline").value_or("");
    for (char& c : cmdline)
        if (c == '\0') c = ' ';
    if (cmdline.size() > 300) cmdline = cmdline.substr(0, 300) + "...";
    std::string wchan = read_proc_file(proc + "/wchan").value_or("");
    if (const auto nl = wchan.find('\n'); nl != std::string::npos) wchan.resize(nl);
    return "[" + cmdline + "] waiting in " + (wchan.empty() ? "?" : wchan);
}

}  // namespace airlock::load
