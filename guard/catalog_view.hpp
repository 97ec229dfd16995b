// The rule catalog as the guard evaluates it: flat, read-only pools of records that refer to each
// other by index. The built-in catalog is such pools written as constant arrays at build time by
// guard/catalog_codegen.cpp: they hold no pointers, so they sit in .rodata, need no relocation
// at start, and only the pages a decision reads are ever faulted in; nothing is built, allocated
// or freed. A catalog extended by a policy is the same pools in vectors. rule.hpp's owning form
// is what the loader builds from JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "guard/guard.hpp"
#include "guard/path_classes.hpp"
#include "guard/rule.hpp"

namespace airlock::guard::detail {

// A string of the character pool.
struct StrRef {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;
};

// Consecutive records of a pool.
struct Range {
    std::uint32_t first = 0;
    std::uint32_t count = 0;
    constexpr bool empty() const { return count == 0; }
    constexpr std::size_t size() const { return count; }
};

struct PatternRec {
    StrRef glob;
    StrRef prefix;
    std::optional<PathClass> cls;
};

// The order of sorted names: shorter first, then by bytes, so that most comparisons of a
// binary search end at the lengths.
constexpr bool name_less(std::string_view a, std::string_view b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// Program names (ranges of the string pool): exact names sorted by name_less for a binary
// search, and "prefix*" patterns.
struct NameSetRec {
    Range exact;
    Range prefixes;
};

// rule.hpp's Matcher, field for field, in the same order: string lists are ranges of the string
// pool, pattern lists ranges of the pattern pool.
struct MatcherRec {
    std::optional<NameSetRec> program;
    Range argv_prefix;
    Range subcommand, not_subcommand, skip_option_values;
    Range flag, not_flag, wrapper;
    Range arg, word, not_word, last_arg, redirect_write, redirect_read;
    std::optional<bool> program_dynamic, dynamic, self_call, stdin_script, piped;
    std::optional<NameSetRec> stdin_from, child;
    std::optional<bool> escaped;
    Range also_word;
    int kind = -1, stdin_from_kind = -1, child_kind = -1, code_from_kind = -1;
    int program_written_by_kind = -1, script_written_by_kind = -1;
    int min_args = -1;
    Range path;
    std::uint64_t min_bytes = 0;
    Range content_prefix;
};

struct RuleRec {
    StrRef id;
    Level level = Level::low;
    StrRef message;
    Tool tool = Tool::shell_exec;
    Range any;  // of the matcher pool
    Range trigger_examples, pass_examples;
};

struct ProgramAlts {
    StrRef program;
    Range alts;  // of the AltRef pool, in catalog order
};

struct PrefixAlt {
    StrRef prefix;
    AltRef ref;
};

struct NamedKind {
    StrRef name;
    int id = -1;
};

struct NamedSet {
    StrRef name;
    NameSetRec set;
};

// A constant array: a pointer and a length.
template <class T>
struct List {
    const T* items = nullptr;
    std::size_t count = 0;

    constexpr List() = default;
    constexpr List(const T* p, std::size_t n) : items(p), count(n) {}
    template <std::size_t N>
    constexpr List(const T (&array)[N]) : items(array), count(N) {}

    constexpr const T* begin() const { return items; }
    constexpr const T* end() const { return items + count; }
    constexpr std::size_t size() const { return count; }
    constexpr bool empty() const { return count == 0; }
    constexpr const T& operator[](std::size_t i) const { return items[i]; }
};

struct PatternView {
    std::string_view glob;
    std::string_view prefix;
    std::optional<PathClass> cls;
};

inline std::string_view resolve(const StrRef& s, const char* chars) {
    return {chars + s.offset, s.length};
}
inline PatternView resolve(const PatternRec& p, const char* chars) {
    return {resolve(p.glob, chars), resolve(p.prefix, chars), p.cls};
}

// Records of a pool, read as views (string_view, PatternView).
template <class Rec>
class Resolved {
  public:
    using value_type = decltype(resolve(std::declval<const Rec&>(), nullptr));
    struct iterator {
        const Rec* at;
        const char* chars;
        value_type operator*() const { return resolve(*at, chars); }
        iterator& operator++() {
            ++at;
            return *this;
        }
        bool operator==(const iterator& other) const { return at == other.at; }
    };
    Resolved(const Rec* first, std::size_t count, const char* chars)
        : first_(first), count_(count), chars_(chars) {}
    iterator begin() const { return {first_, chars_}; }
    iterator end() const { return {first_ + count_, chars_}; }
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    value_type operator[](std::size_t i) const { return resolve(first_[i], chars_); }

  private:
    const Rec* first_;
    std::size_t count_;
    const char* chars_;
};

struct CatalogView {
    // The pools.
    const char* chars = nullptr;
    const StrRef* strs = nullptr;
    const PatternRec* patterns = nullptr;
    const MatcherRec* matchers = nullptr;
    const AltRef* alt_refs = nullptr;
    // The catalog.
    List<RuleRec> rules;
    List<Range> kinds;  // of the matcher pool
    NameSetRec known;
    // The index (Catalog::build_index): by_program sorted by name_less of the program.
    List<ProgramAlts> by_program;
    List<PrefixAlt> by_prefix;
    Range generic;
    std::size_t builtin_rules = 0;  // the first rules are the built-in catalog's
    // Only what extending the catalog needs (sorted by name); the guard never reads them.
    List<NamedKind> kind_ids;
    List<NamedSet> classes;

    std::string_view str(StrRef s) const { return resolve(s, chars); }
    Resolved<StrRef> strings(Range r) const { return {strs + r.first, r.count, chars}; }
    Resolved<PatternRec> pattern_list(Range r) const {
        return {patterns + r.first, r.count, chars};
    }
    List<MatcherRec> matcher_list(Range r) const { return {matchers + r.first, r.count}; }
    List<AltRef> alts(Range r) const { return {alt_refs + r.first, r.count}; }
    bool contains(const NameSetRec& set, std::string_view name) const;
    // The alternatives indexed under a program name, or null.
    const ProgramAlts* alternatives_for(std::string_view program) const;
};

// The pools of a catalog, in vectors: what freeze() serves views over and the code generator
// writes out as arrays.
struct CatalogPools {
    std::string chars;
    std::vector<StrRef> strs;
    std::vector<PatternRec> patterns;
    std::vector<MatcherRec> matchers;
    std::vector<AltRef> alt_refs;
    std::vector<RuleRec> rules;
    std::vector<Range> kinds;
    NameSetRec known;
    std::vector<ProgramAlts> by_program;
    std::vector<PrefixAlt> by_prefix;
    Range generic;
    std::vector<NamedKind> kind_ids;
    std::vector<NamedSet> classes;
};

CatalogPools make_pools(const Catalog& catalog);
CatalogView view_of(const CatalogPools& pools, std::size_t builtin_rules);

// The built-in catalog, generated from guard/catalog/rules.json.
const CatalogView& builtin_catalog_view();

// The owning form of a catalog and back: thaw copies the views into a Catalog (for the loader to
// extend), freeze makes views over a Catalog's pools that the returned pointer keeps alive.
Catalog thaw(const CatalogView& view);
std::shared_ptr<const CatalogView> freeze(const Catalog& catalog, std::size_t builtin_rules);

}  // namespace airlock::guard::detail
