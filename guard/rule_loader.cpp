#include "guard/rule_loader.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <set>

#include <nlohmann/json.hpp>

namespace airlock::guard::detail {

namespace {

using nlohmann::json;

class Loader {
  public:
    Loader(Catalog& catalog, std::string stage) : c_(catalog), stage_(std::move(stage)) {}

    Result<void> builtin(const json& j);
    Result<void> extension(const json& j);

  private:
    Error err(const std::string& where, const std::string& what) const {
        return make_error(stage_, where + ": " + what);
    }
    Result<void> only_fields(const json& j, const std::string& where,
                             std::initializer_list<std::string_view> allowed) const;
    Result<std::vector<std::string>> strings(const json& j, const std::string& where) const;
    Result<NameSet> names(const json& j, const std::string& where) const;
    Result<std::vector<Pattern>> patterns(const json& j, const std::string& where) const;
    Result<Matcher> matcher(const json& j, const std::string& where, bool file_rule) const;
    Result<void> rule(const json& j, const std::string& where, bool file_rule, bool extension);
    Result<void> known(const json& j, const std::string& where);
    Result<void> kinds(const json& j, const std::string& where);

    Catalog& c_;
    std::string stage_;
};

Result<void> Loader::only_fields(const json& j, const std::string& where,
                                 std::initializer_list<std::string_view> allowed) const {
    if (!j.is_object()) return err(where, "expected an object");
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
            return err(where, "unknown field \"" + it.key() + "\"");
    }
    return {};
}

Result<std::vector<std::string>> Loader::strings(const json& j, const std::string& where) const {
    if (!j.is_array()) return err(where, "expected an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        if (!j[i].is_string() || j[i].get_ref<const std::string&>().empty())
            return err(where + "[" + std::to_string(i) + "]", "expected a non-empty string");
        out.push_back(j[i].get<std::string>());
    }
    return out;
}

Result<NameSet> Loader::names(const json& j, const std::string& where) const {
    auto list = strings(j, where);
    if (!list) return list.error();
    NameSet set;
    for (const auto& name : *list) {
        if (name.size() > 1 && name[0] == '@') {
            auto cls = c_.classes.find(name.substr(1));
            if (cls == c_.classes.end())
                return err(where, "unknown program class \"" + name + "\"");
            set.exact.insert(cls->second.exact.begin(), cls->second.exact.end());
            set.prefixes.insert(set.prefixes.end(), cls->second.prefixes.begin(),
                                cls->second.prefixes.end());
        } else if (name.size() > 1 && name.back() == '*') {
            set.prefixes.push_back(name.substr(0, name.size() - 1));
        } else {
            set.exact.insert(name);
        }
    }
    return set;
}

Result<std::vector<Pattern>> Loader::patterns(const json& j, const std::string& where) const {
    auto list = strings(j, where);
    if (!list) return list.error();
    std::vector<Pattern> out;
    for (const auto& text : *list) {
        Pattern p;
        const auto at = text.find('@');
        if (at != std::string::npos) {
            if (auto cls = parse_path_class(std::string_view(text).substr(at + 1))) {
                p.prefix = text.substr(0, at);
                p.cls = *cls;
                out.push_back(std::move(p));
                continue;
            }
        }
        p.glob = text;
        out.push_back(std::move(p));
    }
    return out;
}

Result<Matcher> Loader::matcher(const json& j, const std::string& where, bool file_rule) const {
    if (file_rule) {
        if (auto ok = only_fields(j, where, {"path", "min_bytes", "content_prefix"}); !ok)
            return ok.error();
    } else if (auto ok = only_fields(j, where,
                                     {"program",
                                      "argv",
                                      "subcommand",
                                      "not_subcommand",
                                      "skip_option_values",
                                      "flag",
                                      "not_flag",
                                      "wrapper",
                                      "arg",
                                      "word",
                                      "not_word",
                                      "last_arg",
                                      "redirect_write",
                                      "redirect_read",
                                      "program_dynamic",
                                      "dynamic",
                                      "self_call",
                                      "stdin_script",
                                      "piped",
                                      "stdin_from",
                                      "child",
                                      "escaped",
                                      "also_word",
                                      "kind",
                                      "stdin_from_kind",
                                      "child_kind",
                                      "code_from_kind",
                                      "program_written_by_kind",
                                      "script_written_by_kind",
                                      "min_args"});
               !ok) {
        return ok.error();
    }
    Matcher m;
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& key = it.key();
        const std::string at = where + "." + key;
        const json& v = it.value();
        auto take_strings = [&](std::vector<std::string>& dst) -> Result<void> {
            auto r = strings(v, at);
            if (!r) return r.error();
            dst = std::move(*r);
            return {};
        };
        auto take_patterns = [&](std::vector<Pattern>& dst) -> Result<void> {
            auto r = patterns(v, at);
            if (!r) return r.error();
            dst = std::move(*r);
            return {};
        };
        auto take_bool = [&](std::optional<bool>& dst) -> Result<void> {
            if (!v.is_boolean()) return err(at, "expected true or false");
            dst = v.get<bool>();
            return {};
        };
        auto take_class = [&](std::optional<NameSet>& dst) -> Result<void> {
            auto r = names(v.is_string() ? json::array({v}) : v, at);
            if (!r) return r.error();
            dst = std::move(*r);
            return {};
        };
        auto take_kind = [&](int& dst) -> Result<void> {
            if (!v.is_string()) return err(at, "expected the name of a kind");
            auto found = c_.kind_ids.find(v.get<std::string>());
            if (found == c_.kind_ids.end())
                return err(at, "unknown kind \"" + v.get<std::string>() + "\"");
            dst = found->second;
            return {};
        };
        Result<void> r;
        if (key == "program")
            r = take_class(m.program);
        else if (key == "argv")
            r = take_strings(m.argv_prefix);
        else if (key == "subcommand")
            r = take_strings(m.subcommand);
        else if (key == "not_subcommand")
            r = take_strings(m.not_subcommand);
        else if (key == "skip_option_values")
            r = take_strings(m.skip_option_values);
        else if (key == "flag")
            r = take_strings(m.flag);
        else if (key == "not_flag")
            r = take_strings(m.not_flag);
        else if (key == "wrapper")
            r = take_strings(m.wrapper);
        else if (key == "arg")
            r = take_patterns(m.arg);
        else if (key == "word")
            r = take_patterns(m.word);
        else if (key == "not_word")
            r = take_patterns(m.not_word);
        else if (key == "last_arg")
            r = take_patterns(m.last_arg);
        else if (key == "redirect_write")
            r = take_patterns(m.redirect_write);
        else if (key == "redirect_read")
            r = take_patterns(m.redirect_read);
        else if (key == "path")
            r = take_patterns(m.path);
        else if (key == "content_prefix")
            r = take_strings(m.content_prefix);
        else if (key == "program_dynamic")
            r = take_bool(m.program_dynamic);
        else if (key == "dynamic")
            r = take_bool(m.dynamic);
        else if (key == "self_call")
            r = take_bool(m.self_call);
        else if (key == "stdin_script")
            r = take_bool(m.stdin_script);
        else if (key == "piped")
            r = take_bool(m.piped);
        else if (key == "stdin_from")
            r = take_class(m.stdin_from);
        else if (key == "child")
            r = take_class(m.child);
        else if (key == "escaped")
            r = take_bool(m.escaped);
        else if (key == "also_word")
            r = take_patterns(m.also_word);
        else if (key == "kind")
            r = take_kind(m.kind);
        else if (key == "stdin_from_kind")
            r = take_kind(m.stdin_from_kind);
        else if (key == "child_kind")
            r = take_kind(m.child_kind);
        else if (key == "code_from_kind")
            r = take_kind(m.code_from_kind);
        else if (key == "program_written_by_kind")
            r = take_kind(m.program_written_by_kind);
        else if (key == "script_written_by_kind")
            r = take_kind(m.script_written_by_kind);
        else if (key == "min_args" || key == "min_bytes") {
            if (!v.is_number_unsigned())
                r = err(at, "expected a non-negative integer");
            else if (key == "min_args")
                m.min_args =
                    static_cast<int>(std::min<std::uint64_t>(v.get<std::uint64_t>(), 1 << 20));
            else
                m.min_bytes = v.get<std::uint64_t>();
        }
        if (!r) return r.error();
    }
    if (!file_rule && m.argv_prefix.empty() && !m.program && !m.program_dynamic && !m.self_call &&
        m.redirect_write.empty() && m.redirect_read.empty() && m.wrapper.empty() &&
        m.program_written_by_kind < 0)
        return err(where,
                   "a shell rule needs \"program\", \"argv\", \"wrapper\", a redirect "
                   "condition, \"program_dynamic\", \"program_written_by_kind\" or "
                   "\"self_call\"");
    if (file_rule && m.path.empty() && m.min_bytes == 0 && m.content_prefix.empty())
        return err(where, "a file rule needs \"path\", \"min_bytes\" or \"content_prefix\"");
    return m;
}

