#include "guard/catalog_view.hpp"

#include <algorithm>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "guard/rule_loader.hpp"

namespace airlock::guard::detail {

bool NameSetView::contains(std::string_view name) const {
    if (std::binary_search(exact.begin(), exact.end(), name)) return true;
    for (const auto& p : prefixes)
        if (name.substr(0, p.size()) == p) return true;
    return false;
}

const List<AltRef>* CatalogView::alternatives_for(std::string_view program) const {
    const auto* it = std::lower_bound(
        by_program.begin(), by_program.end(), program,
        [](const ProgramAlts& entry, std::string_view p) { return entry.program < p; });
    return it != by_program.end() && it->program == program ? &it->alts : nullptr;
}

namespace {

std::vector<std::string> thaw_strings(List<std::string_view> list) {
    return {list.begin(), list.end()};
}

NameSet thaw_names(const NameSetView& set) {
    NameSet out;
    for (const auto& name : set.exact)
        out.exact.emplace(name);
    out.prefixes = thaw_strings(set.prefixes);
    return out;
}

std::optional<NameSet> thaw_names(const std::optional<NameSetView>& set) {
    if (!set) return std::nullopt;
    return thaw_names(*set);
}

std::vector<Pattern> thaw_patterns(List<PatternView> list) {
    std::vector<Pattern> out;
    for (const auto& p : list)
        out.push_back(Pattern{std::string(p.glob), std::string(p.prefix), p.cls});
    return out;
}

Matcher thaw_matcher(const MatcherView& v) {
    Matcher m;
    m.program = thaw_names(v.program);
    m.argv_prefix = thaw_strings(v.argv_prefix);
    m.subcommand = thaw_strings(v.subcommand);
    m.not_subcommand = thaw_strings(v.not_subcommand);
    m.skip_option_values = thaw_strings(v.skip_option_values);
    m.flag = thaw_strings(v.flag);
    m.not_flag = thaw_strings(v.not_flag);
    m.wrapper = thaw_strings(v.wrapper);
    m.arg = thaw_patterns(v.arg);
    m.word = thaw_patterns(v.word);
    m.not_word = thaw_patterns(v.not_word);
    m.last_arg = thaw_patterns(v.last_arg);
    m.redirect_write = thaw_patterns(v.redirect_write);
    m.redirect_read = thaw_patterns(v.redirect_read);
    m.program_dynamic = v.program_dynamic;
    m.dynamic = v.dynamic;
    m.self_call = v.self_call;
    m.stdin_script = v.stdin_script;
    m.piped = v.piped;
    m.stdin_from = thaw_names(v.stdin_from);
    m.child = thaw_names(v.child);
    m.escaped = v.escaped;
    m.also_word = thaw_patterns(v.also_word);
    m.kind = v.kind;
    m.stdin_from_kind = v.stdin_from_kind;
    m.child_kind = v.child_kind;
    m.code_from_kind = v.code_from_kind;
    m.program_written_by_kind = v.program_written_by_kind;
    m.script_written_by_kind = v.script_written_by_kind;
    m.min_args = v.min_args;
    m.path = thaw_patterns(v.path);
    m.min_bytes = v.min_bytes;
    m.content_prefix = thaw_strings(v.content_prefix);
    return m;
}

std::vector<Matcher> thaw_matchers(List<MatcherView> list) {
    std::vector<Matcher> out;
    out.reserve(list.size());
    for (const auto& m : list)
        out.push_back(thaw_matcher(m));
    return out;
}

// The storage behind the views of a catalog built at run time.
struct FrozenCatalog {
    Catalog owned;
    std::deque<std::vector<std::string_view>> names;
    std::deque<std::vector<PatternView>> patterns;
    std::deque<std::vector<MatcherView>> matchers;
    std::vector<RuleView> rules;
    std::vector<List<MatcherView>> kinds;
    std::vector<ProgramAlts> by_program;
    std::vector<PrefixAlt> by_prefix;
    std::vector<NamedKind> kind_ids;
    std::vector<NamedSet> classes;
    CatalogView view;

