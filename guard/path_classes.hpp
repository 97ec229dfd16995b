// Named classes of paths and words that rules refer to as "@name" (see docs/GUARD.md).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace airlock::guard::detail {

enum class PathClass {
    root,            // /, /*, ~, $HOME, "$X"/ (an expansion that may be empty, then /)
    system,          // /usr, /etc/..., /var/lib: a system directory or one level below
    workspace_root,  // ., *, ./*, $PWD or the workspace's absolute path, from its root
    device,          // /dev/sda... (not /dev/null, /dev/std*, /dev/tty...)
    protected_path,  // credentials, shell rc files, .git/hooks, .airlock/, /etc
    credentials,     // the credential subset of protected paths
    remote,          // host:path, user@host:path, rsync://...
    outside,         // absolute or leaving the workspace with ..
};

std::optional<PathClass> parse_path_class(std::string_view name);

// What a class test needs to know about the call.
struct PathContext {
    std::string workspace;  // absolute, without trailing slash; may be empty
    bool cwd_is_root = true;
};

bool in_class(PathClass cls, std::string_view word, const PathContext& ctx);

}  // namespace airlock::guard::detail
