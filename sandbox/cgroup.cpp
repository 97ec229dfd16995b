#include "sandbox/cgroup.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

struct Mount {
    fs::path point;
    std::string fstype;
    std::string super_options;
};

// The space-separated fields of one line.
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    while (!line.empty()) {
        const auto start = line.find_first_not_of(' ');
        if (start == std::string_view::npos) break;
        line.remove_prefix(start);
        const auto end = std::min(line.find(' '), line.size());
        out.push_back(line.substr(0, end));
        line.remove_prefix(end);
    }
    return out;
}

std::string read_file(const fs::path& p);

std::vector<Mount> cgroup_mounts() {
    std::vector<Mount> out;
    // Split in place rather than through a stream per line: a host has hundreds of mounts, and
    // every sandboxed call reads them.
    const std::string text = read_file("/proc/self/mountinfo");
    std::string_view rest = text;
    while (!rest.empty()) {
        const auto eol = std::min(rest.find('\n'), rest.size());
        const std::string_view line = rest.substr(0, eol);
        rest.remove_prefix(std::min(eol + 1, rest.size()));
        // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS
        if (line.find("cgroup") == std::string_view::npos) continue;
        const auto f = fields_of(line);
        const auto dash = std::find(f.begin(), f.end(), std::string_view("-"));
        if (f.size() < 6 || dash == f.end() || f.end() - dash < 4) continue;
        const std::string_view fstype = dash[1];
        if (fstype == "cgroup" || fstype == "cgroup2")
            out.push_back({fs::path(std::string(f[4])), std::string(fstype), std::string(dash[3])});
    }
    return out;
}

// This process's cgroup path in the hierarchy identified by `controller` ("" for v2).
std::optional<std::string> own_cgroup(const std::string& controller) {
    std::ifstream in("/proc/self/cgroup");
    for (std::string line; std::getline(in, line);) {
        const auto first = line.find(':');
        const auto second = line.find(':', first + 1);
        if (first == std::string::npos || second == std::string::npos) continue;
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::string path = line.substr(second + 1);
        if (controller.empty()
                ? controllers.empty() && line.rfind("0:", 0) == 0
                : ("," + controllers + ",").find("," + controller + ",") != std::string::npos)
            return path;
    }
    return std::nullopt;
}

bool writable_dir(const fs::path& dir) {
    return ::access(dir.c_str(), W_OK) == 0;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has_word(const std::string& text, const std::string& word) {
    std::istringstream words(text);
    for (std::string w; words >> w;)
        if (w == word) return true;
    return false;
}

bool writable(const fs::path& p) {
    return ::access(p.c_str(), W_OK) == 0;
}

// Writes `value` to a cgroup control file; 0 or errno.
int write_control(const fs::path& file, const std::string& value) {
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return errno;
    if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
        return errno;
    return 0;
}

}  // namespace

std::optional<fs::path> pids_cgroup_parent(std::string* why) {
    const auto mounts = cgroup_mounts();
    // cgroup v2: airlock's own cgroup, when the pids controller is available to it and airlock
    // may write there (root, or a cgroup delegated to this user). CgroupLeaf::create enables
    // the controller for its children if need be; nothing is changed here (dry runs ask too).
    for (const auto& m : mounts) {
        if (m.fstype != "cgroup2") continue;
        const auto own = own_cgroup("");
        if (!own) continue;
        const fs::path dir = m.point / fs::path(*own).relative_path();
        if (!has_word(read_file(dir / "cgroup.subtree_control"), "pids") &&
            !has_word(read_file(dir / "cgroup.controllers"), "pids")) {
            if (why)
                *why = "cgroup v2: the pids controller is not available in " + dir.string() +
                       " (its parent does not enable it)";
            continue;
        }
        if (!writable_dir(dir) || !writable(dir / "cgroup.subtree_control") ||
            !writable(dir / "cgroup.threads")) {
            if (why)
                *why = "cgroup v2: airlock's cgroup " + dir.string() +
                       " is not delegated to this user (e.g. systemd-run --user --scope -p "
                       "Delegate=yes airlock ...)";
            continue;
        }
        return dir;
    }
    // cgroup v1: the pids hierarchy.
    for (const auto& m : mounts) {
        if (m.fstype != "cgroup") continue;
        if (("," + m.super_options + ",").find(",pids,") == std::string::npos) continue;
        const auto own = own_cgroup("pids");
        if (!own) continue;
        const fs::path dir = m.point / fs::path(*own).relative_path();
        if (writable_dir(dir)) return dir;
        if (why) *why = "the pids cgroup " + dir.string() + " is not writable";
        return std::nullopt;
    }
    if (why && why->empty())
        *why = "no writable pids cgroup (cgroup v1 pids hierarchy, or v2 with pids delegated)";
    return std::nullopt;
}

