// macOS seatbelt adapter: turns a Profile into an SBPL profile and the exact sandbox-exec
// command line. Generation is pure (no process is started): the result can be printed by
// --dry-run, compared against golden files on any OS, and run by exec/ on macOS.
//
// Paths never appear in the profile text. Every path is a `-D NAME=VALUE` parameter that the
// profile reads with `(param "NAME")`, so a path containing `"`, `)` or a newline cannot change
// the profile. Parameter names depend only on the position of the path in its list.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/result.hpp"
#include "sandbox/profile.hpp"

namespace airlock::sandbox {

// A fixed system path, never a PATH lookup: a writable PATH entry must not be able to replace
// the sandbox.
inline constexpr std::string_view kSandboxExecPath = "/usr/bin/sandbox-exec";

struct SeatbeltInvocation {
    std::string profile_text;                                 // SBPL, free of any path
    std::vector<std::pair<std::string, std::string>> params;  // -D NAME=VALUE, in argv order
    // sandbox-exec -p PROFILE -D NAME=VALUE ... -- COMMAND...  (argv[0] is kSandboxExecPath)
    std::vector<std::string> argv;
};

// Whether a deny-read path is a directory (hidden with `subpath`) or not (`literal`).
using IsDirectory = std::function<bool(const std::filesystem::path&)>;

// Parameter name prefixes, numbered from 0 in the order of the profile's lists.
inline constexpr std::string_view kWritableRootParam = "WRITABLE_ROOT_";  // profile.writable
inline constexpr std::string_view kProtectedParam = "PROTECTED_";  // read_only, blocked, .airlock
inline constexpr std::string_view kDenyReadParam = "DENY_READ_";   // profile.hidden
inline constexpr std::string_view kAncestorParam = "ANCESTOR_";    // cannot be renamed or removed

// Fails (stage "sandbox") when the profile is not a seatbelt profile, the command is empty, or
// a path is not absolute and lexically normal (seatbelt compares real paths; a path it could
// never match would silently protect nothing).
Result<SeatbeltInvocation> seatbelt_invocation(const Profile& profile,
                                               const std::vector<std::string>& command,
                                               const IsDirectory& is_directory);

// Same, asking the filesystem. A deny-read path that cannot be examined is treated as a
// directory: `subpath` hides everything `literal` would, and more.
Result<SeatbeltInvocation> seatbelt_invocation(const Profile& profile,
                                               const std::vector<std::string>& command);

}  // namespace airlock::sandbox
