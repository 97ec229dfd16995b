// The compiled form of the rule catalog: what rule_loader builds from JSON and rule_match
// evaluates against segments.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "guard/guard.hpp"
#include "guard/path_classes.hpp"

namespace airlock::guard::detail {

// Program names: exact names and "prefix*" patterns.
struct NameSet {
    std::unordered_set<std::string> exact;
    std::vector<std::string> prefixes;
    bool contains(const std::string& name) const;
    bool empty() const { return exact.empty() && prefixes.empty(); }
    bool operator==(const NameSet&) const = default;
};

// A word pattern: a glob ("--upload-file=*"), or a literal prefix plus a path class
// ("of=@device", "@root").
struct Pattern {
    std::string glob;
    std::string prefix;
    std::optional<PathClass> cls;
    bool operator==(const Pattern&) const = default;
};

// One alternative of a rule: every condition present must hold.
struct Matcher {
    std::optional<NameSet> program;
    std::vector<std::string> argv_prefix;  // extension form: leading argv tokens, "*" any
    std::vector<std::string> subcommand, not_subcommand, skip_option_values;
    std::vector<std::string> flag, not_flag, wrapper;
    std::vector<Pattern> arg, word, not_word, last_arg, redirect_write, redirect_read;
    std::optional<bool> program_dynamic, dynamic, self_call, stdin_script, piped;
    std::optional<NameSet> stdin_from, child;
    std::optional<bool> escaped;
    std::vector<Pattern> also_word;  // besides `word`, some word also matches one of these
    // Segment kinds (Catalog::kinds, by index; -1 for none): the segment itself, an earlier
    // command of its pipeline, a command of its substitutions, or one of a substitution that
    // sits where the segment takes its code (program word, options, first operand).
    int kind = -1, stdin_from_kind = -1, child_kind = -1, code_from_kind = -1;
    // The program (run by a path) or the script operand is a file that an earlier command of
    // a kind wrote (`base64 -d p > r.sh; sh r.sh`).
    int program_written_by_kind = -1, script_written_by_kind = -1;
    int min_args = -1;
    // file rules
    std::vector<Pattern> path;
    std::uint64_t min_bytes = 0;
    std::vector<std::string> content_prefix;
    bool operator==(const Matcher&) const = default;
};

struct CompiledRule {
    RuleInfo info;
    Tool tool = Tool::shell_exec;
    std::vector<Matcher> any;
    std::vector<std::string> trigger_examples, pass_examples;
    bool operator==(const CompiledRule&) const = default;
};

// One alternative of one rule, as the index refers to it; ordered like the catalog.
struct AltRef {
    std::uint32_t rule = 0;
    std::uint32_t alt = 0;
    auto operator<=>(const AltRef&) const = default;
};

struct Catalog {
    std::vector<CompiledRule> rules;
    // Named kinds of command ("decoding"): match alternatives that rules refer to by index.
    std::vector<std::vector<Matcher>> kinds;
    std::unordered_map<std::string, int> kind_ids;
    NameSet known;  // programs that are not `unknown_program`
    std::unordered_map<std::string, NameSet> classes;
    // Alternatives of shell rules that can only match one of these programs, those that
    // can only match a program starting with a prefix ("python3.*"), and all the others.
    std::unordered_map<std::string, std::vector<AltRef>> by_program;
    std::vector<std::pair<std::string, AltRef>> by_prefix;
    std::vector<AltRef> generic;

    void build_index();
    bool operator==(const Catalog&) const = default;
};

}  // namespace airlock::guard::detail
