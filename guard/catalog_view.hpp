// The rule catalog as the guard evaluates it: read-only views. The built-in catalog is constant
// data that guard/catalog_codegen.cpp writes at build time (arrays in .rodata: nothing is built,
// allocated or freed at start), and a catalog extended by a policy is the same views over storage
// that it owns. rule.hpp's owning form is what the loader builds from JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "guard/guard.hpp"
#include "guard/path_classes.hpp"
#include "guard/rule.hpp"

namespace airlock::guard::detail {

// A constant array: a pointer and a length, usable in constant expressions.
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
    constexpr const T& back() const { return items[count - 1]; }
};

// Program names: exact names (sorted, for a binary search) and "prefix*" patterns.
struct NameSetView {
    List<std::string_view> exact;
    List<std::string_view> prefixes;
    bool contains(std::string_view name) const;
};

struct PatternView {
    std::string_view glob;
    std::string_view prefix;
    std::optional<PathClass> cls;
};

// rule.hpp's Matcher, field for field.
struct MatcherView {
    std::optional<NameSetView> program;
    List<std::string_view> argv_prefix;
    List<std::string_view> subcommand, not_subcommand, skip_option_values;
    List<std::string_view> flag, not_flag, wrapper;
    List<PatternView> arg, word, not_word, last_arg, redirect_write, redirect_read;
    std::optional<bool> program_dynamic, dynamic, self_call, stdin_script, piped;
    std::optional<NameSetView> stdin_from, child;
    std::optional<bool> escaped;
    List<PatternView> also_word;
    int kind = -1, stdin_from_kind = -1, child_kind = -1, code_from_kind = -1;
    int program_written_by_kind = -1, script_written_by_kind = -1;
    int min_args = -1;
    List<PatternView> path;
    std::uint64_t min_bytes = 0;
    List<std::string_view> content_prefix;
};

struct RuleView {
    std::string_view id;
    Level level = Level::low;
    std::string_view message;
    Tool tool = Tool::shell_exec;
    List<MatcherView> any;
    List<std::string_view> trigger_examples, pass_examples;
};

struct ProgramAlts {
    std::string_view program;
    List<AltRef> alts;  // in catalog order
};

struct PrefixAlt {
    std::string_view prefix;
    AltRef ref;
};

struct NamedKind {
    std::string_view name;
    int id = -1;
};

struct NamedSet {
    std::string_view name;
    NameSetView set;
};

struct CatalogView {
    List<RuleView> rules;
    List<List<MatcherView>> kinds;
    NameSetView known;
    // The index (Catalog::build_index): by_program sorted by program name.
    List<ProgramAlts> by_program;
    List<PrefixAlt> by_prefix;
    List<AltRef> generic;
    std::size_t builtin_rules = 0;  // the first rules are the built-in catalog's
    // Only what extending the catalog needs (sorted by name); the guard never reads them.
    List<NamedKind> kind_ids;
    List<NamedSet> classes;

    const List<AltRef>* alternatives_for(std::string_view program) const;
};

// The built-in catalog, generated from guard/catalog/rules.json.
const CatalogView& builtin_catalog_view();

// The owning form of a catalog and back: thaw copies the views into a Catalog (for the loader to
// extend), freeze makes views over a Catalog that the returned pointer keeps alive.
Catalog thaw(const CatalogView& view);
std::shared_ptr<const CatalogView> freeze(Catalog catalog, std::size_t builtin_rules);

}  // namespace airlock::guard::detail
