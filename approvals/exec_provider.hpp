// `exec:PROGRAM`: a program answers for a person (chat bots, ticket systems, web consoles).
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

// PROGRAM is a path, or a bare name looked up in PATH now; it must be an executable regular
// file, else an Error with stage "config". The resolved absolute path is what runs later.
Result<std::unique_ptr<Provider>> make_exec_provider(std::string_view program,
                                                     std::chrono::milliseconds timeout);

}  // namespace airlock::approvals
