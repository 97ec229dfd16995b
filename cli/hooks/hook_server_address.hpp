// Where a hook server for one `airlock hook ...` command line listens, and what it must match.
// An agent starts the same hook command for every tool call; the first call's process leaves a
// server behind (hook_server.hpp) and the next calls hand it their event instead of loading
// airlock again. A server answers only calls that are exactly like the one that started it: the
// same airlock binary (device, inode, size, mtime), the same user and groups, the same working
// directory and the same arguments. Environment and umask come with each call.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace airlock::hooks {

struct HookServerAddress {
    std::string key;                  // what a call must match, byte for byte (no secrets in it)
    std::filesystem::path directory;  // $XDG_RUNTIME_DIR/airlock, else /tmp/airlock-hook-UID
    std::filesystem::path socket;     // DIRECTORY/hook-HEX.sock, HEX = sha256(key)[:32]
    std::filesystem::path lock;       // DIRECTORY/hook-HEX.lock, held by the serving process
};

// The same address in fixed buffers, computed without the heap or any other state of the C++
// runtime, for the hook's early client (hook_client.hpp). The key is `key_size` bytes (it holds
// NULs between its fields); each path is NUL-terminated.
struct RawHookServerAddress {
    static constexpr std::size_t kMaxKey = 16384;  // a longer command line gets no server
    static constexpr std::size_t kMaxPath = 101;   // sun_path holds 108 bytes; 100 and a NUL
    char key[kMaxKey];
    std::size_t key_size;
    char directory[kMaxPath];
    char socket[kMaxPath];
    char lock[kMaxPath];
};

// The address for this process's command line (argv[1] is "hook"), or nullopt when there can
// be none: the server is off (AIRLOCK_HOOK_SERVER=off, for a call and for what it would
// start), the binary or the working directory cannot be identified, or the directory exists
// but is not this user's alone (a directory, owned by the effective user, no access for group
// or others). A directory that does not exist yet is created by the server.
std::optional<HookServerAddress> hook_server_address(int argc, char** argv);

// The same, into `out`, with the environment given (a NULL-terminated list of NAME=value
// entries, as environ); false where the above is nullopt.
bool raw_hook_server_address(int argc, char** argv, char** environment,
                             RawHookServerAddress& out) noexcept;

// Creates the address's directory (0700) if missing and checks it as above.
bool ensure_hook_server_directory(const HookServerAddress& address);

}  // namespace airlock::hooks
