// From a provider spec (--approve) to a provider that is known to work here.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include "approvals/approvals.hpp"
#include "approvals/exec_provider.hpp"
#include "approvals/static_provider.hpp"
#include "approvals/tty_provider.hpp"
#include "approvals/web_provider.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::approvals {

Result<std::unique_ptr<Provider>> make_provider(std::string_view spec,
                                                const ProviderOptions& options) {
    if (options.timeout_seconds <= 0) {
        return make_error("config", "approval timeout must be a positive number of seconds, got " +
                                        std::to_string(options.timeout_seconds));
    }
    if (spec == "deny") return make_deny_provider();
    if (spec == "allow") return make_allow_provider();
    if (spec == "tty") return make_tty_provider(options);
    if (spec == "web")
        return make_web_provider(options.workspace, std::chrono::seconds(options.timeout_seconds));
    constexpr std::string_view kExec = "exec:";
    if (spec.substr(0, kExec.size()) == kExec) {
        return make_exec_provider(spec.substr(kExec.size()),
                                  std::chrono::seconds(options.timeout_seconds));
    }
    return make_error("config", "unknown approval provider \"" + std::string(spec) +
                                    "\" (expected tty, deny, allow, exec:PROGRAM or web)");
}

std::string default_provider_spec() {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    const bool attached =
        tty.valid() && ::isatty(tty.get()) && (::isatty(STDIN_FILENO) || ::isatty(STDERR_FILENO));
    return attached ? "tty" : "deny";
}

}  // namespace airlock::approvals