    template <class T>
    static List<T> list_of(const std::vector<T>& v) {
        return {v.data(), v.size()};
    }
    List<std::string_view> strings(const std::vector<std::string>& v) {
        return list_of(names.emplace_back(v.begin(), v.end()));
    }
    NameSetView name_set(const NameSet& set) {
        std::vector<std::string_view> exact(set.exact.begin(), set.exact.end());
        std::sort(exact.begin(), exact.end());
        return {list_of(names.emplace_back(std::move(exact))), strings(set.prefixes)};
    }
    std::optional<NameSetView> name_set(const std::optional<NameSet>& set) {
        if (!set) return std::nullopt;
        return name_set(*set);
    }
    List<PatternView> pattern_list(const std::vector<Pattern>& v) {
        std::vector<PatternView> out;
        for (const auto& p : v)
            out.push_back({p.glob, p.prefix, p.cls});
        return list_of(patterns.emplace_back(std::move(out)));
    }
    MatcherView matcher(const Matcher& m) {
        MatcherView v;
        v.program = name_set(m.program);
        v.argv_prefix = strings(m.argv_prefix);
        v.subcommand = strings(m.subcommand);
        v.not_subcommand = strings(m.not_subcommand);
        v.skip_option_values = strings(m.skip_option_values);
        v.flag = strings(m.flag);
        v.not_flag = strings(m.not_flag);
        v.wrapper = strings(m.wrapper);
        v.arg = pattern_list(m.arg);
        v.word = pattern_list(m.word);
        v.not_word = pattern_list(m.not_word);
        v.last_arg = pattern_list(m.last_arg);
        v.redirect_write = pattern_list(m.redirect_write);
        v.redirect_read = pattern_list(m.redirect_read);
        v.program_dynamic = m.program_dynamic;
        v.dynamic = m.dynamic;
        v.self_call = m.self_call;
        v.stdin_script = m.stdin_script;
        v.piped = m.piped;
        v.stdin_from = name_set(m.stdin_from);
        v.child = name_set(m.child);
        v.escaped = m.escaped;
        v.also_word = pattern_list(m.also_word);
        v.kind = m.kind;
        v.stdin_from_kind = m.stdin_from_kind;
        v.child_kind = m.child_kind;
        v.code_from_kind = m.code_from_kind;
        v.program_written_by_kind = m.program_written_by_kind;
        v.script_written_by_kind = m.script_written_by_kind;
        v.min_args = m.min_args;
        v.path = pattern_list(m.path);
        v.min_bytes = m.min_bytes;
        v.content_prefix = strings(m.content_prefix);
        return v;
    }
    List<MatcherView> matcher_list(const std::vector<Matcher>& v) {
        std::vector<MatcherView> out;
        out.reserve(v.size());
        for (const auto& m : v)
            out.push_back(matcher(m));
        return list_of(matchers.emplace_back(std::move(out)));
    }

    void build(std::size_t builtin_rules) {
        rules.reserve(owned.rules.size());
        for (const auto& r : owned.rules)
            rules.push_back({r.info.id, r.info.level, r.info.message, r.tool, matcher_list(r.any),
                             strings(r.trigger_examples), strings(r.pass_examples)});
        kinds.reserve(owned.kinds.size());
        for (const auto& k : owned.kinds)
            kinds.push_back(matcher_list(k));
        for (const auto& [program, alts] : owned.by_program)
            by_program.push_back({program, list_of(alts)});
        std::sort(by_program.begin(), by_program.end(),
                  [](const ProgramAlts& a, const ProgramAlts& b) { return a.program < b.program; });
        for (const auto& [prefix, ref] : owned.by_prefix)
            by_prefix.push_back({prefix, ref});
        for (const auto& [name, id] : owned.kind_ids)
            kind_ids.push_back({name, id});
        std::sort(kind_ids.begin(), kind_ids.end(),
                  [](const NamedKind& a, const NamedKind& b) { return a.name < b.name; });
        for (const auto& [name, set] : owned.classes)
            classes.push_back({name, name_set(set)});
        std::sort(classes.begin(), classes.end(),
                  [](const NamedSet& a, const NamedSet& b) { return a.name < b.name; });
        view = CatalogView{list_of(rules),      list_of(kinds),     name_set(owned.known),
                           list_of(by_program), list_of(by_prefix), list_of(owned.generic),
                           builtin_rules,       list_of(kind_ids),  list_of(classes)};
    }
};

}  // namespace

Catalog thaw(const CatalogView& view) {
    Catalog c;
    c.rules.reserve(view.rules.size());
    for (const auto& r : view.rules) {
        CompiledRule rule;
        rule.info.id = std::string(r.id);
        rule.info.level = r.level;
        rule.info.message = std::string(r.message);
        rule.tool = r.tool;
        rule.any = thaw_matchers(r.any);
        rule.trigger_examples = thaw_strings(r.trigger_examples);
        rule.pass_examples = thaw_strings(r.pass_examples);
        c.rules.push_back(std::move(rule));
    }
    for (const auto& k : view.kinds)
        c.kinds.push_back(thaw_matchers(k));
    for (const auto& [name, id] : view.kind_ids)
        c.kind_ids.emplace(std::string(name), id);
    c.known = thaw_names(view.known);
    for (const auto& [name, set] : view.classes)
        c.classes.emplace(std::string(name), thaw_names(set));
    for (const auto& [program, alts] : view.by_program)
        c.by_program.emplace(std::string(program), std::vector<AltRef>(alts.begin(), alts.end()));
    for (const auto& [prefix, ref] : view.by_prefix)
        c.by_prefix.emplace_back(std::string(prefix), ref);
    c.generic.assign(view.generic.begin(), view.generic.end());
    return c;
}

std::shared_ptr<const CatalogView> freeze(Catalog catalog, std::size_t builtin_rules) {
    auto frozen = std::make_shared<FrozenCatalog>();
    frozen->owned = std::move(catalog);
    frozen->build(builtin_rules);
    return std::shared_ptr<const CatalogView>(frozen, &frozen->view);
}

Result<Catalog> load_builtin_catalog() {
    return thaw(builtin_catalog_view());
}

}  // namespace airlock::guard::detail
