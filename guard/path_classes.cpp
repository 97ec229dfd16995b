#include "guard/path_classes.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace airlock::guard::detail {
namespace {

constexpr std::array<std::string_view, 20> kSystemDirs = {
    "bin",  "boot", "dev", "etc",  "home", "lib", "lib32", "lib64", "libx32", "opt",
    "proc", "root", "run", "sbin", "srv",  "sys", "usr",   "var",   "snap",   "mnt"};

constexpr std::array<std::string_view, 14> kCredentialDirs = {".ssh",
                                                              ".gnupg",
                                                              ".aws",
                                                              ".azure",
                                                              ".kube",
                                                              ".docker",
                                                              ".gcloud",
                                                              ".password-store",
                                                              ".vault-token",
                                                              ".netrc",
                                                              ".git-credentials",
                                                              ".pgpass",
                                                              ".npmrc",
                                                              ".pypirc"};

constexpr std::array<std::string_view, 16> kShellStartup = {
    ".bashrc",   ".bash_profile", ".bash_login", ".bash_logout", ".profile", ".zshrc",
    ".zprofile", ".zshenv",       ".zlogin",     ".zlogout",     ".cshrc",   ".tcshrc",
    ".kshrc",    ".mkshrc",       ".inputrc",    ".envrc"};

// Drops leading expansions ($X, ${X}, $(...)) and returns the rest; sets `stripped`.
std::string_view strip_leading_expansions(std::string_view w, bool& stripped) {
    stripped = false;
    while (!w.empty() && w[0] == '$') {
        std::size_t end = 1;
        if (w.substr(0, 6) == "$(...)") {
            end = 6;
        } else if (w.size() > 1 && w[1] == '{') {
            const auto close = w.find('}');
            if (close == std::string_view::npos) return w;
            end = close + 1;
        } else {
            while (end < w.size() &&
                   (std::isalnum(static_cast<unsigned char>(w[end])) || w[end] == '_'))
                ++end;
            if (end == 1) return w;
        }
        w.remove_prefix(end);
        stripped = true;
    }
    return w;
}

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/')
            ++i;
        std::size_t j = i;
        while (j < path.size() && path[j] != '/')
            ++j;
        if (j > i) {
            std::string_view c = path.substr(i, j - i);
            if (c != ".") out.push_back(c);
        }
        i = j;
    }
    return out;
}

bool is_home_ref(std::string_view w) {
    return w == "~" || w == "$HOME" || w == "${HOME}" ||
           (w.size() > 1 && w[0] == '~' && w.find('/') == std::string_view::npos);
}

// "/", "/*", "/.", "~", "~/", "~/*", "$HOME/*"...
bool is_root(std::string_view original) {
    std::string_view w = original;
    auto trim = [&w] {
        while (w.size() > 1 && w.back() == '/')
            w.remove_suffix(1);
    };
    trim();
    for (std::string_view suffix : {"/*", "/.*", "/."}) {
        if (w.size() >= suffix.size() && w.substr(w.size() - suffix.size()) == suffix) {
            w.remove_suffix(suffix.size());
            trim();
            break;
        }
    }
    if (w.empty() || w == "/" || is_home_ref(w)) return true;
    bool stripped = false;
    const std::string_view rest = strip_leading_expansions(original, stripped);
    // "$X/" or "$X/*": an empty or unset X turns this into /.
    return stripped && (rest == "/" || rest == "/*" || rest == "/.*" || rest == "/.");
}

bool is_system(std::string_view w) {
    if (w.empty() || w[0] != '/') return false;
    auto parts = components(w);
    if (!parts.empty() && (parts.back() == "*" || parts.back() == ".*")) parts.pop_back();
    if (parts.empty() || parts.size() > 2) return false;
    for (auto d : kSystemDirs)
        if (parts[0] == d) return true;
    return false;
}

bool is_workspace_root(std::string_view w, const PathContext& ctx) {
    if (w == "$PWD" || w == "${PWD}" || w == "$PWD/" || w == "$PWD/*" || w == "${PWD}/*")
        return true;
    if (!ctx.workspace.empty() && w.substr(0, ctx.workspace.size()) == ctx.workspace) {
        std::string_view rest = w.substr(ctx.workspace.size());
        if (rest.empty() || rest == "/" || rest == "/*" || rest == "/." || rest == "/.*")
            return true;
    }
    if (!ctx.cwd_is_root) return false;
    return w == "." || w == "./" || w == "*" || w == "./*" || w == ".*" || w == "./.*";
}

