#include "guard/rule_match.hpp"

#include "platform/glob.hpp"

namespace airlock::guard::detail {
namespace {

using Strings = Resolved<StrRef>;
using Patterns = Resolved<PatternRec>;

bool pattern_match(const PatternView& p, std::string_view word, const PathContext& paths) {
    if (p.cls) {
        if (word.substr(0, p.prefix.size()) != p.prefix) return false;
        return in_class(*p.cls, word.substr(p.prefix.size()), paths);
    }
    return glob_match(p.glob, word);
}

bool any_pattern(const Patterns& ps, std::string_view word, const PathContext& paths) {
    for (const auto& p : ps)
        if (pattern_match(p, word, paths)) return true;
    return false;
}

// "-r" also matches inside "-rf"; "--force" also matches "--force=x"; "-exec" only itself.
bool flag_present(const std::vector<std::string>& argv, std::string_view flag) {
    const bool long_flag = flag.size() > 2 && flag[0] == '-' && flag[1] == '-';
    const bool short_flag = flag.size() == 2 && flag[0] == '-' && flag[1] != '-';
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string_view w = argv[i];
        if (w == "--") break;
        if (w == flag) return true;
        if (long_flag && w.size() > flag.size() && w.substr(0, flag.size()) == flag &&
            w[flag.size()] == '=')
            return true;
        if (short_flag && w.size() > 2 && w[0] == '-' && w[1] != '-') {
            // A cluster of short options: letters up to the first non-letter (a value).
            for (std::size_t k = 1; k < w.size(); ++k) {
                const char c = w[k];
                if (c == flag[1]) return true;
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) break;
            }
        }
    }
    return false;
}

bool is_option(std::string_view w) {
    return w.size() > 1 && w[0] == '-';
}

// The arguments that are not options (everything after "--" counts).
template <class F>
bool for_each_positional(const std::vector<std::string>& argv, F&& f) {
    bool after_dashes = false;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        if (!after_dashes && argv[i] == "--") {
            after_dashes = true;
            continue;
        }
        if (!after_dashes && is_option(argv[i])) continue;
        if (f(argv[i])) return true;
    }
    return false;
}

std::string_view subcommand_of(const std::vector<std::string>& argv, const Strings& skip_values) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& w = argv[i];
        if (is_option(w)) {
            for (const auto& s : skip_values)
                if (w == s) {
                    ++i;
                    break;
                }
            continue;
        }
        return w;
    }
    return {};
}

bool contains(const Strings& list, std::string_view w) {
    for (const std::string_view x : list)
        if (x == w) return true;
    return false;
}

bool is_write_redirect(const Redirect& r) {
    if (r.op.find('>') == std::string::npos) return false;
    // "2>&1" duplicates a descriptor; it names no file.
    return !(r.op.size() > 2 && r.op.find(">&") != std::string::npos && r.op.back() != '&');
}

// Script operands that name the interpreter's own standard input.
bool is_stdin_name(std::string_view w) {
    return w == "-" || w == "/dev/stdin" || w == "/dev/fd/0" || w == "/proc/self/fd/0";
}

// An interpreter reading its program from stdin: no script operand (or "-", /dev/stdin, or
// -s).
bool reads_stdin_script(const Segment& s) {
    if (s.argv.empty()) return false;
    if (flag_present(s.argv, "-s") && s.argv[0].find("sh") != std::string::npos) return true;
    // Only the first operand is the script; later ones are its arguments (`python3 - x`).
    bool has_operand = false;
    for_each_positional(s.argv, [&](const std::string& w) {
        has_operand = !is_stdin_name(w);
        return true;
    });
    // Interpreter options that take the program from elsewhere (-c CODE, -m MOD, -e CODE).
    if (flag_present(s.argv, "-c") || flag_present(s.argv, "-e") || flag_present(s.argv, "-m"))
        return false;
    return !has_operand;
}

bool in_pipeline_before(const MatchContext& ctx, std::size_t idx, const NameSetRec& set) {
    const std::vector<Segment>& segs = ctx.segments;
    const Segment& s = segs[idx];
    if (s.pipe_position == 0) return false;
    for (const auto& t : segs) {
        if (&t == &s || t.pipeline != s.pipeline || t.depth != s.depth) continue;
        if (t.pipe_position < s.pipe_position && !t.argv.empty() &&
            ctx.cat.contains(set, t.argv[0]))
            return true;
    }
    return false;
}

bool has_child(const MatchContext& ctx, std::size_t idx, const NameSetRec& set) {
    const std::vector<Segment>& segs = ctx.segments;
    for (std::size_t k = 0; k < segs.size(); ++k) {
        if (segs[k].parent != static_cast<int>(idx)) continue;
        if (!segs[k].argv.empty() && ctx.cat.contains(set, segs[k].argv[0])) return true;
        if (has_child(ctx, k, set)) return true;
    }
    return false;
}

