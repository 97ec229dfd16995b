#include "sandbox/userns_probe.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "platform/unique_fd.hpp"
#include "platform/vfork_child.hpp"
#include "platform/write_all.hpp"
#include "sandbox/host_identity.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

std::optional<long> read_sysctl(const char* path) {
    std::ifstream in(path);
    long value = 0;
    if (in >> value) return value;
    return std::nullopt;
}

// What the child reports through the pipe when a step fails.
enum Step : int { kSetIds = 1, kUnshare = 2, kSetgroups = 3, kUidMap = 4 };
struct ChildReport {
    int step = 0;
    int err = 0;
};

const char* step_call(int step) {
    switch (step) {
        case kSetIds:
            return "setresuid/setresgid to the sandbox user";
        case kUnshare:
            return "unshare(CLONE_NEWUSER)";
        case kSetgroups:
            return "write /proc/self/setgroups";
        case kUidMap:
            return "write /proc/self/uid_map";
    }
    return "probe child";
}

// Between clone and _exit: async-signal-safe calls only. Reports the failing step on `fd`.
[[noreturn]] void probe_child(int fd, bool switch_ids, uid_t uid, gid_t gid, const char* uid_map) {
    auto fail = [fd](int step) {
        const ChildReport report{step, errno};
        (void)!::write(fd, &report, sizeof report);
        ::_exit(1);
    };
    // Raw system calls: they change only this (the child's only) thread's ids.
    if (switch_ids && (::syscall(SYS_setgroups, 0, nullptr) != 0 ||
                       ::syscall(SYS_setresgid, gid, gid, gid) != 0 ||
                       ::syscall(SYS_setresuid, uid, uid, uid) != 0))
        fail(kSetIds);
    // Changing ids clears the dumpable flag, which makes /proc/self/* root's: bwrap, exec'd
    // after the switch, is dumpable again, so the probe restores it to see what bwrap sees.
    if (switch_ids && ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) fail(kSetIds);
    if (::unshare(CLONE_NEWUSER) != 0) fail(kUnshare);
    // bwrap maps its user next; AppArmor's restriction lets unshare succeed and fails here.
    const int setgroups = ::open("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
    if (setgroups < 0 || write_all(setgroups, "deny") != 0) fail(kSetgroups);
    ::close(setgroups);
    const int map = ::open("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
    if (map < 0 || write_all(map, uid_map) != 0) fail(kUidMap);
    ::_exit(0);
}

struct ProbeArgs {
    int fd;
    bool switch_ids;
    uid_t uid;
    gid_t gid;
    const char* uid_map;
};

int probe_entry(void* p) {
    const auto* a = static_cast<const ProbeArgs*>(p);
    probe_child(a->fd, a->switch_ids, a->uid, a->gid, a->uid_map);
}

std::string explain(const UsernsProbe& p) {
    std::string why = std::string(p.failed_call) + " as uid " + std::to_string(p.probed_as) +
                      " failed: " + std::strerror(p.err_no);
    const bool privileged_probe = p.probed_as == 0;
    if (p.max_user_namespaces && *p.max_user_namespaces == 0)
        return why +
               "; user.max_user_namespaces is 0 in airlock's user namespace (fix: sysctl -w "
               "user.max_user_namespaces=15000, in the namespace that set it to 0)";
    if (p.err_no == ENOSPC)
        return why +
               "; the limit of user namespaces (user.max_user_namespaces, or the nesting depth "
               "of 32) is reached";
    if (!privileged_probe && p.unprivileged_userns_clone && *p.unprivileged_userns_clone == 0)
        return why +
               "; kernel.unprivileged_userns_clone is 0 (fix: sysctl -w "
               "kernel.unprivileged_userns_clone=1)";
    if (!privileged_probe && p.apparmor_restrict_unprivileged_userns &&
        *p.apparmor_restrict_unprivileged_userns == 1)
        return why +
               "; AppArmor restricts unprivileged user namespaces "
               "(kernel.apparmor_restrict_unprivileged_userns = 1; fix: an AppArmor profile "
               "for bwrap, or sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)";
    if (p.err_no == EPERM && p.failed_call == step_call(kUnshare))
        return why +
               "; no sysctl explains it: a container's seccomp profile or a security module "
               "forbids user namespaces (fix: allow unshare(CLONE_NEWUSER) in the container)";
    return why;
}

}  // namespace

UsernsProbe probe_user_namespaces(uid_t uid, gid_t gid) {
    UsernsProbe p;
    p.probed_as = uid;
    p.max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
    p.unprivileged_userns_clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
    p.apparmor_restrict_unprivileged_userns =
        read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");

    const bool switch_ids = ::geteuid() == 0 && uid != 0;
    char uid_map[64];
    std::snprintf(uid_map, sizeof uid_map, "0 %u 1\n", static_cast<unsigned>(uid));
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        p.failed_call = "pipe2";
        p.err_no = errno;
        p.why = std::string("cannot probe user namespaces: pipe2: ") + std::strerror(p.err_no);
        return p;
    }
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    // The child shares airlock's memory until it exits (platform/vfork_child.hpp).
    ProbeArgs args{write_end.get(), switch_ids, uid, gid, uid_map};
    const pid_t pid = clone_vfork(probe_entry, &args);
    if (pid < 0) {
        p.failed_call = "clone";
        p.err_no = errno;
        p.why = std::string("cannot probe user namespaces: clone: ") + std::strerror(p.err_no);
        return p;
    }
    write_end.reset();
    ChildReport report;
    ssize_t got = 0;
    do {
        got = ::read(read_end.get(), &report, sizeof report);
    } while (got < 0 && errno == EINTR);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == static_cast<ssize_t>(sizeof report)) {
        p.failed_call = step_call(report.step);
        p.err_no = report.err;
        p.why = explain(p);
        return p;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // Fail closed: a probe that ended without saying why is a refusal.
        p.failed_call = "probe child";
        p.why = "the user-namespace probe child ended abnormally (status " +
                std::to_string(status) + ")";
        return p;
    }
    p.works = true;
    p.why = "a child running as uid " + std::to_string(uid) +
            " created a user namespace and mapped its user";
    return p;
}

