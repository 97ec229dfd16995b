// Helpers for plan tests: a tree hash of the workspace (without .airlock/) and file modes.
#pragma once

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "airlock_runner.hpp"
#include "platform/sha256.hpp"

namespace airlock::test {

// Every path below the workspace except .airlock/, with its type, permission bits and, for
// files, the sha256 of its bytes: equal hashes mean byte-identical trees.
inline std::string tree_hash(const fs::path& ws) {
    std::vector<std::string> entries;
    for (auto it = fs::recursive_directory_iterator(ws); it != fs::recursive_directory_iterator();
         ++it) {
        const fs::path rel = it->path().lexically_relative(ws);
        if (*rel.begin() == ".airlock") {
            if (it->is_directory()) it.disable_recursion_pending();
            continue;
        }
        struct stat st {};
        ::lstat(it->path().c_str(), &st);
        std::string e = rel.string() + " " + std::to_string(st.st_mode);
        if (S_ISREG(st.st_mode)) e += " " + sha256_hex(read_text(it->path()));
        entries.push_back(e);
    }
    std::sort(entries.begin(), entries.end());
    std::string all;
    for (const auto& e : entries)
        all += e + "\n";
    return sha256_hex(all);
}

inline unsigned mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 07777;
}

inline std::vector<nlohmann::json> of_type(const std::vector<nlohmann::json>& records,
                                           const std::string& type) {
    std::vector<nlohmann::json> out;
    for (const auto& r : records)
        if (r.at("type") == type) out.push_back(r);
    return out;
}

}  // namespace airlock::test
