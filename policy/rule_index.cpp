#include "policy/rule_index.hpp"

#include "policy/glob.hpp"

namespace airlock::policy::detail {

RuleIndex::RuleIndex(const std::vector<Rule>& rules) {
    for (std::uint32_t i = 0; i < rules.size(); ++i) {
        const Rule& r = rules[i];
        if (!r.agent_tool.empty()) continue;  // only PolicyStack::evaluate_agent_tool looks at it
        if (!r.has_argv) {
            for (Tool t : {Tool::shell_exec, Tool::file_write, Tool::file_read})
                if (!r.tool || *r.tool == t) without_argv_[static_cast<int>(t)].push_back(i);
            continue;
        }
        const TokenPattern& first = r.argv.front();
        if (first.kind == TokenPattern::Kind::literal) {
            by_program_[first.texts.front()].push_back(i);
        } else if (first.kind == TokenPattern::Kind::alternatives) {
            bool all_literal = true;
            for (const auto& t : first.texts)
                all_literal = all_literal && !has_glob_chars(t);
            if (!all_literal) {
                any_program_.push_back(i);
                continue;
            }
            for (const auto& t : first.texts) {
                auto& bucket = by_program_[t];
                if (bucket.empty() || bucket.back() != i) bucket.push_back(i);
            }
        } else {
            any_program_.push_back(i);
        }
    }
}

}  // namespace airlock::policy::detail
