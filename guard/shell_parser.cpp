#include "guard/shell_parser.hpp"

#include <map>
#include <utility>

namespace airlock::guard::detail {
namespace {

bool is_op(const Token& t, std::string_view op) {
    return t.kind == TokenKind::op && t.op == op;
}
bool is_word(const Token& t, std::string_view text) {
    return t.kind == TokenKind::word && !t.word.quoted && !t.word.dynamic && t.word.text == text;
}
// Reserved words that only introduce or continue a compound command; the commands inside
// are what matters for risk, so the parser steps over them.
bool is_prefix_keyword(std::string_view w) {
    return w == "if" || w == "then" || w == "elif" || w == "else" || w == "while" || w == "until" ||
           w == "do" || w == "!";
}
bool is_closing_keyword(std::string_view w) {
    return w == "fi" || w == "done" || w == "esac";
}
bool starts_command(const Token& t) {
    return t.kind == TokenKind::word || t.kind == TokenKind::redirect || is_op(t, "(");
}

}  // namespace

const Token& ShellParser::Stream::peek() {
    if (!peeked_) peeked_ = lexer_.next();
    return *peeked_;
}

Token ShellParser::Stream::take() {
    ++taken_;
    if (peeked_) {
        Token t = std::move(*peeked_);
        peeked_.reset();
        return t;
    }
    return lexer_.next();
}

void ShellParser::problem(std::string what) {
    out_.complete = false;
    if (out_.problems.size() < 16) out_.problems.push_back(std::move(what));
}

void ShellParser::fatal(std::string what) {
    if (!fatal_) problem(std::move(what));
    fatal_ = true;
}

bool ShellParser::enter(const char* what) {
    if (fatal_) return false;
    if (nesting_ >= kMaxNesting) {
        fatal(std::string(what) + " nested deeper than " + std::to_string(kMaxNesting));
        return false;
    }
    ++nesting_;
    return true;
}

void ShellParser::leave() {
    --nesting_;
}

void ShellParser::parse_script(std::string_view script) {
    if (script.size() > kMaxScriptBytes) {
        problem("command longer than " + std::to_string(kMaxScriptBytes) + " bytes");
        return;
    }
    Lexer lexer(script, *this);
    run_lexer(lexer, Until::end);
}

void ShellParser::run_lexer(Lexer& lexer, Until until) {
    Stream s(lexer);
    parse_list(s, until);
    if (lexer.failed()) problem(lexer.problem());
}

void ShellParser::parse_words(const std::vector<Word>& words) {
    const int pipeline = next_pipeline_++;
    emit_command(words, Segment{}, out_.segments.size());
    for (auto& seg : out_.segments)
        if (seg.pipeline < 0) seg.pipeline = pipeline;
}

void ShellParser::nested_list(Lexer& lexer) {
    if (depth_ + 1 > kMaxDepth) {
        fatal("substitutions nested deeper than " + std::to_string(kMaxDepth));
        lexer.fail("nesting limit");
        return;
    }
    if (!enter("substitution")) {
        lexer.fail("nesting limit");
        return;
    }
    ++depth_;
    const int saved_brace = std::exchange(brace_depth_, 0);
    const std::size_t saved_mark = children_mark_;
    Stream s(lexer);
    parse_list(s, Until::paren);
    children_mark_ = saved_mark;
    brace_depth_ = saved_brace;
    --depth_;
    leave();
}

void ShellParser::nested_script(std::string_view script) {
    nested_script(script, wrappers_);
}

void ShellParser::nested_script(std::string_view script, const std::vector<std::string>& wrappers) {
    if (fatal_) return;
    if (depth_ + 1 > kMaxDepth) {
        fatal("scripts nested deeper than " + std::to_string(kMaxDepth));
        return;
    }
    if (!enter("script")) return;
    auto saved_wrappers = std::exchange(wrappers_, wrappers);
    auto saved_function = std::exchange(function_, std::string());
    const int saved_brace = std::exchange(brace_depth_, 0);
    const std::size_t saved_mark = children_mark_;
    ++depth_;
    // The text is copied: nested scripts come from words that may be freed meanwhile.
    const std::string text(script);
    Lexer lexer(text, *this);
    run_lexer(lexer, Until::end);
    --depth_;
    children_mark_ = saved_mark;
    brace_depth_ = saved_brace;
    function_ = std::move(saved_function);
    wrappers_ = std::move(saved_wrappers);
    leave();
}

void ShellParser::heredoc_body(std::size_t id, const std::string& body, bool literal) {
    if (fatal_ || id >= heredocs_.size()) return;
    if (!literal && enter("here-document")) {
        // An unquoted delimiter: substitutions in the body run.
        const std::size_t saved_mark = children_mark_;
        Lexer lexer(body, *this);
        lexer.scan_expansions();
        children_mark_ = saved_mark;
        if (lexer.failed()) problem("here-document: " + lexer.problem());
        leave();
    }
    heredocs_[id].body = body;
    heredocs_[id].body_read = true;
    if (heredocs_[id].owner_known) run_heredoc_script(id);
}

void ShellParser::set_heredoc_owner(std::size_t id, int segment) {
    heredocs_[id].segment = segment;
    heredocs_[id].owner_known = true;
    if (heredocs_[id].body_read) run_heredoc_script(id);
}

namespace {
// A shell with options only: it reads its script from stdin.
bool shell_reads_stdin(const Segment& owner) {
    bool reads_stdin = !owner.argv.empty() && is_shell(owner.argv[0]);
    for (std::size_t k = 1; reads_stdin && k < owner.argv.size(); ++k)
        if (owner.argv[k].empty() || owner.argv[k][0] != '-') reads_stdin = false;
    return reads_stdin;
}
}  // namespace

void ShellParser::run_heredoc_script(std::size_t id) {
    // A shell reading its script from the here-document runs the body.
    const int seg = heredocs_[id].segment;
    if (seg < 0 || static_cast<std::size_t>(seg) >= out_.segments.size()) return;
    const Segment& owner = out_.segments[static_cast<std::size_t>(seg)];
    if (!shell_reads_stdin(owner)) return;
    std::vector<std::string> wrappers = owner.wrappers;
    wrappers.push_back(owner.argv[0]);
    const std::string body = std::move(heredocs_[id].body);
    nested_script(body, wrappers);
}

void ShellParser::run_herestring_scripts(int seg) {
    // A shell reading its script from a here-string (`bash <<< 'cmd'`) runs the string.
    if (seg < 0 || static_cast<std::size_t>(seg) >= out_.segments.size()) return;
    const Segment& owner = out_.segments[static_cast<std::size_t>(seg)];
    if (!shell_reads_stdin(owner)) return;
    std::vector<std::string> scripts;
    for (const auto& r : owner.redirects) {
        const std::string_view op = r.op;
        if (op.size() >= 3 && op.substr(op.size() - 3) == "<<<" && !r.dynamic)
            scripts.push_back(r.target);
    }
    if (scripts.empty()) return;
    std::vector<std::string> wrappers = owner.wrappers;
    wrappers.push_back(owner.argv[0]);
    for (const auto& script : scripts)
        nested_script(script, wrappers);
    children_mark_ = out_.segments.size();  // they belong to no later command
}

int ShellParser::emit(Segment segment) {
    if (fatal_) return -1;
    if (out_.segments.size() >= kMaxSegments) {
        fatal("more than " + std::to_string(kMaxSegments) + " commands");
        return -1;
    }
    out_.segments.push_back(std::move(segment));
    return static_cast<int>(out_.segments.size() - 1);
}

bool ShellParser::is_terminator(const Token& t, Until until) const {
    switch (until) {
        case Until::end:
            return false;
        case Until::paren:
            return is_op(t, ")");
        case Until::brace:
            return is_word(t, "}");
        case Until::case_item:
            return is_op(t, ";;") || is_op(t, ";&") || is_op(t, ";;&") || is_word(t, "esac");
    }
    return false;
}

void ShellParser::skip_newlines(Stream& s) {
    while (s.peek().kind == TokenKind::newline)
        s.take();
}

void ShellParser::parse_list(Stream& s, Until until) {
    while (!fatal_) {
        const Token& t = s.peek();
        if (t.kind == TokenKind::end) {
            if (until == Until::paren) problem("missing ')'");
            if (until == Until::brace) problem("missing '}'");
            if (until == Until::case_item) problem("missing 'esac'");
            return;
        }
        if (is_terminator(t, until)) {
            if (until != Until::case_item) s.take();
            return;
        }
        if (t.kind == TokenKind::newline || is_op(t, ";") || is_op(t, "&")) {
            s.take();
            continue;
        }
        if (t.kind == TokenKind::op && t.op != "(") {
            problem("unexpected '" + t.op + "'");
            s.take();
            continue;
        }
        const std::size_t first = out_.segments.size();
        const std::size_t taken = s.taken();
        parse_and_or(s);
        if (s.taken() == taken) {
            // Nothing fits here (a stray '}' in a substitution...): skip it, never loop.
            problem("unexpected token");
            s.take();
            continue;
        }
        if (is_op(s.peek(), "&")) {
            for (std::size_t k = first; k < out_.segments.size(); ++k)
                if (out_.segments[k].depth == depth_) out_.segments[k].background = true;
        }
    }
}

void ShellParser::parse_and_or(Stream& s) {
    parse_pipeline(s);
    while (!fatal_ && (is_op(s.peek(), "&&") || is_op(s.peek(), "||"))) {
        const std::string op = s.take().op;
        skip_newlines(s);
        if (!starts_command(s.peek())) problem("missing command after '" + op + "'");
        parse_pipeline(s);
    }
}

void ShellParser::parse_pipeline(Stream& s) {
    const int pipeline = next_pipeline_++;
    std::vector<std::pair<std::size_t, std::size_t>> elements;  // segment ranges per position
    for (;;) {
        const std::size_t begin = out_.segments.size();
        parse_command(s);
        elements.emplace_back(begin, out_.segments.size());
        if (fatal_ || !(is_op(s.peek(), "|") || is_op(s.peek(), "|&"))) break;
        s.take();
        skip_newlines(s);
        if (!starts_command(s.peek())) problem("missing command after '|'");
    }
    for (std::size_t p = 0; p < elements.size(); ++p) {
        std::map<int, int> inner_sizes;
        for (std::size_t k = elements[p].first; k < elements[p].second; ++k) {
            Segment& seg = out_.segments[k];
            if (seg.depth != depth_) continue;
            if (seg.pipeline < 0) {
                seg.pipeline = pipeline;
                seg.pipe_position = static_cast<int>(p);
            } else {
                ++inner_sizes[seg.pipeline];
            }
        }
        if (elements.size() == 1) continue;
        // A group that is one element of a longer pipeline ((curl x) | sh): its single
        // commands take the outer pipeline's position, so that pipe-based rules see them.
        for (std::size_t k = elements[p].first; k < elements[p].second; ++k) {
            Segment& seg = out_.segments[k];
            if (seg.depth != depth_ || seg.pipeline == pipeline) continue;
            if (inner_sizes[seg.pipeline] == 1) {
                seg.pipeline = pipeline;
                seg.pipe_position = static_cast<int>(p);
            }
        }
    }
}

void ShellParser::parse_command(Stream& s) {
    if (fatal_) return;
    const Token& t = s.peek();
    if (is_op(t, "(")) {
        s.take();
        if (s.lexer().at_char('(')) {
            s.lexer().read_arithmetic_command();
        } else if (enter("subshell")) {
            parse_list(s, Until::paren);
            leave();
        }
        parse_trailing_redirects(s);
        return;
    }
    if (t.kind == TokenKind::word && !t.word.quoted && !t.word.dynamic) {
        const std::string& w = t.word.text;
        if (w == "{") {
            s.take();
            if (enter("group")) {
                ++brace_depth_;
                parse_list(s, Until::brace);
                --brace_depth_;
                leave();
            }
            parse_trailing_redirects(s);
            return;
        }
        if (w == "}") {
            if (brace_depth_ == 0) s.take();  // stray: nothing runs
            return;
        }
        if (is_prefix_keyword(w)) {
            s.take();
            parse_command(s);
            return;
        }
        if (is_closing_keyword(w)) {
            s.take();
            parse_trailing_redirects(s);
            return;
        }
        if (w == "case") {
            s.take();
            parse_case(s);
            return;
        }
        if (w == "for" || w == "select") {
            // for NAME [in WORDS...]; the words are only data, their substitutions were
            // parsed by the lexer already.
            s.take();
            if (is_op(s.peek(), "(")) {
                s.take();
                if (s.lexer().at_char('(')) s.lexer().read_arithmetic_command();
                return;
            }
            while (s.peek().kind == TokenKind::word)
                s.take();
            return;
        }
        if (w == "function") {
            s.take();
            if (s.peek().kind != TokenKind::word) {
                problem("function without a name");
                return;
            }
            std::string name = s.take().word.text;
            if (is_op(s.peek(), "(")) {
                s.take();
                if (!is_op(s.peek(), ")"))
                    problem("expected ')' after function name");
                else
                    s.take();
            }
            skip_newlines(s);
            out_.functions.push_back(name);
            auto saved = std::exchange(function_, std::move(name));
            parse_command(s);
            function_ = std::move(saved);
            return;
        }
        if (w == "[[") {
            // Conditional expression: operators inside are comparisons, not pipes or
            // redirections.
            std::vector<Word> words;
            words.push_back(s.take().word);
            while (!fatal_) {
                Token x = s.take();
                if (x.kind == TokenKind::end || x.kind == TokenKind::newline) {
                    problem("missing ']]'");
                    break;
                }
                if (x.kind == TokenKind::word) {
                    const bool done = is_word(x, "]]");
                    words.push_back(std::move(x.word));
                    if (done) break;
                } else {
                    Word op;
                    op.text = x.op;
                    words.push_back(std::move(op));
                }
            }
            emit_command(words, Segment{}, children_mark_);
            return;
        }
    }
    parse_simple(s, {});
}

void ShellParser::parse_case(Stream& s) {
    if (s.peek().kind != TokenKind::word) {
        problem("case without a word");
        return;
    }
    s.take();
    skip_newlines(s);
    if (!is_word(s.peek(), "in")) {
        problem("case without 'in'");
        return;
    }
    s.take();
    if (!enter("case")) return;
    while (!fatal_) {
        skip_newlines(s);
        const Token& t = s.peek();
        if (t.kind == TokenKind::end) {
            problem("missing 'esac'");
            break;
        }
        if (is_word(t, "esac")) {
            s.take();
            break;
        }
        // Patterns: [(] word [| word]... )
        if (is_op(t, "(")) s.take();
        while (s.peek().kind == TokenKind::word || is_op(s.peek(), "|"))
            s.take();
        if (!is_op(s.peek(), ")")) {
            problem("case pattern without ')'");
            s.take();
            continue;
        }
        s.take();
        parse_list(s, Until::case_item);
        if (!is_word(s.peek(), "esac") && s.peek().kind != TokenKind::end) s.take();  // ;; ;& ;;&
    }
    leave();
}

void ShellParser::parse_trailing_redirects(Stream& s) {
    std::vector<Redirect> redirects;
    std::vector<std::size_t> heredocs;
    while (!fatal_ && s.peek().kind == TokenKind::redirect) {
        const Token op = s.take();
        if (!read_redirect(s, op, redirects, heredocs)) return;
    }
    if (redirects.empty()) return;
    Segment carrier;
    carrier.depth = depth_;
    carrier.pipeline = -1;
    carrier.wrappers = wrappers_;
    carrier.function = function_;
    carrier.redirects = std::move(redirects);
    for (const auto& r : carrier.redirects)
        carrier.dynamic = carrier.dynamic || r.dynamic;
    const int idx = emit(std::move(carrier));
    for (std::size_t h : heredocs)
        set_heredoc_owner(h, idx);
}

bool ShellParser::read_redirect(Stream& s, const Token& op, std::vector<Redirect>& out,
                                std::vector<std::size_t>& heredocs) {
    if (s.peek().kind != TokenKind::word) {
        problem("redirection '" + op.op + "' without a target");
        return false;
    }
    Word target = s.take().word;
    Redirect r;
    r.op = op.op;
    r.target = target.text;
    r.dynamic = target.dynamic;
    const bool is_dup = op.op.size() >= 2 && op.op.back() == '&';
    if (is_dup && !target.dynamic) {
        bool numeric = !target.text.empty();
        for (char c : target.text)
            numeric = numeric && ((c >= '0' && c <= '9') || c == '-');
        if (numeric) r.op += target.text;  // "2>&1": duplicating a descriptor, no file
    }
    const std::string_view plain = std::string_view(op.op).substr(op.op.find_first_of("<>&"));
    if (plain == "<<" || plain == "<<-") {
        const std::size_t id = heredocs_.size();
        heredocs_.push_back({});
        heredocs.push_back(id);
        s.lexer().request_heredoc(id, target.text, plain == "<<-", target.quoted);
    }
    out.push_back(std::move(r));
    return true;
}

void ShellParser::parse_simple(Stream& s, std::vector<Word> words) {
    Segment base;
    std::vector<std::size_t> heredocs;
    while (!fatal_) {
        const Token& t = s.peek();
        if (t.kind == TokenKind::word) {
            Token w = s.take();
            if (words.empty() && w.word.assign_eq != std::string::npos) {
                base.assignment_keys.push_back(w.word.text.substr(0, w.word.assign_eq));
                if (w.word.assign_eq + 1 == w.word.text.size() && is_op(s.peek(), "(")) {
                    // NAME=(a b c): an array; its words are data.
                    s.take();
                    while (s.peek().kind == TokenKind::word || s.peek().kind == TokenKind::newline)
                        s.take();
                    if (is_op(s.peek(), ")"))
                        s.take();
                    else
                        problem("unterminated array assignment");
                }
                continue;
            }
            words.push_back(std::move(w.word));
            if (words.size() == 1 && is_op(s.peek(), "(")) {
                // NAME () BODY: a function definition.
                s.take();
                if (!is_op(s.peek(), ")")) {
                    problem("expected ')' after '" + words[0].text + "('");
                    return;
                }
                s.take();
                skip_newlines(s);
                out_.functions.push_back(words[0].text);
                auto saved = std::exchange(function_, words[0].text);
                parse_command(s);
                function_ = std::move(saved);
                return;
            }
        } else if (t.kind == TokenKind::redirect) {
            const Token op = s.take();
            if (!read_redirect(s, op, base.redirects, heredocs)) return;
        } else {
            break;
        }
    }
    if (words.empty() && base.redirects.empty()) {
        children_mark_ = out_.segments.size();
        return;
    }
    for (const auto& r : base.redirects)
        base.dynamic = base.dynamic || r.dynamic;
    const int idx = emit_command(words, std::move(base), children_mark_);
    run_herestring_scripts(idx);
    for (std::size_t h : heredocs)
        set_heredoc_owner(h, idx);
}

int ShellParser::emit_command(const std::vector<Word>& words, Segment base,
                              std::size_t children_from) {
    base.depth = depth_;
    base.pipeline = -1;  // parse_pipeline assigns it
    base.wrappers = wrappers_;
    base.function = function_;
    const std::size_t children_to = out_.segments.size();
    int owner = -1;
    if (words.empty()) {
        owner = emit(std::move(base));
    } else {
        owner = normalise_command(words, std::move(base), *this);
    }
    if (owner >= 0) {
        for (std::size_t k = children_from; k < children_to; ++k)
            if (out_.segments[k].parent < 0 && out_.segments[k].depth > depth_)
                out_.segments[k].parent = owner;
    }
    children_mark_ = out_.segments.size();
    return owner;
}

}  // namespace airlock::guard::detail
