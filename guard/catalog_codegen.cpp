// Build-time tool: reads guard/catalog/rules.json with the same strict loader that reads a
// policy's guard section, and writes it as constant data (guard/catalog_view.hpp), so that airlock
// neither parses the catalog's JSON nor builds its structures at start. A catalog the loader
// refuses fails the build. Usage: airlock_guard_codegen RULES_JSON OUTPUT_CPP
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

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

// Every field of Matcher, by kind. A field missing here would be lost: the guard tests compare
// the generated catalog with the one loaded from the JSON.
const std::pair<const char*, std::vector<std::string> Matcher::*> kStringLists[] = {
    {"argv_prefix", &Matcher::argv_prefix},
    {"subcommand", &Matcher::subcommand},
    {"not_subcommand", &Matcher::not_subcommand},
    {"skip_option_values", &Matcher::skip_option_values},
    {"flag", &Matcher::flag},
    {"not_flag", &Matcher::not_flag},
    {"wrapper", &Matcher::wrapper},
    {"content_prefix", &Matcher::content_prefix},
};
const std::pair<const char*, std::vector<Pattern> Matcher::*> kPatternLists[] = {
    {"arg", &Matcher::arg},
    {"word", &Matcher::word},
    {"not_word", &Matcher::not_word},
    {"last_arg", &Matcher::last_arg},
    {"redirect_write", &Matcher::redirect_write},
    {"redirect_read", &Matcher::redirect_read},
    {"also_word", &Matcher::also_word},
    {"path", &Matcher::path},
};
const std::pair<const char*, std::optional<bool> Matcher::*> kFlags[] = {
    {"program_dynamic", &Matcher::program_dynamic},
    {"dynamic", &Matcher::dynamic},
    {"self_call", &Matcher::self_call},
    {"stdin_script", &Matcher::stdin_script},
    {"piped", &Matcher::piped},
    {"escaped", &Matcher::escaped},
};
const std::pair<const char*, std::optional<NameSet> Matcher::*> kNameSets[] = {
    {"program", &Matcher::program},
    {"stdin_from", &Matcher::stdin_from},
    {"child", &Matcher::child},
};
const std::pair<const char*, int Matcher::*> kInts[] = {
    {"kind", &Matcher::kind},
    {"stdin_from_kind", &Matcher::stdin_from_kind},
    {"child_kind", &Matcher::child_kind},
    {"code_from_kind", &Matcher::code_from_kind},
    {"program_written_by_kind", &Matcher::program_written_by_kind},
    {"script_written_by_kind", &Matcher::script_written_by_kind},
    {"min_args", &Matcher::min_args},
};

// Each list becomes a named constant array; the views refer to the arrays.
class Emitter {
  public:
    std::string strings(const std::vector<std::string>& list) {
        if (list.empty()) return "{}";
        std::string body;
        for (std::size_t i = 0; i < list.size(); ++i)
            body += (i ? ", " : "") + lit(list[i]) + "sv";
        return define("std::string_view", "s", body);
    }

    std::string names(const NameSet& set) {
        std::vector<std::string> exact(set.exact.begin(), set.exact.end());
        std::sort(exact.begin(), exact.end());  // the order NameSetView searches in
        return "NameSetView{" + strings(exact) + ", " + strings(set.prefixes) + "}";
    }

    std::string patterns(const std::vector<Pattern>& list) {
        if (list.empty()) return "{}";
        std::string body;
        for (std::size_t i = 0; i < list.size(); ++i) {
            const Pattern& p = list[i];
            body += i ? ", " : "";
            body += "PatternView{" + lit(p.glob) + "sv, " + lit(p.prefix) + "sv, ";
            body += p.cls
                        ? "static_cast<PathClass>(" + std::to_string(static_cast<int>(*p.cls)) + ")"
                        : std::string("std::nullopt");
            body += "}";
        }
        return define("PatternView", "p", body);
    }

    std::string matchers(const std::vector<Matcher>& list) {
        if (list.empty()) return "{}";
        std::string body;
        for (const auto& m : list)
            body += matcher(m);
        return define("MatcherView", "m", body);
    }

    std::string alt_refs(const std::vector<AltRef>& list) {
        if (list.empty()) return "{}";
        std::string body;
        for (std::size_t i = 0; i < list.size(); ++i)
            body += (i ? ", " : "") + ref(list[i]);
        return define("AltRef", "a", body);
    }

    static std::string ref(const AltRef& r) {
        return "AltRef{" + std::to_string(r.rule) + ", " + std::to_string(r.alt) + "}";
    }