Result<void> Loader::rule(const json& j, const std::string& where, bool file_rule, bool extension) {
    if (file_rule) {
        if (auto ok = only_fields(
                j, where,
                {"id", "level", "message", "tool", "path", "min_bytes", "content_prefix"});
            !ok)
            return ok;
    } else if (auto ok =
                   only_fields(j, where, {"id", "level", "message", "match", "argv", "examples"});
               !ok) {
        return ok;
    }
    CompiledRule r;
    for (const char* key : {"id", "level", "message"}) {
        if (!j.contains(key) || !j[key].is_string() || j[key].get_ref<const std::string&>().empty())
            return err(where, std::string("\"") + key + "\" must be a non-empty string");
    }
    r.info.id = j["id"].get<std::string>();
    for (char ch : r.info.id) {
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.'))
            return err(where + ".id", "\"" + r.info.id + "\": use letters, digits, _ - .");
    }
    const auto level = parse_level(j["level"].get<std::string>());
    if (!level)
        return err(where + ".level", "\"" + j["level"].get<std::string>() +
                                         "\" is not one of low, medium, high, critical");
    r.info.level = *level;
    r.info.message = j["message"].get<std::string>();
    if (file_rule) {
        if (!j.contains("tool") || !j["tool"].is_string())
            return err(where, "\"tool\" must be file_write or file_read");
        const auto tool = parse_tool(j["tool"].get<std::string>());
        if (!tool || *tool == Tool::shell_exec)
            return err(where + ".tool", "must be file_write or file_read");
        r.tool = *tool;
        json m = j;
        for (const char* key : {"id", "level", "message", "tool"})
            m.erase(key);
        auto matcher_result = matcher(m, where, true);
        if (!matcher_result) return matcher_result.error();
        r.any.push_back(std::move(*matcher_result));
    } else {
        const bool has_match = j.contains("match");
        const bool has_argv = j.contains("argv");
        if (has_match == has_argv) return err(where, "give exactly one of \"match\" and \"argv\"");
        if (has_argv) {
            Matcher m;
            auto argv = strings(j["argv"], where + ".argv");
            if (!argv) return argv.error();
            if (argv->empty()) return err(where + ".argv", "must not be empty");
            m.argv_prefix = std::move(*argv);
            r.any.push_back(std::move(m));
        } else {
            const json& match = j["match"];
            const json list = match.is_array() ? match : json::array({match});
            if (list.empty()) return err(where + ".match", "must not be empty");
            for (std::size_t i = 0; i < list.size(); ++i) {
                auto m = matcher(list[i], where + ".match[" + std::to_string(i) + "]", false);
                if (!m) return m.error();
                r.any.push_back(std::move(*m));
            }
        }
        if (j.contains("examples")) {
            const json& ex = j["examples"];
            if (auto ok = only_fields(ex, where + ".examples", {"trigger", "pass"}); !ok) return ok;
            if (ex.contains("trigger")) {
                auto t = strings(ex["trigger"], where + ".examples.trigger");
                if (!t) return t.error();
                r.trigger_examples = std::move(*t);
            }
            if (ex.contains("pass")) {
                auto p = strings(ex["pass"], where + ".examples.pass");
                if (!p) return p.error();
                r.pass_examples = std::move(*p);
            }
        }
    }
    for (const auto& existing : c_.rules) {
        // The same id may name a shell rule and a file rule (write_protected_path).
        if (existing.info.id == r.info.id && existing.tool == r.tool)
            return err(where + ".id",
                       "duplicate rule id \"" + r.info.id + "\"" +
                           (extension ? " (ids of the built-in catalog are taken)" : ""));
    }
    c_.rules.push_back(std::move(r));
    return {};
}

