#include "exec/command_lookup.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace airlock::exec {

namespace fs = std::filesystem;

namespace {

// 1 executable regular file, 0 missing, -1 present but not executable.
int check(const fs::path& candidate) {
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0) return 0;
    if (S_ISDIR(st.st_mode)) return -1;
    return ::access(candidate.c_str(), X_OK) == 0 ? 1 : -1;
}

}  // namespace

Lookup find_program(const std::string& program, const std::string& search_path,
                    const fs::path& cwd) {
    Lookup result;
    if (program.empty()) return result;
    if (program.find('/') != std::string::npos) {
        const fs::path candidate = (cwd / program).lexically_normal();
        const int c = check(candidate);
        if (c == 1) result.path = candidate;
        result.exists_but_not_executable = c == -1;
        return result;
    }
    std::size_t start = 0;
    while (start <= search_path.size()) {
        std::size_t end = search_path.find(':', start);
        if (end == std::string::npos) end = search_path.size();
        const std::string dir = search_path.substr(start, end - start);
        // An empty or relative PATH entry would mean "the current directory": never searched.
        if (!dir.empty() && dir[0] == '/') {
            const fs::path candidate = fs::path(dir) / program;
            const int c = check(candidate);
            if (c == 1) {
                result.path = candidate;
                return result;
            }
            if (c == -1) result.exists_but_not_executable = true;
        }
        start = end + 1;
    }
    return result;
}

}  // namespace airlock::exec
