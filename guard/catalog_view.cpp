#include "guard/catalog_view.hpp"

#include <algorithm>
#include <map>
#include <utility>

namespace airlock::guard::detail {

bool CatalogView::contains(const NameSetRec& set, std::string_view name) const {
    const StrRef* first = strs + set.exact.first;
    const StrRef* last = first + set.exact.count;
    const StrRef* it = std::lower_bound(
        first, last, name,
        [this](const StrRef& s, std::string_view n) { return name_less(str(s), n); });
    if (it != last && str(*it) == name) return true;
    for (const std::string_view p : strings(set.prefixes))
        if (name.substr(0, p.size()) == p) return true;
    return false;
}

const ProgramAlts* CatalogView::alternatives_for(std::string_view program) const {
    const auto* it = std::lower_bound(by_program.begin(), by_program.end(), program,
                                      [this](const ProgramAlts& entry, std::string_view p) {
                                          return name_less(str(entry.program), p);
                                      });
    return it != by_program.end() && str(it->program) == program ? it : nullptr;
}

namespace {

// Builds the pools of one catalog; equal strings share their characters.
class PoolBuilder {
  public:
    explicit PoolBuilder(CatalogPools& pools) : p_(pools) {}

    StrRef text(const std::string& s) {
        auto [it, added] = interned_.try_emplace(s);
        if (added) {
            it->second = {static_cast<std::uint32_t>(p_.chars.size()),
                          static_cast<std::uint32_t>(s.size())};
            p_.chars += s;
        }
        return it->second;
    }
    Range strings(const std::vector<std::string>& list) {
        const Range r{static_cast<std::uint32_t>(p_.strs.size()),
                      static_cast<std::uint32_t>(list.size())};
        for (const auto& s : list)
            p_.strs.push_back(text(s));
        return r;
    }
    NameSetRec names(const NameSet& set) {
        std::vector<std::string> exact(set.exact.begin(), set.exact.end());
        std::sort(exact.begin(), exact.end(), [](const std::string& x, const std::string& y) {
            return name_less(x, y);  // the order CatalogView::contains searches
        });
        return {strings(exact), strings(set.prefixes)};
    }
    std::optional<NameSetRec> names(const std::optional<NameSet>& set) {
        if (!set) return std::nullopt;
        return names(*set);
    }
    Range patterns(const std::vector<Pattern>& list) {
        std::vector<PatternRec> recs;
        for (const auto& p : list)
            recs.push_back({text(p.glob), text(p.prefix), p.cls});
        const Range r{static_cast<std::uint32_t>(p_.patterns.size()),
                      static_cast<std::uint32_t>(recs.size())};
        p_.patterns.insert(p_.patterns.end(), recs.begin(), recs.end());
        return r;
    }
    MatcherRec matcher(const Matcher& m) {
        MatcherRec v;
        v.program = names(m.program);
        v.argv_prefix = strings(m.argv_prefix);
        v.subcommand = strings(m.subcommand);
        v.not_subcommand = strings(m.not_subcommand);
        v.skip_option_values = strings(m.skip_option_values);
        v.flag = strings(m.flag);
        v.not_flag = strings(m.not_flag);
        v.wrapper = strings(m.wrapper);
        v.arg = patterns(m.arg);
        v.word = patterns(m.word);
        v.not_word = patterns(m.not_word);
        v.last_arg = patterns(m.last_arg);
        v.redirect_write = patterns(m.redirect_write);
        v.redirect_read = patterns(m.redirect_read);
        v.program_dynamic = m.program_dynamic;
        v.dynamic = m.dynamic;
        v.self_call = m.self_call;
        v.stdin_script = m.stdin_script;
        v.piped = m.piped;
        v.stdin_from = names(m.stdin_from);
        v.child = names(m.child);
        v.escaped = m.escaped;
        v.also_word = patterns(m.also_word);
        v.kind = m.kind;
        v.stdin_from_kind = m.stdin_from_kind;
        v.child_kind = m.child_kind;
        v.code_from_kind = m.code_from_kind;
        v.program_written_by_kind = m.program_written_by_kind;
        v.script_written_by_kind = m.script_written_by_kind;
        v.min_args = m.min_args;
        v.path = patterns(m.path);
        v.min_bytes = m.min_bytes;
        v.content_prefix = strings(m.content_prefix);
        return v;
    }
    Range matchers(const std::vector<Matcher>& list) {
        std::vector<MatcherRec> recs;
        for (const auto& m : list)
            recs.push_back(matcher(m));
        const Range r{static_cast<std::uint32_t>(p_.matchers.size()),
                      static_cast<std::uint32_t>(recs.size())};
        p_.matchers.insert(p_.matchers.end(), recs.begin(), recs.end());
        return r;
    }
    Range alt_refs(const std::vector<AltRef>& list) {
        const Range r{static_cast<std::uint32_t>(p_.alt_refs.size()),
                      static_cast<std::uint32_t>(list.size())};
        p_.alt_refs.insert(p_.alt_refs.end(), list.begin(), list.end());
        return r;
    }

