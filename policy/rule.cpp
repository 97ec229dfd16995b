#include "policy/rule.hpp"

#include "policy/glob.hpp"

namespace airlock::policy::detail {

bool TokenPattern::matches(std::string_view token) const {
    switch (kind) {
        case Kind::literal:
            return token == texts.front();
        case Kind::glob:
            return glob_match(texts.front(), token);
        case Kind::any_one:
            return true;
        case Kind::any_rest:
            return true;
        case Kind::alternatives:
            for (const auto& t : texts)
                if (has_glob_chars(t) ? glob_match(t, token) : token == t) return true;
            return false;
    }
    return false;
}

namespace {

bool match_from(const Rule& rule, std::size_t p, const std::vector<std::string>& argv,
                std::size_t a) {
    const auto& pat = rule.argv;
    while (p < pat.size()) {
        if (pat[p].kind == TokenPattern::Kind::any_rest) {
            if (p + 1 == pat.size()) return true;
            for (std::size_t k = a; k <= argv.size(); ++k)
                if (match_from(rule, p + 1, argv, k)) return true;
            return false;
        }
        if (a >= argv.size() || !pat[p].matches(argv[a])) return false;
        ++p;
        ++a;
    }
    return !rule.exact || a == argv.size();
}

}  // namespace

bool Rule::matches_agent_tool(std::string_view name) const {
    for (const auto& pattern : agent_tool)
        if (glob_match(pattern, name)) return true;
    return false;
}

bool argv_matches(const Rule& rule, const std::vector<std::string>& argv) {
    return match_from(rule, 0, argv, 0);
}

}  // namespace airlock::policy::detail
