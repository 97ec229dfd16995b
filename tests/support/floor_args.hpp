// The command-line arguments that lift every liftable entry of the protection floor: for tests
// of the seccomp adapter's other protections, which cannot run with the floor in place (Landlock
// cannot keep a path inside a writable root read-only, so the adapter refuses such calls).
#pragma once

#include <string>
#include <vector>

#include "sandbox/floor.hpp"

namespace airlock::test {

inline std::vector<std::string> unprotect_floor_args() {
    std::string all;
    for (const auto& e : sandbox::floor_entries()) {
        if (e.path == ".airlock") continue;  // never liftable; the adapter reports it honestly
        all += (all.empty() ? "" : ",") + std::string(e.path);
    }
    return {"--unprotect", all};
}

}  // namespace airlock::test
