#include "exec/blob_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <random>

#include "exec/beneath.hpp"
#include "platform/sha256.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;

namespace {

bool is_digest(const std::string& s) {
    if (s.size() != 64) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string octal_mode(mode_t mode) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

}  // namespace

fs::path blobs_dir(const fs::path& wal_file) {
    return wal_file.parent_path() / "blobs";
}

Result<std::string> store_blob(const fs::path& dir, std::string_view content) {
    const std::string digest = sha256_hex(content);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return sys_error("exec", "cannot create " + dir.string(), "mkdir");
    UniqueFd dirfd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dirfd.valid()) return sys_error("exec", "cannot open " + dir.string(), "open");
    struct stat st {};
    if (::fstatat(dirfd.get(), digest.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) return digest;

    std::random_device rd;
    const std::string tmp = ".tmp-" + std::to_string(rd());
    UniqueFd file(::openat(dirfd.get(), tmp.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!file.valid()) return sys_error("exec", "cannot create a blob", "openat");
    std::string_view rest = content;
    while (!rest.empty()) {
        const ssize_t n = ::write(file.get(), rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const Error e = sys_error("exec", "cannot write a blob", "write");
            ::unlinkat(dirfd.get(), tmp.c_str(), 0);
            return e;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    if (::fsync(file.get()) != 0 ||
        ::renameat(dirfd.get(), tmp.c_str(), dirfd.get(), digest.c_str()) != 0) {
        const Error e = sys_error("exec", "cannot put a blob in place", "fsync/renameat");
        ::unlinkat(dirfd.get(), tmp.c_str(), 0);
        return e;
    }
    return digest;
}

Result<std::string> load_blob(const fs::path& dir, const std::string& sha256) {
    if (!is_digest(sha256)) return make_error("undo", "\"" + sha256 + "\" is not a sha256 digest");
    auto root = open_directory(dir);
    if (!root) return make_error("undo", "the run keeps no blobs: " + root.error().describe());
    auto state = read_state_beneath(root->get(), sha256);
    if (!state) return state.error();
    if (!state->exists)
        return make_error("undo", "blob " + sha256 + " is missing from " + dir.string());
    if (sha256_hex(state->content) != sha256)
        return make_error("undo", "blob " + sha256 + " does not match its digest: it was altered");
    return std::move(state->content);
}

Result<nlohmann::json> keep_previous(const fs::path& workspace, const fs::path& relative,
                                     const fs::path& blobs) {
    auto root = open_directory(workspace);
    if (!root) return root.error();
    auto state = read_state_beneath(root->get(), relative);
    if (!state) return state.error();
    if (!state->exists) {
        nlohmann::json previous = {{"existed", false}};
        if (auto dir = first_missing_dir(root->get(), relative))
            previous["created_dir"] = dir->string();
        return previous;
    }
    auto digest = store_blob(blobs, state->content);
    if (!digest) return digest.error();
    return nlohmann::json{{"existed", true},
                          {"sha256", *digest},
                          {"size", state->content.size()},
                          {"mode", octal_mode(state->mode)}};
}

}  // namespace airlock::exec
