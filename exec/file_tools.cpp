#include "exec/file_tools.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "exec/beneath.hpp"
#include "platform/unique_fd.hpp"
#include "platform/workspace_path.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;

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
    auto root = open_directory(workspace);
    if (!root) return root.error();
    WriteOutcome outcome;
    outcome.bytes = content.size();
    mode_t mode = 0644;  // a new file; a replaced one keeps its mode
    UniqueFd existing(open_beneath(root->get(), relative, O_PATH | O_NOFOLLOW));
    struct stat st {};
    if (existing.valid() && ::fstat(existing.get(), &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return make_error("exec",
                              "\"" + relative.string() + "\" exists and is not a regular file");
        mode = st.st_mode & 07777;
    } else {
        outcome.created = true;
    }
    if (auto put = put_file_beneath(root->get(), relative, content, mode); !put) return put.error();
    return outcome;
}

Result<ReadOutcome> read_file_beneath(const fs::path& workspace, const fs::path& relative,
                                      std::uint64_t max_bytes) {
    auto root = open_directory(workspace);
    if (!root) return root.error();
    UniqueFd file(open_beneath(root->get(), relative, O_RDONLY | O_NOFOLLOW));
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
