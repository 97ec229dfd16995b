// `web`: the page of a running `airlock ui` answers. Each ask is one connection to the
// workspace's approvals socket (platform/approval_socket.hpp): the request goes out as one line
// of JSON, the answer comes back as one line; no answer in time is `timed_out`.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

// An Error with stage "config" unless an `airlock ui` of the same user listens for the
// workspace now: asks that nobody could answer are a configuration error, not a wait.
Result<std::unique_ptr<Provider>> make_web_provider(const std::filesystem::path& workspace,
                                                    std::chrono::seconds timeout);

}  // namespace airlock::approvals
