#include "cli/commands.hpp"

namespace airlock::cli {

void add_policy_commands(CLI::App& app, int& exit_status) {
    (void)app;
    (void)exit_status;
}

}  // namespace airlock::cli
