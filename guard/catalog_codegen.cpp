// Build-time tool: reads guard/catalog/rules.json with the same strict loader that reads a
// policy's guard section, and writes its pools (guard/catalog_view.hpp) as constant arrays, so that
// airlock neither parses the catalog's JSON nor builds its structures at start. A catalog the
// loader refuses fails the build. Usage: airlock_guard_codegen RULES_JSON OUTPUT_CPP
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "guard/catalog_view.hpp"
#include "guard/rule_loader.hpp"

namespace {

using namespace airlock::guard::detail;

// A C++ string literal; every byte that is not plain printable ASCII as an octal escape (three
// digits, so that a following digit is never taken into it).
std::string lit(const std::string& s) {
    std::string out = "\"";
    for (unsigned char ch : s) {
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\' && ch != '?') {
            out.push_back(static_cast<char>(ch));
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\%03o", ch);
            out += buf;
        }
    }
    return out + "\"";
}

std::string ref(StrRef s) {
    return "{" + std::to_string(s.offset) + ", " + std::to_string(s.length) + "}";
}

std::string range(Range r) {
    return "{" + std::to_string(r.first) + ", " + std::to_string(r.count) + "}";
}

std::string names(const NameSetRec& set) {
    return "NameSetRec{" + range(set.exact) + ", " + range(set.prefixes) + "}";
}

std::string path_class(const std::optional<PathClass>& cls) {
    return cls ? "static_cast<PathClass>(" + std::to_string(static_cast<int>(*cls)) + ")"
               : std::string("std::nullopt");
}

// A constant expression that sets the fields that differ from the default.
std::string matcher(const MatcherRec& m) {
    std::vector<std::string> fields;
    auto list = [&](const char* name, Range r) {
        if (!r.empty()) fields.push_back(std::string("m.") + name + " = " + range(r));
    };
    auto set = [&](const char* name, const std::optional<NameSetRec>& s) {
        if (s) fields.push_back(std::string("m.") + name + " = " + names(*s));
    };
    auto flag = [&](const char* name, std::optional<bool> b) {
        if (b) fields.push_back(std::string("m.") + name + " = " + (*b ? "true" : "false"));
    };
    auto number = [&](const char* name, long long v, long long blank) {
        if (v != blank) fields.push_back(std::string("m.") + name + " = " + std::to_string(v));
    };
    set("program", m.program);
    list("argv_prefix", m.argv_prefix);
    list("subcommand", m.subcommand);
    list("not_subcommand", m.not_subcommand);
    list("skip_option_values", m.skip_option_values);
    list("flag", m.flag);
    list("not_flag", m.not_flag);
    list("wrapper", m.wrapper);
    list("arg", m.arg);
    list("word", m.word);
    list("not_word", m.not_word);
    list("last_arg", m.last_arg);
    list("redirect_write", m.redirect_write);
    list("redirect_read", m.redirect_read);
    flag("program_dynamic", m.program_dynamic);
    flag("dynamic", m.dynamic);
    flag("self_call", m.self_call);
    flag("stdin_script", m.stdin_script);
    flag("piped", m.piped);
    set("stdin_from", m.stdin_from);
    set("child", m.child);
    flag("escaped", m.escaped);
    list("also_word", m.also_word);
    number("kind", m.kind, -1);
    number("stdin_from_kind", m.stdin_from_kind, -1);
    number("child_kind", m.child_kind, -1);
    number("code_from_kind", m.code_from_kind, -1);
    number("program_written_by_kind", m.program_written_by_kind, -1);
    number("script_written_by_kind", m.script_written_by_kind, -1);
    number("min_args", m.min_args, -1);
    list("path", m.path);
    if (m.min_bytes != 0) fields.push_back("m.min_bytes = " + std::to_string(m.min_bytes) + "u");
    list("content_prefix", m.content_prefix);
    std::string out = "[] {\n        MatcherRec m;\n";
    for (const auto& f : fields)
        out += "        " + f + ";\n";
    return out + "        return m;\n    }()";
}

// `constexpr TYPE NAME[] = {...};`, one element a line; an empty pool is no array at all.
template <class T, class F>
std::string array(std::ostringstream& out, const char* type, const char* name,
                  const std::vector<T>& items, F&& element) {
    if (items.empty()) return "{}";
    out << "constexpr " << type << " " << name << "[] = {\n";
    for (const auto& item : items)
        out << "    " << element(item) << ",\n";
    out << "};\n\n";
    return name;
}

