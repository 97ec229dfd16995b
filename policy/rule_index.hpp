// Rules compiled into buckets so that a call only looks at the rules that could match it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "policy/rule.hpp"

namespace airlock::policy::detail {

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class RuleIndex {
  public:
    // Stores indices into `rules`.
    explicit RuleIndex(const std::vector<Rule>& rules);
    RuleIndex() = default;

    // Rules that may match a shell segment whose program (argv[0]) is `program`.
    // Calls `visit(rule_index)` for each candidate, in no particular order.
    template <class Visit>
    void for_segment(std::string_view program, Visit&& visit) const {
        if (auto it = by_program_.find(program); it != by_program_.end())
            for (auto i : it->second)
                visit(i);
        for (auto i : any_program_)
            visit(i);
        for (auto i : without_argv_[static_cast<int>(Tool::shell_exec)])
            visit(i);
    }

    // Rules that may match a call of a file tool (only rules without argv can).
    template <class Visit>
    void for_file_tool(Tool tool, Visit&& visit) const {
        for (auto i : without_argv_[static_cast<int>(tool)])
            visit(i);
    }

  private:
    std::unordered_map<std::string, std::vector<std::uint32_t>, StringHash, std::equal_to<>>
        by_program_;
    std::vector<std::uint32_t> any_program_;      // argv rules whose first token is not literal
    std::vector<std::uint32_t> without_argv_[3];  // per tool
};

}  // namespace airlock::policy::detail