// A word that holds a command or process substitution ($(...), `...`, <(...)).
bool holds_substitution(std::string_view w) {
    return w.find("$(") != std::string_view::npos || w.find("<(") != std::string_view::npos ||
           w.find(">(") != std::string_view::npos || w.find('`') != std::string_view::npos;
}

// Whether the words the segment takes its code from hold a substitution: the program word,
// the options (attached code: -e"$(...)") and the first operand (the -c string, the -e code,
// or the script file: `bash <(...)`, `source <(...)`).
bool code_holds_substitution(const Segment& s, const Strings& skip_values) {
    if (holds_substitution(s.program_path)) return true;
    const auto& argv = s.argv;
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& w = argv[i];
        if (w == "--") return i + 1 < argv.size() && holds_substitution(argv[i + 1]);
        if (!is_option(w)) return holds_substitution(w);
        if (holds_substitution(w)) return true;
        if (contains(skip_values, w)) ++i;
    }
    return false;
}

bool is_kind(const MatchContext& ctx, int kind, std::size_t idx) {
    for (const auto& m : ctx.cat.matcher_list(ctx.cat.kinds[static_cast<std::size_t>(kind)]))
        if (matches(m, idx, ctx)) return true;
    return false;
}

bool kind_before_in_pipeline(const MatchContext& ctx, std::size_t idx, int kind) {
    const Segment& s = ctx.segments[idx];
    if (s.pipe_position == 0) return false;
    for (std::size_t k = 0; k < ctx.segments.size(); ++k) {
        const Segment& t = ctx.segments[k];
        if (k == idx || t.pipeline != s.pipeline || t.depth != s.depth) continue;
        if (t.pipe_position < s.pipe_position && is_kind(ctx, kind, k)) return true;
    }
    return false;
}

// Segments of a substitution come before the segment whose word holds it.
bool has_child_kind(const MatchContext& ctx, std::size_t idx, int kind) {
    for (std::size_t k = 0; k < idx; ++k) {
        if (ctx.segments[k].parent != static_cast<int>(idx)) continue;
        if (is_kind(ctx, kind, k) || has_child_kind(ctx, k, kind)) return true;
    }
    return false;
}

// "./r.sh" and "r.sh" name the same file.
std::string_view plain_path(std::string_view p) {
    while (p.size() > 2 && p[0] == '.' && p[1] == '/')
        p.remove_prefix(2);
    return p;
}

// The first operand after the options (the script an interpreter runs), or empty.
std::string_view first_operand(const std::vector<std::string>& argv, const Strings& skip_values) {
    for (std::size_t i = 1; i < argv.size(); ++i) {
        const std::string& w = argv[i];
        if (w == "--") return i + 1 < argv.size() ? std::string_view(argv[i + 1]) : "";
        if (!is_option(w)) return w;
        if (contains(skip_values, w)) ++i;
    }
    return {};
}

// Whether an earlier command of `kind` wrote `file`: by a redirection, or as the value of
// an output option (-o FILE, -out FILE, --output FILE).
bool written_by_kind(const MatchContext& ctx, std::size_t idx, int kind, std::string_view file) {
    file = plain_path(file);
    if (file.empty()) return false;
    for (std::size_t k = 0; k < idx; ++k) {
        const Segment& t = ctx.segments[k];
        bool wrote = false;
        for (const auto& r : t.redirects)
            wrote = wrote || (is_write_redirect(r) && plain_path(r.target) == file);
        for (std::size_t i = 1; !wrote && i + 1 < t.argv.size(); ++i) {
            const std::string& w = t.argv[i];
            if (w == "-o" || w == "-out" || w == "--output")
                wrote = plain_path(t.argv[i + 1]) == file;
        }
        if (wrote && is_kind(ctx, kind, k)) return true;
    }
    return false;
}

bool is_self_call(const std::vector<Segment>& segs, std::size_t idx) {
    const Segment& s = segs[idx];
    if (s.function.empty() || s.argv.empty() || s.argv[0] != s.function) return false;
    if (s.background || s.pipe_position > 0) return true;
    for (const auto& t : segs)
        if (t.pipeline == s.pipeline && t.depth == s.depth && t.pipe_position > 0) return true;
    return false;
}

}  // namespace