    // An array of `type` named after `stem`, defined before its first use.
    std::string define(const std::string& type, const std::string& stem, const std::string& body) {
        const std::string name = stem + std::to_string(next_++);
        defs_ << "constexpr " << type << " " << name << "[] = {" << body << "};\n";
        return name;
    }

    std::string defs() const { return defs_.str(); }

  private:
    // A constant expression: a lambda that sets only the fields that differ from the default.
    std::string matcher(const Matcher& m) {
        const Matcher blank;
        std::ostringstream out;
        out << "[] {\n    MatcherView m;\n";
        for (const auto& [name, field] : kStringLists)
            if (m.*field != blank.*field)
                out << "    m." << name << " = " << strings(m.*field) << ";\n";
        for (const auto& [name, field] : kPatternLists)
            if (m.*field != blank.*field)
                out << "    m." << name << " = " << patterns(m.*field) << ";\n";
        for (const auto& [name, field] : kFlags)
            if (m.*field)
                out << "    m." << name << " = " << (*(m.*field) ? "true" : "false") << ";\n";
        for (const auto& [name, field] : kNameSets)
            if (m.*field) out << "    m." << name << " = " << names(*(m.*field)) << ";\n";
        for (const auto& [name, field] : kInts)
            if (m.*field != blank.*field) out << "    m." << name << " = " << m.*field << ";\n";
        if (m.min_bytes != blank.min_bytes) out << "    m.min_bytes = " << m.min_bytes << "u;\n";
        out << "    return m;\n}(),\n";
        return out.str();
    }

    std::ostringstream defs_;
    int next_ = 0;
};

std::string generate(const Catalog& c) {
    Emitter e;
    std::string rules;
    for (const auto& r : c.rules) {
        // CompiledRule::info's tool, source and examples are the Guard's to fill in.
        rules += "    RuleView{" + lit(r.info.id) + "sv, static_cast<Level>(" +
                 std::to_string(static_cast<int>(r.info.level)) + "), " + lit(r.info.message) +
                 "sv, static_cast<Tool>(" + std::to_string(static_cast<int>(r.tool)) + "), " +
                 e.matchers(r.any) + ", " + e.strings(r.trigger_examples) + ", " +
                 e.strings(r.pass_examples) + "},\n";
    }
    std::string kinds;
    for (const auto& k : c.kinds)
        kinds += e.matchers(k) + ", ";
    const std::string known = e.names(c.known);
    const std::map<std::string, std::vector<AltRef>> by_program(c.by_program.begin(),
                                                                c.by_program.end());
    std::string programs;
    for (const auto& [program, alts] : by_program)
        programs += "{" + lit(program) + "sv, " + e.alt_refs(alts) + "}, ";
    std::string prefixes;
    for (const auto& [prefix, r] : c.by_prefix)
        prefixes += "{" + lit(prefix) + "sv, " + Emitter::ref(r) + "}, ";
    const std::string generic = e.alt_refs(c.generic);
    const std::map<std::string, int> kind_ids(c.kind_ids.begin(), c.kind_ids.end());
    std::string kind_names;
    for (const auto& [name, id] : kind_ids)
        kind_names += "{" + lit(name) + "sv, " + std::to_string(id) + "}, ";
    const std::map<std::string, NameSet> classes(c.classes.begin(), c.classes.end());
    std::string class_sets;
    for (const auto& [name, set] : classes)
        class_sets += "{" + lit(name) + "sv, " + e.names(set) + "}, ";
    auto array = [&](const std::string& type, const std::string& stem, const std::string& body) {
        return body.empty() ? std::string("{}") : e.define(type, stem, body);
    };
    const std::string rule_array = array("RuleView", "rules", "\n" + rules);
    const std::string kind_array = array("List<MatcherView>", "kinds", kinds);
    const std::string program_array = array("ProgramAlts", "by_program", programs);
    const std::string prefix_array = array("PrefixAlt", "by_prefix", prefixes);
    const std::string kind_id_array = array("NamedKind", "kind_ids", kind_names);
    const std::string class_array = array("NamedSet", "classes", class_sets);

    std::ostringstream out;
    out << "// Generated from guard/catalog/rules.json by guard/catalog_codegen.cpp; do not edit.\n"
           "#include \"guard/catalog_view.hpp\"\n\n"
           "namespace airlock::guard::detail {\nnamespace builtin_catalog_data {\n"
           "using namespace std::string_view_literals;\n\n"
        << e.defs() << "\nconstexpr CatalogView kCatalog{" << rule_array << ", " << kind_array
        << ", " << known << ", " << program_array << ", " << prefix_array << ", " << generic << ", "
        << c.rules.size() << ", " << kind_id_array << ", " << class_array << "};\n\n"
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
