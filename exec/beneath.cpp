#include "exec/beneath.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "platform/write_all.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kResolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// Opens (creating as needed) `dir` beneath `root`, one component at a time.
Result<UniqueFd> open_dir_creating(int root, const fs::path& dir) {
    UniqueFd current(::fcntl(root, F_DUPFD_CLOEXEC, 0));
    if (!current.valid()) return sys_error("exec", "cannot duplicate the workspace fd", "fcntl");
    for (const auto& part : dir) {
        const std::string name = part.string();
        if (name.empty() || name == ".") continue;
        if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
            return sys_error("exec", "cannot create directory \"" + name + "\"", "mkdirat");
        const int next = open_beneath(current.get(), name, O_PATH | O_DIRECTORY);
        if (next < 0)
            return sys_error("exec", "cannot open directory \"" + name + "\" beneath the workspace",
                             "openat2");
        current.reset(next);
    }
    return current;
}

Result<UniqueFd> open_parent(int root, const fs::path& relative) {
    if (relative.parent_path().empty()) {
        UniqueFd fd(::fcntl(root, F_DUPFD_CLOEXEC, 0));
        if (!fd.valid()) return sys_error("exec", "cannot duplicate the workspace fd", "fcntl");
        return fd;
    }
    UniqueFd fd(open_beneath(root, relative.parent_path(), O_PATH | O_DIRECTORY));
    if (!fd.valid())
        return sys_error("exec", "cannot open \"" + relative.parent_path().string() + "\"",
                         "openat2");
    return fd;
}

}  // namespace

int open_beneath(int dirfd, const fs::path& path, int flags, mode_t mode) {
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(flags) | O_CLOEXEC;
    how.mode = mode;
    how.resolve = kResolve;
    int fd;
    do {
        fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
    } while (fd < 0 && errno == EAGAIN);
    return fd;
}

Result<UniqueFd> open_directory(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sys_error("exec", "cannot open " + dir.string(), "open");
    return UniqueFd(fd);
}

Result<FileState> read_state_beneath(int root, const fs::path& relative) {
    FileState state;
    UniqueFd file(open_beneath(root, relative, O_RDONLY | O_NOFOLLOW | O_NONBLOCK));
    if (!file.valid()) {
        if (errno == ENOENT) return state;
        return sys_error("exec", "cannot open \"" + relative.string() + "\"", "openat2");
    }
    struct stat st {};
    if (::fstat(file.get(), &st) != 0) return sys_error("exec", "cannot stat the file", "fstat");
    if (!S_ISREG(st.st_mode))
        return make_error("exec", "\"" + relative.string() + "\" is not a regular file");
    state.exists = true;
    state.mode = st.st_mode & 07777;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(file.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("exec", "cannot read \"" + relative.string() + "\"", "read");
        }
        if (n == 0) break;
        state.content.append(buf, static_cast<std::size_t>(n));
    }
    return state;
}

std::optional<fs::path> first_missing_dir(int root, const fs::path& relative) {
    fs::path prefix;
    for (const auto& part : relative.parent_path()) {
        prefix /= part;
        UniqueFd fd(open_beneath(root, prefix, O_PATH | O_DIRECTORY));
        if (!fd.valid() && errno == ENOENT) return prefix;
        if (!fd.valid()) return std::nullopt;  // the write itself will report what is wrong
    }
    return std::nullopt;
}

Result<void> put_file_beneath(int root, const fs::path& relative, std::string_view content,
                              mode_t mode) {
    auto dir = open_dir_creating(root, relative.parent_path());
    if (!dir) return dir.error();
    const std::string name = relative.filename().string();
    struct stat existing {};
    if (::fstatat(dir->get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISREG(existing.st_mode))
        return make_error("exec", "\"" + relative.string() + "\" exists and is not a regular file");

    // The new content is written to a temporary file in the workspace's .airlock/tmp, then
    // renamed into place: a crash mid-write leaves nothing in the user's tree. Where the target
    // directory is another filesystem (rename cannot cross it), the temporary sits beside it.
    auto tmp_dir = open_dir_creating(root, ".airlock/tmp");
    auto put_via = [&](int in_dir) -> Result<void> {
        std::random_device rd;
        const std::string tmp = "." + name + ".airlock-" + std::to_string(rd());
        UniqueFd file(::openat(in_dir, tmp.c_str(),
                               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!file.valid()) return sys_error("exec", "cannot create a temporary file", "openat");
        auto fail = [&](Error e) -> Result<void> {
            ::unlinkat(in_dir, tmp.c_str(), 0);
            return e;
        };
        if (const int err = write_all(file.get(), content); err != 0)
            return fail(sys_error("exec", "cannot write the file", "write", err));
        if (::fchmod(file.get(), mode) != 0)
            return fail(sys_error("exec", "cannot set the mode", "fchmod"));
        if (::fsync(file.get()) != 0)
            return fail(sys_error("exec", "cannot finish the file", "fsync"));
        if (::renameat(in_dir, tmp.c_str(), dir->get(), name.c_str()) != 0)
            return fail(sys_error("exec", "cannot put the file in place", "renameat"));
        return {};
    };
    if (tmp_dir) {
        auto put = put_via(tmp_dir->get());
        if (put || put.error().err_no != EXDEV) return put;
    }
    return put_via(dir->get());
}

Result<void> remove_file_beneath(int root, const fs::path& relative,
                                 const std::optional<fs::path>& created_dir) {
    auto parent = open_parent(root, relative);
    if (!parent) return parent.error();
    const std::string name = relative.filename().string();
    struct stat st {};
    if (::fstatat(parent->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(st.st_mode))
            return make_error("exec", "\"" + relative.string() + "\" is not a regular file");
        if (::unlinkat(parent->get(), name.c_str(), 0) != 0)
            return sys_error("exec", "cannot remove \"" + relative.string() + "\"", "unlinkat");
    } else if (errno != ENOENT) {
        return sys_error("exec", "cannot stat \"" + relative.string() + "\"", "fstatat");
    }
    if (!created_dir) return {};
    // Only directories at or below the one the write created, deepest first.
    for (fs::path dir = relative.parent_path(); !dir.empty(); dir = dir.parent_path()) {
        const auto [stop, unused] =
            std::mismatch(created_dir->begin(), created_dir->end(), dir.begin(), dir.end());
        if (stop != created_dir->end()) break;  // above the created directory: never removed
        auto up = open_parent(root, dir);
        if (!up) return up.error();
        if (::unlinkat(up->get(), dir.filename().c_str(), AT_REMOVEDIR) != 0) {
            if (errno == ENOTEMPTY || errno == EEXIST || errno == ENOENT) break;
            return sys_error("exec", "cannot remove directory \"" + dir.string() + "\"",
                             "unlinkat");
        }
        if (dir == *created_dir) break;
    }
    return {};
}

}  // namespace airlock::exec