bool matches(const MatcherRec& m, std::size_t idx, const MatchContext& ctx) {
    const Segment& s = ctx.segments[idx];
    const auto& argv = s.argv;
    const CatalogView& cat = ctx.cat;
    if (m.program && (argv.empty() || !cat.contains(*m.program, argv[0]))) return false;
    if (!m.argv_prefix.empty()) {
        if (argv.size() < m.argv_prefix.size()) return false;
        const Strings prefix = cat.strings(m.argv_prefix);
        for (std::size_t i = 0; i < prefix.size(); ++i)
            if (prefix[i] != "*" && !glob_match(prefix[i], argv[i])) return false;
    }
    if (m.min_args >= 0 && argv.size() < static_cast<std::size_t>(m.min_args) + 1) return false;
    if (m.program_dynamic && *m.program_dynamic != s.program_dynamic) return false;
    if (m.dynamic && *m.dynamic != s.dynamic) return false;
    if (m.piped && *m.piped != (s.pipe_position > 0)) return false;
    if (!m.subcommand.empty() || !m.not_subcommand.empty()) {
        const std::string_view sub = subcommand_of(argv, cat.strings(m.skip_option_values));
        if (!m.subcommand.empty() && !contains(cat.strings(m.subcommand), sub)) return false;
        if (!m.not_subcommand.empty() &&
            (sub.empty() || contains(cat.strings(m.not_subcommand), sub)))
            return false;
    }
    if (!m.flag.empty()) {
        bool any = false;
        for (const std::string_view f : cat.strings(m.flag))
            any = any || flag_present(argv, f);
        if (!any) return false;
    }
    for (const std::string_view f : cat.strings(m.not_flag))
        if (flag_present(argv, f)) return false;
    if (!m.wrapper.empty()) {
        bool any = false;
        for (const auto& w : s.wrappers)
            any = any || contains(cat.strings(m.wrapper), w);
        if (!any) return false;
    }
    if (!m.arg.empty() && !for_each_positional(argv, [&](const std::string& w) {
            return any_pattern(cat.pattern_list(m.arg), w, ctx.paths);
        }))
        return false;
    if (!m.word.empty() || !m.not_word.empty()) {
        bool any = m.word.empty();
        for (std::size_t i = 1; i < argv.size(); ++i) {
            if (!m.not_word.empty() &&
                any_pattern(cat.pattern_list(m.not_word), argv[i], ctx.paths))
                return false;
            if (!any && any_pattern(cat.pattern_list(m.word), argv[i], ctx.paths)) any = true;
        }
        if (!any) return false;
    }
    if (!m.last_arg.empty() &&
        (argv.size() < 2 || !any_pattern(cat.pattern_list(m.last_arg), argv.back(), ctx.paths)))
        return false;
    if (!m.redirect_write.empty() || !m.redirect_read.empty()) {
        bool any = false;
        for (const auto& r : s.redirects) {
            const bool write = is_write_redirect(r);
            const bool read =
                r.op.find('<') != std::string::npos && r.op.find("<<") == std::string::npos;
            if (write && any_pattern(cat.pattern_list(m.redirect_write), r.target, ctx.paths))
                any = true;
            if (read && any_pattern(cat.pattern_list(m.redirect_read), r.target, ctx.paths))
                any = true;
        }
        if (!any) return false;
    }
    if (m.self_call && *m.self_call != is_self_call(ctx.segments, idx)) return false;
    if (m.stdin_script && *m.stdin_script != reads_stdin_script(s)) return false;
    if (m.stdin_from && !in_pipeline_before(ctx, idx, *m.stdin_from)) return false;
    if (m.child && !has_child(ctx, idx, *m.child)) return false;
    if (m.escaped && *m.escaped != s.escaped) return false;
    if (!m.also_word.empty()) {
        bool any = false;
        for (std::size_t i = 1; i < argv.size() && !any; ++i)
            any = any_pattern(cat.pattern_list(m.also_word), argv[i], ctx.paths);
        if (!any) return false;
    }
    if (m.kind >= 0 && !is_kind(ctx, m.kind, idx)) return false;
    if (m.stdin_from_kind >= 0 && !kind_before_in_pipeline(ctx, idx, m.stdin_from_kind))
        return false;
    if (m.code_from_kind >= 0 && (!code_holds_substitution(s, cat.strings(m.skip_option_values)) ||
                                  !has_child_kind(ctx, idx, m.code_from_kind)))
        return false;
    if (m.child_kind >= 0 && !has_child_kind(ctx, idx, m.child_kind)) return false;
    if (m.program_written_by_kind >= 0 &&
        (s.program_path.find('/') == std::string::npos ||
         !written_by_kind(ctx, idx, m.program_written_by_kind, s.program_path)))
        return false;
    if (m.script_written_by_kind >= 0 &&
        !written_by_kind(ctx, idx, m.script_written_by_kind,
                         first_operand(argv, cat.strings(m.skip_option_values))))
        return false;
    return true;
}

bool matches_file(const MatcherRec& m, std::string_view path, std::string_view content,
                  const CatalogView& cat, const PathContext& paths) {
    if (!m.path.empty() && !any_pattern(cat.pattern_list(m.path), path, paths)) return false;
    if (m.min_bytes > 0 && content.size() < m.min_bytes) return false;
    if (!m.content_prefix.empty()) {
        bool any = false;
        for (const std::string_view p : cat.strings(m.content_prefix))
            any = any || content.substr(0, p.size()) == p;
        if (!any) return false;
    }
    return true;
}

}  // namespace airlock::guard::detail
