// What every fuzz target shares: the libFuzzer entry point and a check that stops the run.
// A target is built twice: linked with libFuzzer (clang, scripts/fuzz.sh) and linked with
// replay_main.cpp (any compiler), which replays the seed corpus and the regressions in ctest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace airlock::fuzz {

// A broken invariant is a finding like a crash: abort, so that libFuzzer saves the input.
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
    std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", file, line, what);
    std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace airlock::fuzz

#define FUZZ_CHECK(cond)                                                           \
    do {                                                                           \
        if (!(cond)) ::airlock::fuzz::invariant_failed(#cond, __FILE__, __LINE__); \
    } while (0)