Result<void> Loader::known(const json& j, const std::string& where) {
    auto list = names(j, where);
    if (!list) return list.error();
    c_.known.exact.insert(list->exact.begin(), list->exact.end());
    c_.known.prefixes.insert(c_.known.prefixes.end(), list->prefixes.begin(), list->prefixes.end());
    return {};
}

Result<void> Loader::kinds(const json& j, const std::string& where) {
    if (!j.is_object()) return err(where, "expected an object");
    // Names first, so that a kind's own conditions can be checked not to name kinds.
    for (auto it = j.begin(); it != j.end(); ++it) {
        const int id = static_cast<int>(c_.kinds.size());
        c_.kind_ids[it.key()] = id;
        c_.kinds.emplace_back();
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string at = where + "." + it.key();
        if (!it.value().is_array() || it.value().empty())
            return err(at, "expected a non-empty array of match alternatives");
        auto& list = c_.kinds[static_cast<std::size_t>(c_.kind_ids[it.key()])];
        for (std::size_t i = 0; i < it.value().size(); ++i) {
            const std::string alt = at + "[" + std::to_string(i) + "]";
            auto m = matcher(it.value()[i], alt, false);
            if (!m) return m.error();
            if (m->kind >= 0 || m->stdin_from_kind >= 0 || m->child_kind >= 0 ||
                m->code_from_kind >= 0 || m->program_written_by_kind >= 0 ||
                m->script_written_by_kind >= 0)
                return err(alt, "a kind cannot refer to a kind");
            list.push_back(std::move(*m));
        }
    }
    return {};
}

