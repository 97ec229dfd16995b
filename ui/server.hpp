// `airlock ui`: a read-only HTTP server on 127.0.0.1 for the page, its JSON API and the live
// event stream of a run. One thread per connection (a person's browser holds a handful).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "platform/result.hpp"

namespace airlock::ui {

struct ServerOptions {
    std::vector<std::filesystem::path> workspaces;
    unsigned short port = 0;  // 0: a free one
};

// Binds, calls `ready` with the URL that carries the token, then serves until the process ends.
// Fails (before `ready`) when the port cannot be bound or no token can be made.
Result<void> serve(const ServerOptions& options,
                   const std::function<void(const std::string&)>& ready);

}  // namespace airlock::ui
