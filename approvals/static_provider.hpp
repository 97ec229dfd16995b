// The providers that answer without asking anyone: `deny` and `allow`.
#pragma once

#include <memory>

#include "approvals/approvals.hpp"

namespace airlock::approvals {

std::unique_ptr<Provider> make_deny_provider();
// Prints a warning on stderr the first time one is made in this process.
std::unique_ptr<Provider> make_allow_provider();

}  // namespace airlock::approvals