Result<CgroupLeaf> CgroupLeaf::create(const fs::path& parent, const std::string& name,
                                      std::uint64_t max_processes) {
    // cgroup v2 forbids processes in a cgroup whose children have (domain) controllers, and
    // airlock itself lives in `parent`. The pids controller is threaded, though: enabled only
    // for it, `parent` becomes a threaded domain that may keep its processes, and each call's
    // leaf is a threaded cgroup that the child joins by moving its one thread (cgroup.threads).
    const bool v2 = fs::exists(parent / "cgroup.controllers");
    if (v2 && !has_word(read_file(parent / "cgroup.subtree_control"), "pids")) {
        if (const int err = write_control(parent / "cgroup.subtree_control", "+pids"); err != 0)
            return sys_error(
                "sandbox",
                "cannot enable the pids controller for the children of " + parent.string(),
                "write cgroup.subtree_control", err);
    }
    const fs::path dir = parent / ("airlock-" + name);
    if (::mkdir(dir.c_str(), 0755) != 0)
        return sys_error("sandbox", "cannot create cgroup " + dir.string(), "mkdir");
    auto fail = [&](const std::string& what, const char* call, int err = errno) {
        const Error e = sys_error("sandbox", what, call, err);
        ::rmdir(dir.c_str());
        return e;
    };
    if (v2) {
        if (const int err = write_control(dir / "cgroup.type", "threaded"); err != 0)
            return fail("cannot make " + dir.string() + " a threaded cgroup", "write cgroup.type",
                        err);
    }
    {
        UniqueFd max(::open((dir / "pids.max").c_str(), O_WRONLY | O_CLOEXEC));
        if (!max.valid()) return fail("cannot open pids.max in " + dir.string(), "open");
        const std::string value = std::to_string(max_processes);
        if (::write(max.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
            return fail("cannot set pids.max in " + dir.string(), "write");
    }
    // The child joins while it is still single-threaded, so it can move itself as a thread:
    // "tasks" on cgroup v1 (which skips the whole-threadgroup lock, whose RCU grace period
    // costs milliseconds per call), "cgroup.threads" on v2 (the leaf is threaded).
    const char* join_file = v2 ? "cgroup.threads" : "tasks";
    UniqueFd procs(::open((dir / join_file).c_str(), O_WRONLY | O_CLOEXEC));
    if (!procs.valid())
        return fail(std::string("cannot open ") + join_file + " in " + dir.string(), "open");
    return CgroupLeaf(dir, std::move(procs), max_processes);
}

CgroupLeaf::CgroupLeaf(CgroupLeaf&& other) noexcept
    : path_(std::move(other.path_)), procs_(std::move(other.procs_)), max_(other.max_) {
    other.path_.clear();
}

int CgroupLeaf::kill_all() {
    if (path_.empty()) return 0;
    int killed = 0;
    // Members may fork while we kill; pids.max bounds how many there can be, so a few rounds
    // empty it. Each round reads the current members afresh.
    for (int round = 0; round < 1000; ++round) {
        // A threaded (v2) leaf lists its members in cgroup.threads; killing any thread of a
        // process kills the process.
        std::ifstream in(fs::exists(path_ / "cgroup.threads") ? path_ / "cgroup.threads"
                                                              : path_ / "cgroup.procs");
        bool any = false;
        for (pid_t pid; in >> pid;) {
            any = true;
            if (::kill(pid, SIGKILL) == 0) ++killed;
        }
        if (!any) break;
    }
    return killed;
}

CgroupLeaf::~CgroupLeaf() {
    if (path_.empty()) return;
    kill_all();
    procs_.reset();
    // The killed members disappear asynchronously; rmdir succeeds once they are reaped.
    for (int attempt = 0; attempt < 1000 && ::rmdir(path_.c_str()) != 0 && errno == EBUSY;
         ++attempt) {
        kill_all();
        ::usleep(1000);
    }
}

int join_cgroup(int procs_fd) noexcept {
    if (::write(procs_fd, "0", 1) != 1) return errno;
    return 0;
}

}  // namespace airlock::sandbox
