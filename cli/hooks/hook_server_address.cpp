#include "cli/hooks/hook_server_address.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <string_view>

#include "cli/hooks/fixed_text.hpp"
#include "platform/sha256.hpp"

extern char** environ;

namespace airlock::hooks {

namespace {

// Nothing here may allocate: the early client computes the address before the C++ runtime
// starts (hook_client.hpp).

const char* environment_value(char** environment, std::string_view name) noexcept {
    for (char** e = environment; e && *e; ++e) {
        const std::string_view entry(*e);
        if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
            entry[name.size()] == '=')
            return *e + name.size() + 1;
    }
    return nullptr;
}

// A directory only this user can reach: the socket's own permissions are not what keeps other
// users out (connect needs write permission on it, but a umask may leave that open).
bool private_directory(const char* dir) noexcept {
    struct stat st {};
    if (::lstat(dir, &st) != 0) return false;
    return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

void begin_field(FixedText& key, std::string_view name) noexcept {
    key.append(name);
    key.push('=');
}

void identity(FixedText& key, const struct stat& st) noexcept {
    key.decimal(st.st_dev);
    key.push(':');
    key.decimal(st.st_ino);
}

bool write_key(int argc, char** argv, FixedText& key) noexcept {
    key.append("airlock-hook-server/1");
    key.push('\0');
    struct stat exe {};
    if (::stat("/proc/self/exe", &exe) != 0) return false;
    begin_field(key, "exe");
    identity(key, exe);
    key.push(':');
    key.decimal(static_cast<unsigned long long>(exe.st_size));
    key.push(':');
    key.decimal(static_cast<unsigned long long>(exe.st_mtim.tv_sec));
    key.push('.');
    key.decimal(static_cast<unsigned long long>(exe.st_mtim.tv_nsec));
    key.push('\0');
    begin_field(key, "uid");
    key.decimal(::geteuid());
    key.push('\0');
    begin_field(key, "groups");
    key.decimal(::getegid());
    gid_t groups[4096];  // more supplementary groups than this: no server
    const int count = ::getgroups(static_cast<int>(sizeof groups / sizeof groups[0]), groups);
    if (count < 0) return false;
    for (int i = 0; i < count; ++i) {
        key.push(',');
        key.decimal(groups[i]);
    }
    key.push('\0');
    char cwd[PATH_MAX];
    struct stat here {};
    if (::getcwd(cwd, sizeof cwd) == nullptr || ::stat(".", &here) != 0) return false;
    begin_field(key, "cwd");
    key.append(cwd);
    key.push(':');
    identity(key, here);
    key.push('\0');
    for (int i = 1; i < argc; ++i) {
        begin_field(key, "arg");
        key.append(argv[i]);
        key.push('\0');
    }
    return key.ok();
}

void write_directory(char** environment, FixedText& dir) noexcept {
    if (const char* runtime = environment_value(environment, "XDG_RUNTIME_DIR");
        runtime && *runtime == '/' && private_directory(runtime)) {
        const std::string_view base(runtime);
        dir.append(base);
        if (base.back() != '/') dir.push('/');
        dir.append("airlock");
    } else {
        dir.append("/tmp/airlock-hook-");
        dir.decimal(::geteuid());
    }
}

// DIRECTORY/hook-NAME.SUFFIX
bool write_file(const RawHookServerAddress& a, std::string_view name, std::string_view suffix,
                char* out) noexcept {
    FixedText path(out, RawHookServerAddress::kMaxPath);
    path.append(a.directory);
    path.append("/hook-");
    path.append(name);
    path.append(suffix);
    path.c_str();
    return path.ok();
}

bool hook_server_enabled(char** environment) noexcept {
    const char* setting = environment_value(environment, "AIRLOCK_HOOK_SERVER");
    return setting == nullptr || std::string_view(setting) != "off";
}

}  // namespace

bool raw_hook_server_address(int argc, char** argv, char** environment,
                             RawHookServerAddress& out) noexcept {
    if (!hook_server_enabled(environment)) return false;
    FixedText key(out.key, sizeof out.key);
    if (!write_key(argc, argv, key)) return false;
    out.key_size = key.size();
    FixedText dir(out.directory, sizeof out.directory);
    write_directory(environment, dir);
    dir.c_str();
    if (!dir.ok()) return false;
    const Sha256Digest digest = sha256(key.view());
    static constexpr char kHex[] = "0123456789abcdef";
    char name[32];
    for (std::size_t i = 0; i < sizeof name / 2; ++i) {
        name[2 * i] = kHex[digest[i] >> 4];
        name[2 * i + 1] = kHex[digest[i] & 0xf];
    }
    const std::string_view hex(name, sizeof name);
    if (!write_file(out, hex, ".sock", out.socket) || !write_file(out, hex, ".lock", out.lock))
        return false;
    struct stat st {};
    return !(::lstat(out.directory, &st) == 0 && !private_directory(out.directory));
}

std::optional<HookServerAddress> hook_server_address(int argc, char** argv) {
    RawHookServerAddress raw;
    if (!raw_hook_server_address(argc, argv, environ, raw)) return std::nullopt;
    HookServerAddress a;
    a.key.assign(raw.key, raw.key_size);
    a.directory = raw.directory;
    a.socket = raw.socket;
    a.lock = raw.lock;
    return a;
}

bool ensure_hook_server_directory(const HookServerAddress& address) {
    if (::mkdir(address.directory.c_str(), 0700) != 0 && errno != EEXIST) return false;
    return private_directory(address.directory.c_str());
}

}  // namespace airlock::hooks