  private:
    CatalogPools& p_;
    std::map<std::string, StrRef> interned_;
};

std::vector<std::string> thaw_strings(const CatalogView& v, Range r) {
    std::vector<std::string> out;
    for (const std::string_view s : v.strings(r))
        out.emplace_back(s);
    return out;
}

NameSet thaw_names(const CatalogView& v, const NameSetRec& set) {
    NameSet out;
    for (const std::string_view name : v.strings(set.exact))
        out.exact.emplace(name);
    out.prefixes = thaw_strings(v, set.prefixes);
    return out;
}

std::optional<NameSet> thaw_names(const CatalogView& v, const std::optional<NameSetRec>& set) {
    if (!set) return std::nullopt;
    return thaw_names(v, *set);
}

std::vector<Pattern> thaw_patterns(const CatalogView& v, Range r) {
    std::vector<Pattern> out;
    for (const PatternView p : v.pattern_list(r))
        out.push_back(Pattern{std::string(p.glob), std::string(p.prefix), p.cls});
    return out;
}

Matcher thaw_matcher(const CatalogView& v, const MatcherRec& r) {
    Matcher m;
    m.program = thaw_names(v, r.program);
    m.argv_prefix = thaw_strings(v, r.argv_prefix);
    m.subcommand = thaw_strings(v, r.subcommand);
    m.not_subcommand = thaw_strings(v, r.not_subcommand);
    m.skip_option_values = thaw_strings(v, r.skip_option_values);
    m.flag = thaw_strings(v, r.flag);
    m.not_flag = thaw_strings(v, r.not_flag);
    m.wrapper = thaw_strings(v, r.wrapper);
    m.arg = thaw_patterns(v, r.arg);
    m.word = thaw_patterns(v, r.word);
    m.not_word = thaw_patterns(v, r.not_word);
    m.last_arg = thaw_patterns(v, r.last_arg);
    m.redirect_write = thaw_patterns(v, r.redirect_write);
    m.redirect_read = thaw_patterns(v, r.redirect_read);
    m.program_dynamic = r.program_dynamic;
    m.dynamic = r.dynamic;
    m.self_call = r.self_call;
    m.stdin_script = r.stdin_script;
    m.piped = r.piped;
    m.stdin_from = thaw_names(v, r.stdin_from);
    m.child = thaw_names(v, r.child);
    m.escaped = r.escaped;
    m.also_word = thaw_patterns(v, r.also_word);
    m.kind = r.kind;
    m.stdin_from_kind = r.stdin_from_kind;
    m.child_kind = r.child_kind;
    m.code_from_kind = r.code_from_kind;
    m.program_written_by_kind = r.program_written_by_kind;
    m.script_written_by_kind = r.script_written_by_kind;
    m.min_args = r.min_args;
    m.path = thaw_patterns(v, r.path);
    m.min_bytes = r.min_bytes;
    m.content_prefix = thaw_strings(v, r.content_prefix);
    return m;
}

std::vector<Matcher> thaw_matchers(const CatalogView& v, Range r) {
    std::vector<Matcher> out;
    for (const auto& m : v.matcher_list(r))
        out.push_back(thaw_matcher(v, m));
    return out;
}

// A catalog's pools and the view over them, kept together.
struct FrozenCatalog {
    CatalogPools pools;
    CatalogView view;
};

}  // namespace

CatalogPools make_pools(const Catalog& c) {
    CatalogPools pools;
    PoolBuilder b(pools);
    for (const auto& r : c.rules)
        pools.rules.push_back({b.text(r.info.id), r.info.level, b.text(r.info.message), r.tool,
                               b.matchers(r.any), b.strings(r.trigger_examples),
                               b.strings(r.pass_examples)});
    for (const auto& k : c.kinds)
        pools.kinds.push_back(b.matchers(k));
    pools.known = b.names(c.known);
    std::vector<std::pair<std::string, std::vector<AltRef>>> by_program(c.by_program.begin(),
                                                                        c.by_program.end());
    std::sort(by_program.begin(), by_program.end(), [](const auto& x, const auto& y) {
        return name_less(x.first, y.first);  // the order CatalogView::alternatives_for searches
    });
    for (const auto& [program, alts] : by_program)
        pools.by_program.push_back({b.text(program), b.alt_refs(alts)});
    for (const auto& [prefix, ref] : c.by_prefix)
        pools.by_prefix.push_back({b.text(prefix), ref});
    pools.generic = b.alt_refs(c.generic);
    const std::map<std::string, int> kind_ids(c.kind_ids.begin(), c.kind_ids.end());
    for (const auto& [name, id] : kind_ids)
        pools.kind_ids.push_back({b.text(name), id});
    const std::map<std::string, NameSet> classes(c.classes.begin(), c.classes.end());
    for (const auto& [name, set] : classes)
        pools.classes.push_back({b.text(name), b.names(set)});
    return pools;
}

CatalogView view_of(const CatalogPools& p, std::size_t builtin_rules) {
    CatalogView v;
    v.chars = p.chars.data();
    v.strs = p.strs.data();
    v.patterns = p.patterns.data();
    v.matchers = p.matchers.data();
    v.alt_refs = p.alt_refs.data();
    v.rules = {p.rules.data(), p.rules.size()};
    v.kinds = {p.kinds.data(), p.kinds.size()};
    v.known = p.known;
    v.by_program = {p.by_program.data(), p.by_program.size()};
    v.by_prefix = {p.by_prefix.data(), p.by_prefix.size()};
    v.generic = p.generic;
    v.builtin_rules = builtin_rules;
    v.kind_ids = {p.kind_ids.data(), p.kind_ids.size()};
    v.classes = {p.classes.data(), p.classes.size()};
    return v;
}

Catalog thaw(const CatalogView& v) {
    Catalog c;
    c.rules.reserve(v.rules.size());
    for (const auto& r : v.rules) {
        CompiledRule rule;
        rule.info.id = std::string(v.str(r.id));
        rule.info.level = r.level;
        rule.info.message = std::string(v.str(r.message));
        rule.tool = r.tool;
        rule.any = thaw_matchers(v, r.any);
        rule.trigger_examples = thaw_strings(v, r.trigger_examples);
        rule.pass_examples = thaw_strings(v, r.pass_examples);
        c.rules.push_back(std::move(rule));
    }
    for (const auto& k : v.kinds)
        c.kinds.push_back(thaw_matchers(v, k));
    for (const auto& [name, id] : v.kind_ids)
        c.kind_ids.emplace(std::string(v.str(name)), id);
    c.known = thaw_names(v, v.known);
    for (const auto& [name, set] : v.classes)
        c.classes.emplace(std::string(v.str(name)), thaw_names(v, set));
    for (const auto& [program, alts] : v.by_program) {
        const auto list = v.alts(alts);
        c.by_program.emplace(std::string(v.str(program)),
                             std::vector<AltRef>(list.begin(), list.end()));
    }
    for (const auto& [prefix, ref] : v.by_prefix)
        c.by_prefix.emplace_back(std::string(v.str(prefix)), ref);
    const auto generic = v.alts(v.generic);
    c.generic.assign(generic.begin(), generic.end());
    return c;
}

std::shared_ptr<const CatalogView> freeze(const Catalog& catalog, std::size_t builtin_rules) {
    auto frozen = std::make_shared<FrozenCatalog>();
    frozen->pools = make_pools(catalog);
    frozen->view = view_of(frozen->pools, builtin_rules);
    return std::shared_ptr<const CatalogView>(frozen, &frozen->view);
}

}  // namespace airlock::guard::detail