std::string userns_probe_key(uid_t uid, gid_t gid, const UsernsProbe& sysctls) {
    auto first_line = [](const char* path) {
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        return line;
    };
    char own_ns[64] = {};
    const ssize_t n = ::readlink("/proc/self/ns/user", own_ns, sizeof own_ns - 1);
    if (n > 0) own_ns[n] = '\0';
    struct utsname uts {};
    ::uname(&uts);
    auto sysctl = [](const std::optional<long>& v) { return v ? std::to_string(*v) : "-"; };
    return "v1 boot=" + first_line("/proc/sys/kernel/random/boot_id") + " userns=" + own_ns +
           " euid=" + std::to_string(::geteuid()) + " uid=" + std::to_string(uid) +
           " gid=" + std::to_string(gid) + " kernel=" + uts.release +
           " max_user_namespaces=" + sysctl(sysctls.max_user_namespaces) +
           " unprivileged_userns_clone=" + sysctl(sysctls.unprivileged_userns_clone) +
           " apparmor_restrict_unprivileged_userns=" +
           sysctl(sysctls.apparmor_restrict_unprivileged_userns) + "\n";
}

namespace {

// This user's own, and nobody else may write it.
bool probe_cache_is_private(const struct stat& st) {
    return st.st_uid == ::geteuid() && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

std::optional<std::string> read_probe_cache(const fs::path& file) {
    UniqueFd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd.valid() || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) ||
        !probe_cache_is_private(st) || st.st_size > 4096)
        return std::nullopt;
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    if (::read(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return std::nullopt;
    return text;
}

// Best effort: a cache that cannot be written only means the next call probes again.
void write_probe_cache(const fs::path& dir, const fs::path& file, const std::string& key) {
    // Its parents (~/.local/state/airlock) may not exist yet.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno == ENOENT) {
        std::error_code ec;
        fs::create_directories(dir.parent_path(), ec);
    }
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return;
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || !probe_cache_is_private(st))
        return;
    const fs::path tmp = file.string() + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd.valid()) return;
    const bool written = write_all(fd.get(), key) == 0;
    fd.reset();
    if (!written || ::rename(tmp.c_str(), file.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace

UsernsProbe probe_user_namespaces_cached(uid_t uid, gid_t gid, const fs::path& cache_dir) {
    if (cache_dir.empty()) return probe_user_namespaces(uid, gid);
    UsernsProbe sysctls;
    sysctls.max_user_namespaces = read_sysctl("/proc/sys/user/max_user_namespaces");
    sysctls.unprivileged_userns_clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
    sysctls.apparmor_restrict_unprivileged_userns =
        read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
    const std::string key = userns_probe_key(uid, gid, sysctls);
    const fs::path file =
        cache_dir / ("userns-probe-" + std::to_string(uid) + "-" + std::to_string(gid));
    if (read_probe_cache(file) == key) {
        UsernsProbe p = std::move(sysctls);
        p.works = true;
        p.cached = true;
        p.probed_as = uid;
        p.why = "a child running as uid " + std::to_string(uid) +
                " created a user namespace and mapped its user (probed earlier since boot, "
                "nothing it depends on has changed)";
        return p;
    }
    UsernsProbe p = probe_user_namespaces(uid, gid);
    if (p.works) write_probe_cache(cache_dir, file, key);
    return p;
}

fs::path userns_probe_cache_dir() {
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && runtime[0] == '/') {
        struct stat st {};
        if (::stat(runtime, &st) == 0 && S_ISDIR(st.st_mode) && probe_cache_is_private(st))
            return fs::path(runtime) / "airlock";
    }
    if (::geteuid() == 0) return "/run/airlock";
    // Beside the sandbox homes airlock keeps there anyway (sandbox/home.hpp).
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && state[0] == '/')
        return fs::path(state) / "airlock" / "probe";
    if (const char* home = std::getenv("HOME"); home && home[0] == '/')
        return fs::path(home) / ".local" / "state" / "airlock" / "probe";
    return {};
}

const UsernsProbe& user_namespaces_for_sandbox() {
    static const UsernsProbe probe = [] {
        if (::geteuid() == 0)
            return probe_user_namespaces_cached(kSandboxHostUid, kSandboxHostGid,
                                                userns_probe_cache_dir());
        return probe_user_namespaces_cached(::geteuid(), ::getegid(), userns_probe_cache_dir());
    }();
    return probe;
}

nlohmann::json to_json(const UsernsProbe& p) {
    auto sysctl = [](const std::optional<long>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
    };
    nlohmann::json out = {
        {"works", p.works},
        {"probed_as_uid", p.probed_as},
        {"why", p.why},
        {"sysctls",
         {{"user.max_user_namespaces", sysctl(p.max_user_namespaces)},
          {"kernel.unprivileged_userns_clone", sysctl(p.unprivileged_userns_clone)},
          {"kernel.apparmor_restrict_unprivileged_userns",
           sysctl(p.apparmor_restrict_unprivileged_userns)}}}};
    if (!p.works) out["failed_call"] = p.failed_call;
    if (p.cached) out["cached"] = true;
    return out;
}

}  // namespace airlock::sandbox