Result<void> Loader::builtin(const json& j) {
    if (auto ok = only_fields(j, "catalog",
                              {"classes", "known_programs", "kinds", "rules", "file_rules"});
        !ok)
        return ok;
    if (j.contains("classes")) {
        const json& classes = j["classes"];
        if (!classes.is_object()) return err("catalog.classes", "expected an object");
        for (auto it = classes.begin(); it != classes.end(); ++it) {
            auto set = names(it.value(), "catalog.classes." + it.key());
            if (!set) return set.error();
            c_.classes[it.key()] = std::move(*set);
        }
    }
    if (j.contains("known_programs"))
        if (auto ok = known(j["known_programs"], "catalog.known_programs"); !ok) return ok;
    if (j.contains("kinds"))
        if (auto ok = kinds(j["kinds"], "catalog.kinds"); !ok) return ok;
    for (const char* list : {"rules", "file_rules"}) {
        if (!j.contains(list)) continue;
        if (!j[list].is_array()) return err(std::string("catalog.") + list, "expected an array");
        for (std::size_t i = 0; i < j[list].size(); ++i) {
            auto ok =
                rule(j[list][i], std::string("catalog.") + list + "[" + std::to_string(i) + "]",
                     std::string_view(list) == "file_rules", false);
            if (!ok) return ok;
        }
    }
    return {};
}

Result<void> Loader::extension(const json& j) {
    if (auto ok = only_fields(j, "guard", {"rules", "known_programs"}); !ok) return ok;
    if (j.contains("known_programs"))
        if (auto ok = known(j["known_programs"], "guard.known_programs"); !ok) return ok;
    if (j.contains("rules")) {
        if (!j["rules"].is_array()) return err("guard.rules", "expected an array");
        for (std::size_t i = 0; i < j["rules"].size(); ++i) {
            auto ok = rule(j["rules"][i], "guard.rules[" + std::to_string(i) + "]", false, true);
            if (!ok) return ok;
        }
    }
    return {};
}

}  // namespace

bool NameSet::contains(const std::string& name) const {
    if (exact.count(name) != 0) return true;
    for (const auto& p : prefixes)
        if (name.size() >= p.size() && name.compare(0, p.size(), p) == 0) return true;
    return false;
}

namespace {
bool has_glob(std::string_view s) {
    return s.find_first_of("*?[") != std::string_view::npos;
}
}  // namespace

void Catalog::build_index() {
    by_program.clear();
    by_prefix.clear();
    generic.clear();
    for (std::size_t i = 0; i < rules.size(); ++i) {
        const auto& r = rules[i];
        if (r.tool != Tool::shell_exec) continue;
        for (std::size_t a = 0; a < r.any.size(); ++a) {
            const auto& m = r.any[a];
            const AltRef ref{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(a)};
            // An alternative whose first condition is the program is only tried on segments
            // that run one of its programs.
            if (m.program) {
                for (const auto& name : m.program->exact)
                    by_program[name].push_back(ref);
                for (const auto& prefix : m.program->prefixes)
                    by_prefix.emplace_back(prefix, ref);
                known.exact.insert(m.program->exact.begin(), m.program->exact.end());
            } else if (!m.argv_prefix.empty() && !has_glob(m.argv_prefix[0])) {
                by_program[m.argv_prefix[0]].push_back(ref);
            } else {
                generic.push_back(ref);
            }
        }
    }
}

Result<Catalog> load_catalog_json(std::string_view text) {
    json j = json::parse(text, nullptr, false, /*ignore_comments=*/true);
    if (j.is_discarded()) return make_error("guard", "rule catalog: invalid JSON");
    Catalog catalog;
    Loader loader(catalog, "guard");
    if (auto ok = loader.builtin(j); !ok) return ok.error();
    catalog.build_index();
    return catalog;
}

Result<void> add_extensions(Catalog& catalog, const nlohmann::json& section) {
    Loader loader(catalog, "policy");
    if (auto ok = loader.extension(section); !ok) return ok;
    catalog.build_index();
    return {};
}

}  // namespace airlock::guard::detail
