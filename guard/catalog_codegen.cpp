// Build-time tool: reads guard/catalog/rules.json with the same strict loader that reads a
// policy's guard section, and writes the C++ code that builds the same Catalog, so that airlock
// does not parse and check the catalog's JSON at every start. A catalog the loader refuses fails
// the build. Usage: airlock_guard_codegen RULES_JSON OUTPUT_CPP
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

std::string strings(const std::vector<std::string>& list) {
    std::string out = "{";
    for (std::size_t i = 0; i < list.size(); ++i)
        out += (i ? ", " : "") + lit(list[i]);
    return out + "}";
}

std::string names(const NameSet& set) {
    std::vector<std::string> exact(set.exact.begin(), set.exact.end());
    std::sort(exact.begin(), exact.end());  // the same output at every build
    return "NameSet{" + strings(exact) + ", " + strings(set.prefixes) + "}";
}

std::string patterns(const std::vector<Pattern>& list) {
    std::string out = "{";
    for (std::size_t i = 0; i < list.size(); ++i) {
        const Pattern& p = list[i];
        out += i ? ", " : "";
        out += "Pattern{" + lit(p.glob) + ", " + lit(p.prefix) + ", ";
        out += p.cls ? "static_cast<PathClass>(" + std::to_string(static_cast<int>(*p.cls)) + ")"
                     : std::string("std::nullopt");
        out += "}";
    }
    return out + "}";
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

// Statements that push one Matcher onto `into`; only the fields that differ from the default.
std::string matcher(const Matcher& m, const std::string& into) {
    const Matcher blank;
    std::ostringstream out;
    out << "    {\n        Matcher m;\n";
    for (const auto& [name, field] : kStringLists)
        if (m.*field != blank.*field)
            out << "        m." << name << " = " << strings(m.*field) << ";\n";
    for (const auto& [name, field] : kPatternLists)
        if (m.*field != blank.*field)
            out << "        m." << name << " = " << patterns(m.*field) << ";\n";
    for (const auto& [name, field] : kFlags)
        if (m.*field)
            out << "        m." << name << " = " << (*(m.*field) ? "true" : "false") << ";\n";
    for (const auto& [name, field] : kNameSets)
        if (m.*field) out << "        m." << name << " = " << names(*(m.*field)) << ";\n";
    for (const auto& [name, field] : kInts)
        if (m.*field != blank.*field) out << "        m." << name << " = " << m.*field << ";\n";
    if (m.min_bytes != blank.min_bytes) out << "        m.min_bytes = " << m.min_bytes << "u;\n";
    out << "        " << into << ".push_back(std::move(m));\n    }\n";
    return out.str();
}

std::string rule(const CompiledRule& r, std::size_t index) {
    std::ostringstream out;
    out << "void rule_" << index << "(Catalog& c) {\n    CompiledRule r;\n";
    out << "    r.info.id = " << lit(r.info.id) << ";\n";
    out << "    r.info.level = static_cast<Level>(" << static_cast<int>(r.info.level) << ");\n";
    out << "    r.info.message = " << lit(r.info.message) << ";\n";
    // info.tool, info.source and info's examples are the Guard's to fill in.
    out << "    r.tool = static_cast<Tool>(" << static_cast<int>(r.tool) << ");\n";
    for (const auto& m : r.any)
        out << matcher(m, "r.any");
    if (!r.trigger_examples.empty())
        out << "    r.trigger_examples = " << strings(r.trigger_examples) << ";\n";
    if (!r.pass_examples.empty())
        out << "    r.pass_examples = " << strings(r.pass_examples) << ";\n";
    out << "    c.rules.push_back(std::move(r));\n}\n\n";
    return out.str();
}

std::string generate(const Catalog& c) {
    std::ostringstream out;
    out << "// Generated from guard/catalog/rules.json by guard/catalog_codegen.cpp; do not edit.\n"
           "#include \"guard/rule_loader.hpp\"\n\n"
           "namespace airlock::guard::detail {\nnamespace {\n\n";
    // One function per rule and kind keeps each one small for the compiler.
    for (std::size_t i = 0; i < c.rules.size(); ++i)
        out << rule(c.rules[i], i);
    for (std::size_t k = 0; k < c.kinds.size(); ++k) {
        out << "void kind_" << k << "(Catalog& c) {\n    auto& alternatives = c.kinds[" << k
            << "];\n";
        for (const auto& m : c.kinds[k])
            out << matcher(m, "alternatives");
        out << "}\n\n";
    }
    out << "}  // namespace\n\nResult<Catalog> load_builtin_catalog() {\n    Catalog c;\n";
    const std::map<std::string, NameSet> classes(c.classes.begin(), c.classes.end());
    for (const auto& [name, set] : classes)
        out << "    c.classes.emplace(" << lit(name) << ", " << names(set) << ");\n";
    out << "    c.known = " << names(c.known) << ";\n";
    const std::map<std::string, int> kind_ids(c.kind_ids.begin(), c.kind_ids.end());
    for (const auto& [name, id] : kind_ids)
        out << "    c.kind_ids.emplace(" << lit(name) << ", " << id << ");\n";
    out << "    c.kinds.resize(" << c.kinds.size() << ");\n";
    for (std::size_t k = 0; k < c.kinds.size(); ++k)
        out << "    kind_" << k << "(c);\n";
    out << "    c.rules.reserve(" << c.rules.size() << ");\n";
    for (std::size_t i = 0; i < c.rules.size(); ++i)
        out << "    rule_" << i << "(c);\n";
    out << "    c.build_index();\n    return c;\n}\n\n}  // namespace airlock::guard::detail\n";
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
