#include "exec/file_tools.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <random>

#include "platform/unique_fd.hpp"
#include "platform/workspace_path.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

int openat2_beneath(int dirfd, const char* path, std::uint64_t flags, std::uint64_t mode = 0) {
    struct open_how how {};
    how.flags = flags | O_CLOEXEC;
    how.mode = mode;
    how.resolve = kResolve;
    int fd;
    do {
        fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
    } while (fd < 0 && errno == EAGAIN);
    return fd;
}

Result<UniqueFd> open_workspace(const fs::path& workspace) {
    const int fd = ::open(workspace.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_error("exec", "cannot open the workspace " + workspace.string(), "open");
    return UniqueFd(fd);
}

// Opens (creating as needed) the directory `dir` beneath `root`, one component at a time.
Result<UniqueFd> open_dir_creating(int root, const fs::path& dir) {
    UniqueFd current(::fcntl(root, F_DUPFD_CLOEXEC, 0));
    if (!current.valid()) return sys_error("exec", "cannot duplicate the workspace fd", "fcntl");
    for (const auto& part : dir) {
        const std::string name = part.string();
        if (name.empty() || name == ".") continue;
        if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
            return sys_error("exec", "cannot create directory \"" + name + "\"", "mkdirat");
        const int next = openat2_beneath(current.get(), name.c_str(), O_PATH | O_DIRECTORY);
        if (next < 0)
            return sys_error("exec", "cannot open directory \"" + name + "\" beneath the workspace",
                             "openat2");
        current.reset(next);
    }
    return current;
}

Result<void> write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("exec", "cannot write the file", "write");
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}

}  // namespace

Result<fs::path> validate_file_path(const fs::path& workspace, std::string_view path) {
    auto resolved = resolve_in_workspace(workspace, path, "path");
    if (!resolved) return resolved.error();
    const fs::path relative = resolved->lexically_relative(fs::canonical(workspace));
    if (relative.empty() || relative == ".")
        return make_error("input", "path \"" + std::string(path) + "\" names the workspace itself");
    if (*relative.begin() == ".airlock")
        return make_error(
            "input", "path \"" + std::string(path) + "\" is inside .airlock/, airlock's own state");
    return relative;
}

Result<WriteOutcome> write_file_beneath(const fs::path& workspace, const fs::path& relative,
                                        std::string_view content) {
    auto root = open_workspace(workspace);
    if (!root) return root.error();
    auto dir = open_dir_creating(root->get(), relative.parent_path());
    if (!dir) return dir.error();
    const std::string name = relative.filename().string();

    WriteOutcome outcome;
    outcome.bytes = content.size();
    mode_t mode = 0644;
    struct stat existing {};
    if (::fstatat(dir->get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(existing.st_mode))
            return make_error("exec",
                              "\"" + relative.string() + "\" exists and is not a regular file");
        mode = existing.st_mode & 07777;
    } else {
        outcome.created = true;
    }

    // Write a sibling temporary file, then rename it over the target: readers never see a
    // half-written file, and a symlink at the target is replaced, not followed.
    std::random_device rd;
    const std::string tmp = "." + name + ".airlock-" + std::to_string(rd());
    UniqueFd file(::openat(dir->get(), tmp.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file.valid()) return sys_error("exec", "cannot create a temporary file", "openat");
    auto cleanup = [&] { ::unlinkat(dir->get(), tmp.c_str(), 0); };
    if (auto w = write_all(file.get(), content); !w) {
        cleanup();
        return w.error();
    }
    if (::fchmod(file.get(), mode) != 0 || ::fsync(file.get()) != 0) {
        const Error e = sys_error("exec", "cannot finish the file", "fsync");
        cleanup();
        return e;
    }
    if (::renameat(dir->get(), tmp.c_str(), dir->get(), name.c_str()) != 0) {
        const Error e = sys_error("exec", "cannot put the file in place", "renameat");
        cleanup();
        return e;
    }
    return outcome;
}

Result<ReadOutcome> read_file_beneath(const fs::path& workspace, const fs::path& relative,
                                      std::uint64_t max_bytes) {
    auto root = open_workspace(workspace);
    if (!root) return root.error();
    UniqueFd file(openat2_beneath(root->get(), relative.c_str(), O_RDONLY | O_NOFOLLOW));
    if (!file.valid()) {
        if (errno == ENOENT)
            return sys_error("exec", "\"" + relative.string() + "\" does not exist", "openat2");
        return sys_error("exec", "cannot open \"" + relative.string() + "\"", "openat2");
    }
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return sys_error("exec", "cannot stat the file", "fstat");
    if (!S_ISREG(st.st_mode))
        return make_error("exec", "\"" + relative.string() + "\" is not a regular file");
    ReadOutcome outcome;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(file.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("exec", "cannot read \"" + relative.string() + "\"", "read");
        }
        if (n == 0) break;
        const std::size_t room = outcome.content.size() < max_bytes
                                     ? static_cast<std::size_t>(max_bytes - outcome.content.size())
                                     : 0;
        const std::size_t take = std::min<std::size_t>(room, static_cast<std::size_t>(n));
        outcome.content.append(buf, take);
        if (take < static_cast<std::size_t>(n)) {
            outcome.truncated = true;
            break;
        }
    }
    return outcome;
}

}  // namespace airlock::exec