bool is_device(std::string_view w) {
    if (w.substr(0, 5) != "/dev/") return false;
    const std::string_view name = w.substr(5);
    if (name == "null" || name == "zero" || name == "stdout" || name == "stderr" ||
        name == "stdin" || name == "tty" || name == "random" || name == "urandom" ||
        name == "full" || name.substr(0, 3) == "fd/" || name.substr(0, 4) == "shm/" ||
        name.substr(0, 4) == "pts/")
        return false;
    return !name.empty();
}

bool is_credentials(std::string_view w) {
    const auto parts = components(w);
    for (auto p : parts) {
        for (auto d : kCredentialDirs)
            if (p == d) return true;
        if (p.substr(0, 6) == "id_rsa" || p.substr(0, 8) == "id_ecdsa" ||
            p.substr(0, 10) == "id_ed25519" || p == "authorized_keys")
            return true;
    }
    if (!parts.empty()) {
        const auto base = parts.back();
        if (base == ".env" || base.substr(0, 5) == ".env.") return true;
        if (parts.size() >= 2 && parts[parts.size() - 2] == "gcloud") return true;
    }
    return false;
}

bool is_protected(std::string_view w) {
    if (is_credentials(w)) return true;
    const auto parts = components(w);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == ".airlock") return true;
        if (parts[i] == ".git" && i + 1 < parts.size() &&
            (parts[i + 1] == "hooks" || parts[i + 1] == "config"))
            return true;
        if (parts[i] == ".config" && i + 1 < parts.size() &&
            (parts[i + 1] == "airlock" || parts[i + 1] == "fish" || parts[i + 1] == "autostart" ||
             parts[i + 1] == "systemd"))
            return true;
    }
    if (!parts.empty()) {
        for (auto rc : kShellStartup)
            if (parts.back() == rc) return true;
    }
    if (!w.empty() && w[0] == '/' && !parts.empty()) {
        const auto top = parts[0];
        if (top == "etc" || top == "usr" || top == "bin" || top == "sbin" || top == "lib" ||
            top == "lib64" || top == "boot" || top == "root" || top == "var")
            return true;
    }
    return false;
}

bool is_remote(std::string_view w) {
    if (w.empty() || w[0] == '-' || w[0] == '/' || w[0] == '.') return false;
    if (w.substr(0, 8) == "rsync://" || w.substr(0, 6) == "ssh://") return true;
    const auto colon = w.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    return w.substr(0, colon).find('/') == std::string_view::npos;
}

bool is_outside(std::string_view w) {
    if (w.empty()) return false;
    if (w[0] == '/' || w[0] == '~') return true;
    int depth = 0;
    for (auto p : components(w)) {
        if (p == "..") {
            if (--depth < 0) return true;
        } else {
            ++depth;
        }
    }
    return false;
}

}  // namespace

std::optional<PathClass> parse_path_class(std::string_view name) {
    if (name == "root") return PathClass::root;
    if (name == "system") return PathClass::system;
    if (name == "workspace_root") return PathClass::workspace_root;
    if (name == "device") return PathClass::device;
    if (name == "protected") return PathClass::protected_path;
    if (name == "credentials") return PathClass::credentials;
    if (name == "remote") return PathClass::remote;
    if (name == "outside") return PathClass::outside;
    return std::nullopt;
}

bool in_class(PathClass cls, std::string_view w, const PathContext& ctx) {
    switch (cls) {
        case PathClass::root:
            return is_root(w);
        case PathClass::system:
            return is_system(w);
        case PathClass::workspace_root:
            return is_workspace_root(w, ctx);
        case PathClass::device:
            return is_device(w);
        case PathClass::protected_path:
            return is_protected(w);
        case PathClass::credentials:
            return is_credentials(w);
        case PathClass::remote:
            return is_remote(w);
        case PathClass::outside:
            return is_outside(w);
    }
    return false;
}

}  // namespace airlock::guard::detail
