#include "cli/hooks/hook_server_address.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "platform/sha256.hpp"

namespace airlock::hooks {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxSocketPath = 100;  // sun_path holds 108 bytes with its NUL

// A directory only this user can reach: the socket's own permissions are not what keeps other
// users out (connect needs write permission on it, but a umask may leave that open).
bool private_directory(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return false;
    return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

void append_field(std::string& key, std::string_view name, std::string_view value) {
    key.append(name).push_back('=');
    key.append(value).push_back('\0');
}

std::string identity(const struct stat& st) {
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

std::optional<std::string> key_for(int argc, char** argv) {
    std::string key = "airlock-hook-server/1";
    key.push_back('\0');
    struct stat exe {};
    if (::stat("/proc/self/exe", &exe) != 0) return std::nullopt;
    append_field(key, "exe",
                 identity(exe) + ":" + std::to_string(exe.st_size) + ":" +
                     std::to_string(exe.st_mtim.tv_sec) + "." +
                     std::to_string(exe.st_mtim.tv_nsec));
    append_field(key, "uid", std::to_string(::geteuid()));
    std::string groups = std::to_string(::getegid());
    const int count = ::getgroups(0, nullptr);
    if (count < 0) return std::nullopt;
    std::vector<gid_t> list(static_cast<std::size_t>(count));
    if (::getgroups(count, list.data()) != count) return std::nullopt;
    for (gid_t g : list)
        groups += "," + std::to_string(g);
    append_field(key, "groups", groups);
    char cwd[PATH_MAX];
    struct stat here {};
    if (::getcwd(cwd, sizeof cwd) == nullptr || ::stat(".", &here) != 0) return std::nullopt;
    append_field(key, "cwd", std::string(cwd) + ":" + identity(here));
    for (int i = 1; i < argc; ++i)
        append_field(key, "arg", argv[i]);
    return key;
}

fs::path server_directory() {
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR");
        runtime && *runtime == '/' && private_directory(runtime))
        return fs::path(runtime) / "airlock";
    return "/tmp/airlock-hook-" + std::to_string(::geteuid());
}

}  // namespace

bool hook_server_enabled() {
    const char* setting = std::getenv("AIRLOCK_HOOK_SERVER");
    return setting == nullptr || std::string_view(setting) != "off";
}

std::optional<HookServerAddress> hook_server_address(int argc, char** argv) {
    if (!hook_server_enabled()) return std::nullopt;
    auto key = key_for(argc, argv);
    if (!key) return std::nullopt;
    HookServerAddress a;
    a.directory = server_directory();
    const std::string name = "hook-" + sha256_hex(*key).substr(0, 32);
    a.socket = a.directory / (name + ".sock");
    a.lock = a.directory / (name + ".lock");
    if (a.socket.native().size() > kMaxSocketPath) return std::nullopt;
    struct stat st {};
    if (::lstat(a.directory.c_str(), &st) == 0 && !private_directory(a.directory))
        return std::nullopt;
    a.key = std::move(*key);
    return a;
}

bool ensure_hook_server_directory(const HookServerAddress& address) {
    if (::mkdir(address.directory.c_str(), 0700) != 0 && errno != EEXIST) return false;
    return private_directory(address.directory);
}

}  // namespace airlock::hooks
