#include "sandbox/home.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <cerrno>

#include "platform/sha256.hpp"
#include "platform/workspace_path.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

std::string safe_name(const std::string& name) {
    std::string out;
    for (char ch : name) {
        const bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        out += plain ? ch : '_';
    }
    if (out.empty() || out == "." || out == "..") return "workspace";
    return out;
}

// One directory level: made if missing, otherwise it must be a directory (not a symlink).
Result<void> make_dir(const fs::path& dir, mode_t mode) {
    if (::mkdir(dir.c_str(), mode) == 0) return {};
    if (errno != EEXIST)
        return sys_error("sandbox", "cannot create the sandbox home's \"" + dir.string() + "\"",
                         "mkdir");
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0)
        return sys_error("sandbox", "cannot examine \"" + dir.string() + "\"", "lstat");
    if (!S_ISDIR(st.st_mode))
        return make_error("sandbox", "\"" + dir.string() +
                                         "\" in the sandbox home is not a directory (a symlink or "
                                         "file left there?); remove it to run again");
    return {};
}

}  // namespace

fs::path workspace_home_dir(const fs::path& workspace, const fs::path& home,
                            const std::string& xdg_state_home) {
    const fs::path state = !xdg_state_home.empty() && fs::path(xdg_state_home).is_absolute()
                               ? fs::path(xdg_state_home)
                               : home / ".local" / "state";
    const std::string hash = sha256_hex(workspace.string()).substr(0, 12);
    return state / "airlock" / "homes" / (safe_name(workspace.filename().string()) + "-" + hash);
}

Result<void> ensure_workspace_home(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir.parent_path(), ec);
    if (ec)
        return make_error("sandbox", "cannot create \"" + dir.parent_path().string() +
                                         "\" for the sandbox home: " + ec.message());
    return make_dir(dir, 0700);
}

Result<void> ensure_mount_point(const fs::path& home, const fs::path& mount_point) {
    if (!is_within(mount_point, home) || mount_point == home) return {};
    fs::path dir = home;
    for (const auto& part : mount_point.lexically_relative(home)) {
        dir /= part;
        if (auto made = make_dir(dir, 0755); !made) return made;
    }
    return {};
}

SandboxUser sandbox_user(bool airlock_is_root, uid_t uid, gid_t gid) {
    SandboxUser user{"airlock", uid, gid, "airlock"};
    if (airlock_is_root) return user;
    if (const passwd* pw = ::getpwuid(uid)) user.name = pw->pw_name;
    user.group = user.name;
    if (const group* gr = ::getgrgid(gid)) user.group = gr->gr_name;
    return user;
}

std::string passwd_file(const SandboxUser& user, const fs::path& home) {
    std::string out = "root:x:0:0:root:/root:/bin/sh\n";
    if (user.uid != 0 && user.uid != 65534)
        out += user.name + ":x:" + std::to_string(user.uid) + ":" + std::to_string(user.gid) +
               ":airlock sandbox:" + home.string() + ":/bin/sh\n";
    out += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
    return out;
}

std::string group_file(const SandboxUser& user) {
    std::string out = "root:x:0:\n";
    if (user.gid != 0 && user.gid != 65534)
        out += user.group + ":x:" + std::to_string(user.gid) + ":\n";
    out += "nogroup:x:65534:\n";
    return out;
}

std::vector<std::pair<std::string, std::string>> toolchain_variables(const fs::path& real_home) {
    std::vector<std::pair<std::string, std::string>> out;
    const std::pair<const char*, const char*> known[] = {{"CARGO_HOME", ".cargo"},
                                                         {"RUSTUP_HOME", ".rustup"},
                                                         {"PYENV_ROOT", ".pyenv"},
                                                         {"NVM_DIR", ".nvm"}};
    for (const auto& [name, dir] : known) {
        std::error_code ec;
        if (fs::is_directory(real_home / dir, ec))
            out.emplace_back(name, (real_home / dir).string());
    }
    return out;
}

}  // namespace airlock::sandbox
