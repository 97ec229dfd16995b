// What this binary was built from. The commit is taken at every build (cli/build_info.cmake)
// into a generated source of its own, so a new commit recompiles that one file only.
#pragma once

#include <string>

namespace airlock::cli {

// The git commit's short hash, with "-modified" when tracked files differed from it, or
// "unknown" when the source was not a git checkout.
extern const char* const kBuildCommit;

// "airlock 0.1.0 (commit 1a2b3c4d)": what --version prints.
std::string version_line();

}  // namespace airlock::cli
