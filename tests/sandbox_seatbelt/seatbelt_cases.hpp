// The profiles the golden files describe. Built directly as data (no filesystem involved), so
// the golden files are the same on every machine.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "sandbox/seatbelt.hpp"

namespace airlock::test {

struct SeatbeltCase {
    std::string name;  // golden/<name>.sb and golden/<name>.argv.json
    sandbox::Profile profile;
    std::set<std::filesystem::path> directories;  // what the fake classifier calls a directory
    std::vector<std::string> command;

    sandbox::IsDirectory is_directory() const {
        return [dirs = directories](const std::filesystem::path& p) { return dirs.count(p) > 0; };
    }
};

inline sandbox::Profile base_profile(const std::filesystem::path& workspace) {
    sandbox::Profile p;
    p.adapter = sandbox::Adapter::seatbelt;
    p.workspace = workspace;
    p.cwd = workspace;
    p.writable = {workspace};
    p.read_only = {workspace / ".airlock"};
    return p;
}

inline SeatbeltCase minimal_case() {
    return {"minimal", base_profile("/Users/dev/project"), {}, {"/bin/sh", "-c", "make test"}};
}

inline SeatbeltCase deny_read_case() {
    SeatbeltCase c{"deny_read", base_profile("/Users/dev/project"), {}, {"/bin/ls", "-la"}};
    c.profile.hidden = {"/Users/dev/.ssh", "/Users/dev/project/.env",
                        "/Users/dev/project/config/secrets"};
    c.directories = {"/Users/dev/.ssh", "/Users/dev/project/config/secrets"};
    return c;
}

inline SeatbeltCase protected_case() {
    SeatbeltCase c{"protected", base_profile("/Users/dev/project"), {}, {"git", "commit"}};
    c.profile.writable.push_back("/Users/dev/.cache/tool");
    c.profile.read_only.push_back("/Users/dev/project/.git/hooks");
    c.profile.read_only.push_back("/Users/dev/.cache/tool/.git");
    c.profile.blocked = {"/Users/dev/project/.vscode"};
    return c;
}

inline SeatbeltCase network_case() {
    SeatbeltCase c{
        "network", base_profile("/Users/dev/project"), {}, {"curl", "-I", "https://example.org"}};
    c.profile.network = true;
    return c;
}

// Every path tries to end the string and the form it would sit in, and to add rules.
inline SeatbeltCase nasty_case() {
    const std::filesystem::path ws = "/Users/dev/we\"ird) (allow file-write* (subpath \"/\"))\n;x";
    SeatbeltCase c{"nasty", base_profile(ws), {}, {"/bin/echo", "--", "-p", "(deny default)"}};
    c.profile.writable.push_back("/Volumes/a\\\"b)\"");
    c.profile.hidden = {"/Users/dev/.ssh\") (allow file-read* (subpath \"/x"};
    c.profile.read_only.push_back(ws / "#\"re\" ; (param \"WRITABLE_ROOT_0\")");
    c.directories = {"/Users/dev/.ssh\") (allow file-read* (subpath \"/x"};
    return c;
}

inline std::vector<SeatbeltCase> all_cases() {
    return {minimal_case(), deny_read_case(), protected_case(), network_case(), nasty_case()};
}

}  // namespace airlock::test
