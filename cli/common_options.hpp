// The options the commands that run tool calls share (exec, write, read, call, run), and the
// session they open.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "exec/session.hpp"

namespace airlock::cli {

struct CommonOptions {
    std::string workspace;
    std::vector<std::string> policies;
    bool no_builtin_policy = false;
    std::string approve;
    std::string sandbox;
    std::optional<int> timeout;
    std::vector<std::string> unprotect;
    bool json = false;
};

// --workspace, --policy, --no-builtin-policy, --approve, --json; and --sandbox, --timeout for
// commands that run commands.
void add_common_options(CLI::App* cmd, CommonOptions& o, bool runs_commands);

exec::SessionOptions session_options(const CommonOptions& o, bool passthrough, bool dry_run);

}  // namespace airlock::cli
