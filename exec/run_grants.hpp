// Grants: a decision taken by one airlock process of a shared run (an agent's hook: guard, policy,
// approvals) that a later process of the same run (the wrapped command) redeems once, instead of
// asking again. A grant is the approval key of the exact request that was decided.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "wal/record.hpp"

namespace airlock::exec {

class RunGrants {
  public:
    // Follows the run's records: grant_issued opens a grant, grant_redeemed closes the oldest
    // open one with the same key.
    void observe(const wal::Record& record);
    bool is_open(const std::string& key) const;
    // The call that decided the oldest open grant with this key ("" when none is open).
    std::string decided_by(const std::string& key) const;

  private:
    std::map<std::string, std::vector<std::string>>
        open_;  // key -> deciding call ids, oldest first
};

}  // namespace airlock::exec
