// Test helper: asks one question through the tty provider and prints the decision.
// Usage: tty_prompt_driver TIMEOUT_SECONDS
// Prints "decision=<name>" and "reason=<reason>" on stdout, then waits for one byte on stdin
// before exiting, so that the test can inspect the terminal while the process still holds it.
// Exit status 125 when the provider cannot be made (config error).
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "approvals/approvals.hpp"

using namespace airlock;
using namespace airlock::approvals;

int main(int argc, char** argv) {
    ProviderOptions options;
    if (argc > 1) options.timeout_seconds = std::stoi(argv[1]);
    auto provider = make_provider("tty", options);
    if (!provider) {
        std::printf("config_error=%s\n", provider.error().describe().c_str());
        return 125;
    }

    ApprovalRequest request;
    request.call.tool = Tool::shell_exec;
    request.call.call_id = "c7";
    // The escape sequence would erase the line on a terminal that interpreted it.
    request.call.argv = {"rm", "-rf", "build", "\x1b[2K"};
    request.call.cwd = "src";
    request.env_keys = {"HOME", "PATH"};
    request.risk.level = guard::Level::high;
    request.risk.score = 70;
    request.risk.reasons.push_back({"rm_recursive", guard::Level::high, "recursive delete", 0});
    request.verdict.decision = policy::Decision::ask;
    request.verdict.rule = "ask-rm";
    request.verdict.reason = "removing files needs a person";
    request.key = approval_key(request.call, request.env_keys);

    const ApprovalAnswer answer = (*provider)->ask(request);
    std::printf("decision=%s\nreason=%s\n", std::string(decision_name(answer.decision)).c_str(),
                answer.reason.c_str());
    std::fflush(stdout);

    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 30000) == 1) {
        char c;
        (void)!::read(STDIN_FILENO, &c, 1);
    }
    return 0;
}