std::string generate(const Catalog& c) {
    const CatalogPools p = make_pools(c);
    std::ostringstream out;
    out << "// Generated from guard/catalog/rules.json by guard/catalog_codegen.cpp; do not edit.\n"
           "#include \"guard/catalog_view.hpp\"\n\n"
           "namespace airlock::guard::detail {\nnamespace builtin_catalog_data {\n\n";
    // The characters, in literals of at most about 100 bytes.
    out << "constexpr char kChars[] =";
    for (std::size_t at = 0; at < p.chars.size(); at += 100)
        out << "\n    " << lit(p.chars.substr(at, 100));
    out << (p.chars.empty() ? " \"\"" : "") << ";\n\n";
    const std::string strs = array(out, "StrRef", "kStrs", p.strs, ref);
    const std::string patterns =
        array(out, "PatternRec", "kPatterns", p.patterns, [](const PatternRec& r) {
            return "PatternRec{" + ref(r.glob) + ", " + ref(r.prefix) + ", " + path_class(r.cls) +
                   "}";
        });
    const std::string matchers = array(out, "MatcherRec", "kMatchers", p.matchers, matcher);
    const std::string alt_refs = array(out, "AltRef", "kAltRefs", p.alt_refs, [](const AltRef& r) {
        return "AltRef{" + std::to_string(r.rule) + ", " + std::to_string(r.alt) + "}";
    });
    const std::string rules = array(out, "RuleRec", "kRules", p.rules, [](const RuleRec& r) {
        return "RuleRec{" + ref(r.id) + ", static_cast<Level>(" +
               std::to_string(static_cast<int>(r.level)) + "), " + ref(r.message) +
               ", static_cast<Tool>(" + std::to_string(static_cast<int>(r.tool)) + "), " +
               range(r.any) + ", " + range(r.trigger_examples) + ", " + range(r.pass_examples) +
               "}";
    });
    const std::string kinds = array(out, "Range", "kKinds", p.kinds, range);
    const std::string by_program =
        array(out, "ProgramAlts", "kByProgram", p.by_program, [](const ProgramAlts& e) {
            return "ProgramAlts{" + ref(e.program) + ", " + range(e.alts) + "}";
        });
    const std::string by_prefix =
        array(out, "PrefixAlt", "kByPrefix", p.by_prefix, [](const PrefixAlt& e) {
            return "PrefixAlt{" + ref(e.prefix) + ", AltRef{" + std::to_string(e.ref.rule) + ", " +
                   std::to_string(e.ref.alt) + "}}";
        });
    const std::string kind_ids =
        array(out, "NamedKind", "kKindIds", p.kind_ids, [](const NamedKind& e) {
            return "NamedKind{" + ref(e.name) + ", " + std::to_string(e.id) + "}";
        });
    const std::string classes = array(
        out, "NamedSet", "kClasses", p.classes,
        [](const NamedSet& e) { return "NamedSet{" + ref(e.name) + ", " + names(e.set) + "}"; });
    auto pool = [](const std::string& name) { return name == "{}" ? "nullptr" : name; };
    out << "constexpr CatalogView kCatalog{kChars, " << pool(strs) << ", " << pool(patterns) << ", "
        << pool(matchers) << ", " << pool(alt_refs) << ", " << rules << ", " << kinds << ", "
        << names(p.known) << ", " << by_program << ", " << by_prefix << ", " << range(p.generic)
        << ", " << c.rules.size() << ", " << kind_ids << ", " << classes << "};\n\n"
        << "}  // namespace builtin_catalog_data\n\n"
           "const CatalogView& builtin_catalog_view() {\n"
           "    return builtin_catalog_data::kCatalog;\n}\n\n"
           "}  // namespace airlock::guard::detail\n";
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: airlock_guard_codegen RULES_JSON OUTPUT_CPP\n";
        return 2;
    }
    std::ifstream in(argv[1], std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
        std::cerr << "airlock_guard_codegen: cannot read " << argv[1] << "\n";
        return 1;
    }
    auto catalog = load_catalog_json(text.str());
    if (!catalog) {
        std::cerr << "airlock_guard_codegen: " << argv[1] << ": " << catalog.error().describe()
                  << "\n";
        return 1;
    }
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out << generate(*catalog);
    out.close();
    if (!out) {
        std::cerr << "airlock_guard_codegen: cannot write " << argv[2] << "\n";
        return 1;
    }
    return 0;
}
