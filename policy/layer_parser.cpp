#include "policy/layer_parser.hpp"

#include <limits>
#include <regex>
#include <set>

#include "platform/located_json.hpp"
#include "policy/glob.hpp"

namespace airlock::policy::detail {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxArgvPattern = 256;
constexpr int kMaxRestWildcards = 4;

bool is_env_name(std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    for (char c : s)
        if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return false;
    return true;
}

bool is_rule_id(std::string_view s) {
    if (s.empty() || s.size() > 200) return false;
    for (char c : s)
        if (!(c == '_' || c == '-' || c == '.' || c == ':' || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    return true;
}

std::string in_quotes(const std::string& s) {
    return "\"" + s + "\"";
}

// Walks the document; knows where each value came from.
class Validator {
  public:
    Validator(std::shared_ptr<const LocatedJson> doc, const ParseContext& ctx,
              std::vector<Finding>& out)
        : doc_(std::move(doc)), ctx_(ctx), out_(out) {}

    bool ok() const { return errors_ == 0; }

    void error(const std::string& pointer, const std::string& field, const std::string& message,
               const std::string& code = "schema") {
        ++errors_;
        out_.push_back({Finding::Severity::error, code, doc_->where(pointer), field, message});
    }

    Where where(const std::string& pointer) const { return Where(doc_, pointer); }

    // Reports members not in `known`.
    void check_keys(const json& obj, const std::string& pointer, const std::string& field,
                    std::initializer_list<std::string_view> known) {
        for (const auto& [key, value] : obj.items()) {
            bool found = false;
            for (auto k : known)
                found = found || key == k;
            if (found) continue;
            std::string list;
            for (auto k : known)
                list += (list.empty() ? "" : ", ") + std::string(k);
            error(pointer + "/" + escape(key), join(field, key),
                  "unknown field; expected one of: " + list);
        }
    }

    static std::string join(const std::string& field, const std::string& key) {
        return field.empty() ? key : field + "." + key;
    }
    static std::string escape(const std::string& key) {
        std::string out;
        for (char c : key)
            out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
        return out;
    }

    std::optional<std::string> string_field(const json& v, const std::string& pointer,
                                            const std::string& field, bool allow_empty = false) {
        if (!v.is_string()) {
            error(pointer, field, "expected a string");
            return std::nullopt;
        }
        auto s = v.get<std::string>();
        if (!allow_empty && s.empty()) {
            error(pointer, field, "must not be empty");
            return std::nullopt;
        }
        return s;
    }

    std::optional<bool> bool_field(const json& v, const std::string& pointer,
                                   const std::string& field) {
        if (!v.is_boolean()) {
            error(pointer, field, "expected true or false");
            return std::nullopt;
        }
        return v.get<bool>();
    }

    std::optional<std::uint64_t> int_field(const json& v, const std::string& pointer,
                                           const std::string& field, std::uint64_t lo,
                                           std::uint64_t hi) {
        if (!v.is_number_integer() ||
            (v.is_number_integer() && !v.is_number_unsigned() && v.get<std::int64_t>() < 0)) {
            error(pointer, field,
                  "expected a whole number between " + std::to_string(lo) + " and " +
                      std::to_string(hi));
            return std::nullopt;
        }
        const auto n = v.get<std::uint64_t>();
        if (n < lo || n > hi) {
            error(pointer, field,
                  std::to_string(n) + " is out of range; expected " + std::to_string(lo) + " to " +
                      std::to_string(hi));
            return std::nullopt;
        }
        return n;
    }

    std::optional<std::vector<std::string>> string_list(const json& v, const std::string& pointer,
                                                        const std::string& field) {
        if (!v.is_array()) {
            error(pointer, field, "expected an array of strings");
            return std::nullopt;
        }
        std::vector<std::string> out;
        bool good = true;
        for (std::size_t i = 0; i < v.size(); ++i) {
            auto s = string_field(v[i], pointer + "/" + std::to_string(i),
                                  field + "[" + std::to_string(i) + "]");
            if (s)
                out.push_back(*s);
            else
                good = false;
        }
        if (!good) return std::nullopt;
        return out;
    }

    const ParseContext& ctx() const { return ctx_; }

  private:
    std::shared_ptr<const LocatedJson> doc_;
    const ParseContext& ctx_;
    std::vector<Finding>& out_;
    int errors_ = 0;
};

std::optional<TokenPattern> parse_token(Validator& v, const json& t, const std::string& pointer,
                                        const std::string& field, bool first) {
    TokenPattern tp;
    auto check_text = [&](const std::string& s, const std::string& ptr, const std::string& fld) {
        if (auto problem = glob_problem(s); !problem.empty()) {
            v.error(ptr, fld, problem);
            return false;
        }
        if (first && s.find('/') != std::string::npos) {
            v.error(ptr, fld,
                    "the first token is matched against the program's name without its "
                    "directory; write \"" +
                        s.substr(s.rfind('/') + 1) + "\"");
            return false;
        }
        return true;
    };
    if (t.is_string()) {
        const auto s = t.get<std::string>();
        if (s == "**") {
            tp.kind = TokenPattern::Kind::any_rest;
        } else if (s == "*") {
            tp.kind = TokenPattern::Kind::any_one;
        } else {
            if (!check_text(s, pointer, field)) return std::nullopt;
            tp.kind = has_glob_chars(s) ? TokenPattern::Kind::glob : TokenPattern::Kind::literal;
        }
        tp.texts.push_back(s);
        return tp;
    }
    if (t.is_array()) {
        if (t.empty()) {
            v.error(pointer, field, "a list of alternatives must not be empty");
            return std::nullopt;
        }
        tp.kind = TokenPattern::Kind::alternatives;
        bool good = true;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const std::string p = pointer + "/" + std::to_string(i);
            const std::string f = field + "[" + std::to_string(i) + "]";
            if (!t[i].is_string()) {
                v.error(p, f, "an alternative must be a string");
                good = false;
                continue;
            }
            const auto s = t[i].get<std::string>();
            if (s == "**") {
                v.error(p, f, "\"**\" cannot be an alternative; use it as a token of its own");
                good = false;
                continue;
            }
            if (!check_text(s, p, f)) {
                good = false;
                continue;
            }
            tp.texts.push_back(s);
        }
        if (!good) return std::nullopt;
        return tp;
    }
    v.error(pointer, field, "expected a token (string) or a list of alternative tokens");
    return std::nullopt;
}

std::optional<PathGlob> parse_path_glob(Validator& v, const json& g, const std::string& pointer,
                                        const std::string& field) {
    auto s = v.string_field(g, pointer, field);
    if (!s) return std::nullopt;
    if (auto problem = glob_problem(*s); !problem.empty()) {
        v.error(pointer, field, problem);
        return std::nullopt;
    }
    PathGlob pg;
    pg.text = *s;
    std::string text = *s;
    if (text == "~" || text.rfind("~/", 0) == 0) {
        if (v.ctx().home.empty()) {
            v.error(pointer, field, "\"~\" cannot be expanded: the home directory is unknown");
            return std::nullopt;
        }
        text = v.ctx().home + text.substr(1);
    } else if (text[0] == '~') {
        v.error(pointer, field, "only \"~/\" (the current user's home) is supported");
        return std::nullopt;
    }
    if (text[0] == '/') {
        pg.absolute = true;
    } else if (text.rfind("./", 0) == 0) {
        text = text.substr(2);
    }
    if (text.empty()) {
        v.error(pointer, field, "empty path glob");
        return std::nullopt;
    }
    for (const auto& part : split_path(text)) {
        if (part == "." || part == "..") {
            v.error(pointer, field, "\".\" and \"..\" are not allowed inside a path glob");
            return std::nullopt;
        }
        pg.parts.push_back(part);
    }
    // gitignore: a relative glob without a '/' (other than a trailing one) matches at any depth.
    const std::string trimmed = text.back() == '/' ? text.substr(0, text.size() - 1) : text;
    if (!pg.absolute && trimmed.find('/') == std::string::npos)
        pg.parts.insert(pg.parts.begin(), "**");
    if (pg.parts.empty() && !pg.absolute) {
        v.error(pointer, field, "empty path glob");
        return std::nullopt;
    }
    return pg;
}

std::optional<Rule> parse_rule(Validator& v, const json& r, std::size_t index) {
    const std::string ptr = "/rules/" + std::to_string(index);
    const std::string fld = "rules[" + std::to_string(index) + "]";
    Rule rule;
    rule.where = v.where(ptr);
    rule.field = fld;
    rule.layer = v.ctx().layer_index;
    if (!r.is_object()) {
        v.error(ptr, fld, "a rule must be an object");
        return std::nullopt;
    }
    v.check_keys(r, ptr, fld,
                 {"id", "decision", "tool", "reason", "argv", "exact", "path", "risk_at_least",
                  "risk_reason", "require_escalated", "agent_tool", "examples"});
    bool good = true;
    auto fail = [&] { good = false; };

    if (!r.contains("id")) {
        v.error(ptr, fld, "missing \"id\"");
        fail();
    } else if (auto id = v.string_field(r["id"], ptr + "/id", fld + ".id")) {
        if (!is_rule_id(*id)) {
            v.error(ptr + "/id", fld + ".id",
                    "ids use letters, digits, '_', '-', '.', ':' (at most 200 characters)");
            fail();
        }
        rule.id = *id;
    } else {
        fail();
    }
    if (!r.contains("decision")) {
        v.error(ptr, fld, "missing \"decision\" (allow, ask or deny)");
        fail();
    } else if (auto d = v.string_field(r["decision"], ptr + "/decision", fld + ".decision")) {
        if (auto dec = parse_decision(*d))
            rule.decision = *dec;
        else {
            v.error(ptr + "/decision", fld + ".decision",
                    in_quotes(*d) + " is not allow, ask or deny");
            fail();
        }
    } else {
        fail();
    }
    if (r.contains("tool")) {
        if (auto t = v.string_field(r["tool"], ptr + "/tool", fld + ".tool")) {
            if (*t != "*") {
                if (auto tool = parse_tool(*t))
                    rule.tool = *tool;
                else {
                    v.error(ptr + "/tool", fld + ".tool",
                            in_quotes(*t) + " is not shell_exec, file_write, file_read or \"*\"");
                    fail();
                }
            }
        } else {
            fail();
        }
    }
    if (r.contains("reason")) {
        if (auto s = v.string_field(r["reason"], ptr + "/reason", fld + ".reason", true))
            rule.reason = *s;
        else
            fail();
    }
    if (r.contains("argv")) {
        const auto& a = r["argv"];
        rule.has_argv = true;
        if (rule.tool && *rule.tool != Tool::shell_exec) {
            v.error(ptr + "/argv", fld + ".argv", "argv patterns apply to shell_exec only");
            fail();
        }
        if (!a.is_array() || a.empty() || a.size() > kMaxArgvPattern) {
            v.error(ptr + "/argv", fld + ".argv",
                    "expected a non-empty array of tokens (at most " +
                        std::to_string(kMaxArgvPattern) + ")");
            fail();
        } else {
            int rests = 0;
            for (std::size_t i = 0; i < a.size(); ++i) {
                auto tp = parse_token(v, a[i], ptr + "/argv/" + std::to_string(i),
                                      fld + ".argv[" + std::to_string(i) + "]", i == 0);
                if (!tp) {
                    fail();
                    continue;
                }
                if (tp->kind == TokenPattern::Kind::any_rest) ++rests;
                rule.argv.push_back(std::move(*tp));
            }
            if (rests > kMaxRestWildcards) {
                v.error(ptr + "/argv", fld + ".argv",
                        "at most " + std::to_string(kMaxRestWildcards) + " \"**\" per pattern");
                fail();
            }
        }
    }
    if (r.contains("exact")) {
        if (auto b = v.bool_field(r["exact"], ptr + "/exact", fld + ".exact")) {
            rule.exact = *b;
            if (*b && !r.contains("argv")) {
                v.error(ptr + "/exact", fld + ".exact", "\"exact\" needs an \"argv\" pattern");
                fail();
            }
        } else {
            fail();
        }
    }
    if (r.contains("path")) {
        const auto& p = r["path"];
        if (p.is_string()) {
            if (auto g = parse_path_glob(v, p, ptr + "/path", fld + ".path"))
                rule.path.push_back(std::move(*g));
            else
                fail();
        } else if (p.is_array() && !p.empty()) {
            for (std::size_t i = 0; i < p.size(); ++i) {
                if (auto g = parse_path_glob(v, p[i], ptr + "/path/" + std::to_string(i),
                                             fld + ".path[" + std::to_string(i) + "]"))
                    rule.path.push_back(std::move(*g));
                else
                    fail();
            }
        } else {
            v.error(ptr + "/path", fld + ".path", "expected a glob or a non-empty array of globs");
            fail();
        }
    }
    if (r.contains("risk_at_least")) {
        if (auto s = v.string_field(r["risk_at_least"], ptr + "/risk_at_least",
                                    fld + ".risk_at_least")) {
            if (auto l = guard::parse_level(*s))
                rule.risk_at_least = *l;
            else {
                v.error(ptr + "/risk_at_least", fld + ".risk_at_least",
                        in_quotes(*s) + " is not low, medium, high or critical");
                fail();
            }
        } else {
            fail();
        }
    }
    if (r.contains("risk_reason")) {
        if (auto s = v.string_field(r["risk_reason"], ptr + "/risk_reason", fld + ".risk_reason"))
            rule.risk_reason = *s;
        else
            fail();
    }
    if (r.contains("require_escalated")) {
        if (auto b = v.bool_field(r["require_escalated"], ptr + "/require_escalated",
                                  fld + ".require_escalated"))
            rule.require_escalated = *b;
        else
            fail();
    }
    if (r.contains("agent_tool")) {
        const auto& a = r["agent_tool"];
        const std::string aptr = ptr + "/agent_tool";
        const std::string afld = fld + ".agent_tool";
        std::vector<json> names;
        if (a.is_string()) names.push_back(a);
        if (a.is_array()) names.assign(a.begin(), a.end());
        if (names.empty()) {
            v.error(aptr, afld, "expected a tool-name glob or a non-empty array of them");
            fail();
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            const std::string iptr = a.is_array() ? aptr + "/" + std::to_string(i) : aptr;
            const std::string ifld = a.is_array() ? afld + "[" + std::to_string(i) + "]" : afld;
            if (auto name = v.string_field(names[i], iptr, ifld)) {
                if (const std::string problem = glob_problem(*name); !problem.empty()) {
                    v.error(iptr, ifld, problem);
                    fail();
                } else {
                    rule.agent_tool.push_back(*name);
                }
            } else {
                fail();
            }
        }
        for (const char* other :
             {"tool", "argv", "exact", "path", "risk_at_least", "risk_reason"}) {
            if (!r.contains(other)) continue;
            v.error(aptr, afld,
                    std::string("\"agent_tool\" rules match an agent's own tools by name only; "
                                "\"") +
                        other + "\" cannot be combined with it");
            fail();
        }
    }
    if (r.contains("examples")) {
        const auto& e = r["examples"];
        const std::string eptr = ptr + "/examples";
        const std::string efld = fld + ".examples";
        if (!e.is_object()) {
            v.error(eptr, efld, "expected {\"match\": [...], \"not_match\": [...]}");
            fail();
        } else {
            v.check_keys(e, eptr, efld, {"match", "not_match"});
            for (const char* kind : {"match", "not_match"}) {
                if (!e.contains(kind)) continue;
                const auto& list = e[kind];
                const std::string lptr = eptr + "/" + kind;
                const std::string lfld = efld + "." + kind;
                if (!list.is_array()) {
                    v.error(lptr, lfld, "expected an array of examples");
                    fail();
                    continue;
                }
                for (std::size_t i = 0; i < list.size(); ++i) {
                    const std::string iptr = lptr + "/" + std::to_string(i);
                    rule.examples.push_back({list[i], v.where(iptr),
                                             lfld + "[" + std::to_string(i) + "]",
                                             std::string_view(kind) == "match"});
                }
            }
        }
    }
    if (!good) return std::nullopt;
    return rule;
}

// "network": {"allow": [...], "deny": [...], "unknown": "ask"|"deny",
//             "methods": "all"|"read-only", "hosts": {"name": "address"}}
std::optional<NetworkLayerRules> parse_network(Validator& v, const json& n,
                                               const std::string& ptr) {
    const std::string fld = "sandbox.network";
    v.check_keys(n, ptr, fld, {"allow", "deny", "unknown", "methods", "hosts"});
    NetworkLayerRules rules;
    bool good = true;
    for (const char* list : {"allow", "deny"}) {
        if (!n.contains(list)) continue;
        const std::string lptr = ptr + "/" + list;
        const std::string lfld = fld + "." + list;
        if (!n[list].is_array()) {
            v.error(lptr, lfld, "expected an array of host names, IP addresses or CIDRs");
            good = false;
            continue;
        }
        for (std::size_t i = 0; i < n[list].size(); ++i) {
            const std::string iptr = lptr + "/" + std::to_string(i);
            const std::string ifld = lfld + "[" + std::to_string(i) + "]";
            const json& item = n[list][i];
            if (!item.is_string()) {
                v.error(iptr, ifld, "expected a string");
                good = false;
                continue;
            }
            auto parsed = parse_network_entry(item.get<std::string>());
            if (!parsed.entry) {
                v.error(iptr, ifld, in_quotes(item.get<std::string>()) + ": " + parsed.problem);
                good = false;
                continue;
            }
            (std::string_view(list) == "allow" ? rules.allow : rules.deny)
                .push_back(std::move(*parsed.entry));
        }
    }
    if (n.contains("unknown")) {
        if (auto u = v.string_field(n["unknown"], ptr + "/unknown", fld + ".unknown")) {
            if (*u == "ask" || *u == "deny")
                rules.unknown_asks = *u == "ask";
            else {
                v.error(ptr + "/unknown", fld + ".unknown", in_quotes(*u) + " is not ask or deny");
                good = false;
            }
        }
    }
    if (n.contains("methods")) {
        if (auto m = v.string_field(n["methods"], ptr + "/methods", fld + ".methods")) {
            if (*m == "all" || *m == "read-only")
                rules.read_only = *m == "read-only";
            else {
                v.error(ptr + "/methods", fld + ".methods",
                        in_quotes(*m) + " is not all or read-only");
                good = false;
            }
        }
    }
    if (n.contains("hosts")) {
        const std::string hptr = ptr + "/hosts";
        if (!n["hosts"].is_object()) {
            v.error(hptr, fld + ".hosts", "expected an object {\"name\": \"address\"}");
            good = false;
        } else {
            for (const auto& [name, value] : n["hosts"].items()) {
                const std::string iptr = hptr + "/" + Validator::escape(name);
                const std::string ifld = fld + ".hosts." + name;
                const std::string host = normalize_host(name);
                auto address =
                    value.is_string() ? IpAddress::parse(value.get<std::string>()) : std::nullopt;
                if (host.empty() || IpAddress::parse(name)) {
                    v.error(iptr, ifld, "not a host name");
                    good = false;
                } else if (!address) {
                    v.error(iptr, ifld, "expected an IP address (a string)");
                    good = false;
                } else {
                    rules.hosts[host] = *address;
                }
            }
        }
    }
    if (!good) return std::nullopt;
    return rules;
}

void parse_sandbox(Validator& v, const json& s, LayerSettings& out) {
    const std::string ptr = "/sandbox";
    if (!s.is_object()) return v.error(ptr, "sandbox", "expected an object");
    v.check_keys(s, ptr, "sandbox",
                 {"adapter", "required", "network", "local_sockets", "writable_roots", "deny_read",
                  "protected_paths", "toolchains"});
    if (s.contains("adapter")) {
        if (auto a = v.string_field(s["adapter"], ptr + "/adapter", "sandbox.adapter")) {
            if (*a == "auto" || *a == "bwrap" || *a == "seccomp" || *a == "seatbelt" ||
                *a == "none")
                out.adapter = *a;
            else
                v.error(ptr + "/adapter", "sandbox.adapter",
                        in_quotes(*a) + " is not auto, bwrap, seccomp, seatbelt or none");
        }
    }
    if (s.contains("required"))
        out.required = v.bool_field(s["required"], ptr + "/required", "sandbox.required");
    if (s.contains("network")) {
        if (s["network"].is_object()) {
            out.network_rules = parse_network(v, s["network"], ptr + "/network");
        } else if (auto n = v.string_field(s["network"], ptr + "/network", "sandbox.network")) {
            if (*n == "on" || *n == "off")
                out.network = *n == "on";
            else
                v.error(ptr + "/network", "sandbox.network",
                        in_quotes(*n) +
                            " is not \"on\", \"off\" or an object {allow, deny, "
                            "unknown, methods, hosts}");
        }
    }
    if (s.contains("local_sockets")) {
        if (auto n = v.string_field(s["local_sockets"], ptr + "/local_sockets",
                                    "sandbox.local_sockets")) {
            if (*n == "on" || *n == "off" || *n == "unix")
                out.local_sockets = *n;
            else
                v.error(ptr + "/local_sockets", "sandbox.local_sockets",
                        in_quotes(*n) + " is not \"on\", \"unix\" or \"off\"");
        }
    }
    if (s.contains("toolchains"))
        out.toolchains = v.string_list(s["toolchains"], ptr + "/toolchains", "sandbox.toolchains");
    if (s.contains("writable_roots"))
        out.writable_roots =
            v.string_list(s["writable_roots"], ptr + "/writable_roots", "sandbox.writable_roots");
    if (s.contains("deny_read"))
        out.deny_read = v.string_list(s["deny_read"], ptr + "/deny_read", "sandbox.deny_read");
    if (s.contains("protected_paths"))
        out.protected_paths = v.string_list(s["protected_paths"], ptr + "/protected_paths",
                                            "sandbox.protected_paths");
}

void parse_limits(Validator& v, const json& l, LayerSettings& out) {
    const std::string ptr = "/limits";
    if (!l.is_object()) return v.error(ptr, "limits", "expected an object");
    v.check_keys(l, ptr, "limits",
                 {"timeout_seconds", "output_bytes", "memory_bytes", "max_processes"});
    if (l.contains("timeout_seconds"))
        if (auto n = v.int_field(l["timeout_seconds"], ptr + "/timeout_seconds",
                                 "limits.timeout_seconds", 1, 7 * 86400))
            out.timeout_seconds = static_cast<int>(*n);
    if (l.contains("output_bytes"))
        out.output_bytes = v.int_field(l["output_bytes"], ptr + "/output_bytes",
                                       "limits.output_bytes", 1, 1ull << 40);
    if (l.contains("memory_bytes"))
        out.memory_bytes = v.int_field(l["memory_bytes"], ptr + "/memory_bytes",
                                       "limits.memory_bytes", 1ull << 20, 1ull << 50);
    if (l.contains("max_processes"))
        if (auto n = v.int_field(l["max_processes"], ptr + "/max_processes", "limits.max_processes",
                                 1, 1 << 20))
            out.max_processes = static_cast<int>(*n);
}

void parse_approvals(Validator& v, const json& a, LayerSettings& out) {
    const std::string ptr = "/approvals";
    if (!a.is_object()) return v.error(ptr, "approvals", "expected an object");
    v.check_keys(a, ptr, "approvals", {"max_repeated_denials", "timeout_seconds"});
    if (a.contains("max_repeated_denials"))
        if (auto n = v.int_field(a["max_repeated_denials"], ptr + "/max_repeated_denials",
                                 "approvals.max_repeated_denials", 1, 1000))
            out.max_repeated_denials = static_cast<int>(*n);
    if (a.contains("timeout_seconds"))
        if (auto n = v.int_field(a["timeout_seconds"], ptr + "/timeout_seconds",
                                 "approvals.timeout_seconds", 1, 86400))
            out.approval_timeout_seconds = static_cast<int>(*n);
}

void parse_wal(Validator& v, const json& w, LayerSettings& out) {
    const std::string ptr = "/wal";
    if (!w.is_object()) return v.error(ptr, "wal", "expected an object");
    v.check_keys(w, ptr, "wal", {"redact"});
    if (!w.contains("redact")) return;
    auto patterns = v.string_list(w["redact"], ptr + "/redact", "wal.redact");
    if (!patterns) return;
    bool good = true;
    for (std::size_t i = 0; i < patterns->size(); ++i) {
        const std::string field = "wal.redact[" + std::to_string(i) + "]";
        if ((*patterns)[i].empty()) {
            v.error(ptr + "/redact/" + std::to_string(i), field, "an empty pattern");
            good = false;
            continue;
        }
        try {
            std::regex check((*patterns)[i], std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            v.error(ptr + "/redact/" + std::to_string(i), field,
                    "not a valid regular expression: " + std::string(e.what()));
            good = false;
        }
    }
    if (good) out.wal_redact = std::move(*patterns);
}

void parse_env(Validator& v, const json& e, LayerSettings& out) {
    const std::string ptr = "/env";
    if (!e.is_object()) return v.error(ptr, "env", "expected an object");
    v.check_keys(e, ptr, "env", {"allow", "set"});
    if (e.contains("allow")) {
        if (auto keys = v.string_list(e["allow"], ptr + "/allow", "env.allow")) {
            bool good = true;
            for (std::size_t i = 0; i < keys->size(); ++i) {
                if (!is_env_name((*keys)[i])) {
                    v.error(ptr + "/allow/" + std::to_string(i),
                            "env.allow[" + std::to_string(i) + "]",
                            in_quotes((*keys)[i]) + " is not a variable name");
                    good = false;
                }
            }
            if (good) out.env_allow = *keys;
        }
    }
    if (e.contains("set")) {
        const auto& s = e["set"];
        if (!s.is_object()) {
            v.error(ptr + "/set", "env.set", "expected an object of NAME: value");
        } else {
            std::map<std::string, std::string> values;
            for (const auto& [key, value] : s.items()) {
                const std::string kptr = ptr + "/set/" + Validator::escape(key);
                if (!is_env_name(key)) {
                    v.error(kptr, "env.set." + key, "not a variable name");
                    continue;
                }
                // The value itself is never echoed: it may be a secret.
                if (!value.is_string()) {
                    v.error(kptr, "env.set." + key, "expected a string value");
                    continue;
                }
                values[key] = value.get<std::string>();
            }
            out.env_set = std::move(values);
        }
    }
}

}  // namespace

std::optional<Layer> parse_layer(std::string_view text, const std::string& name,
                                 const ParseContext& context, std::vector<Finding>& findings) {
    auto parsed = parse_located_json(text, name);
    if (!parsed) {
        // "FILE:LINE:COL: message" -> split so that the finding has a location of its own.
        const std::string& msg = parsed.error().message;
        Finding f{Finding::Severity::error, "syntax", name, "", msg};
        const auto sep = msg.find(": ", name.size());
        if (msg.rfind(name, 0) == 0 && sep != std::string::npos) {
            f.where = msg.substr(0, sep);
            f.message = msg.substr(sep + 2);
        }
        findings.push_back(std::move(f));
        return std::nullopt;
    }
    const auto shared = std::make_shared<const LocatedJson>(std::move(parsed).value());
    const LocatedJson& doc = *shared;
    Validator v(shared, context, findings);
    Layer layer;
    layer.name = name;
    const json& root = doc.value;
    if (!root.is_object()) {
        v.error("", "", "a policy must be a JSON object");
        return std::nullopt;
    }
    v.check_keys(
        root, "", "",
        {"version", "default", "rules", "guard", "sandbox", "limits", "approvals", "env", "wal"});
    if (!root.contains("version")) {
        v.error("", "version", "missing; write \"version\": 1");
    } else if (!root["version"].is_number_integer() || root["version"].get<std::int64_t>() != 1) {
        v.error("/version", "version", "unsupported version; this airlock reads version 1");
    }
    if (root.contains("default")) {
        layer.default_where = Where(shared, "/default");
        if (auto d = v.string_field(root["default"], "/default", "default")) {
            if (auto dec = parse_decision(*d))
                layer.default_decision = *dec;
            else
                v.error("/default", "default", in_quotes(*d) + " is not allow, ask or deny");
        }
    }
    if (root.contains("rules")) {
        const auto& rules = root["rules"];
        if (!rules.is_array()) {
            v.error("/rules", "rules", "expected an array of rules");
        } else {
            std::map<std::string, std::size_t> seen;
            for (std::size_t i = 0; i < rules.size(); ++i) {
                auto rule = parse_rule(v, rules[i], i);
                if (!rule) continue;
                auto [it, inserted] = seen.emplace(rule->id, i);
                if (!inserted) {
                    v.error("/rules/" + std::to_string(i) + "/id", rule->field + ".id",
                            "duplicate id " + in_quotes(rule->id) + " (first used by rules[" +
                                std::to_string(it->second) + "])",
                            "duplicate-id");
                    continue;
                }
                layer.rules.push_back(std::move(*rule));
            }
        }
    }
    if (root.contains("guard")) {
        if (!root["guard"].is_object())
            v.error("/guard", "guard", "expected an object");
        else {
            layer.guard = root["guard"];
            layer.guard_where = Where(shared, "/guard");
        }
    }
    if (root.contains("sandbox")) parse_sandbox(v, root["sandbox"], layer.settings);
    if (root.contains("limits")) parse_limits(v, root["limits"], layer.settings);
    if (root.contains("approvals")) parse_approvals(v, root["approvals"], layer.settings);
    if (root.contains("env")) parse_env(v, root["env"], layer.settings);
    if (root.contains("wal")) parse_wal(v, root["wal"], layer.settings);
    if (!v.ok()) return std::nullopt;
    return layer;
}

}  // namespace airlock::policy::detail
