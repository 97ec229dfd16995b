// Grants: a decision taken by one airlock process of a shared run (an agent's hook: guard, policy,
// approvals) that a later process of the same run (the wrapped command) redeems once, instead of
// asking again. A grant is the approval key of the exact request that was decided.
#pragma once

#include <optional>
#include <string>

#include "platform/result.hpp"
#include "wal/history.hpp"

namespace airlock::exec {

// The call that issued an open grant with `key` (grant_issued), or nullopt when every grant
// issued with it was redeemed (grant_redeemed) or none was. The run is read back from its tail
// only as far as the answer needs: a grant is open exactly when, counted from some grant_issued
// record to the tail, more were issued than redeemed (a redemption needs an open grant, so no
// earlier stretch of the run redeemed more than it issued). The first such record from the tail
// is the answer; when there is none, the whole run is read.
Result<std::optional<std::string>> find_open_grant(const wal::History& history,
                                                   const std::string& key);

}  // namespace airlock::exec
