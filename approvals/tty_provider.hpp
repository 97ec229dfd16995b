// `tty`: a person answers at the controlling terminal (/dev/tty, so piped stdin does not matter).
#pragma once

#include <memory>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

// Opens /dev/tty now: no usable terminal is an Error with stage "config".
Result<std::unique_ptr<Provider>> make_tty_provider(const ProviderOptions& options);

// Automatic colour: TERM set and not "dumb", and NO_COLOR unset or empty (no-color.org).
bool terminal_wants_colour();

}  // namespace airlock::approvals
