// Finds the program a shell_exec call names, the way execvp would inside the sandbox, so that
// "command not found" is reported as 127 before any sandbox is set up.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace airlock::exec {

struct Lookup {
    std::optional<std::filesystem::path> path;  // absolute path of an executable file
    bool exists_but_not_executable = false;
};

// `program` with a '/' is taken relative to `cwd`; otherwise each entry of `search_path`
// (colon-separated) is tried in order.
Lookup find_program(const std::string& program, const std::string& search_path,
                    const std::filesystem::path& cwd);

}  // namespace airlock::exec
