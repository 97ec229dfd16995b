#include "guard/shell_lexer.hpp"

#include <cstdint>

#include "platform/utf8.hpp"

namespace airlock::guard::detail {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}
bool is_meta(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '&' || c == '|' ||
           c == '(' || c == ')' || c == '<' || c == '>';
}
bool is_name_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

void Lexer::fail(std::string problem) {
    if (failed_) return;
    failed_ = true;
    problem_ = std::move(problem);
}

void Lexer::request_heredoc(std::size_t id, std::string delimiter, bool strip_tabs, bool literal) {
    pending_.push_back({id, std::move(delimiter), strip_tabs, literal});
}

Token Lexer::next() {
    for (;;) {
        if (failed_) return {};
        while (pos_ < in_.size()) {
            if (is_blank(in_[pos_])) {
                ++pos_;
            } else if (in_[pos_] == '\\' && pos_ + 1 < in_.size() && in_[pos_ + 1] == '\n') {
                pos_ += 2;  // line continuation
            } else {
                break;
            }
        }
        if (pos_ >= in_.size()) {
            // A here-doc whose body never started still has to be seen as such.
            if (!pending_.empty()) read_heredocs();
            return {};
        }
        const char c = in_[pos_];
        if (c == '#') {
            while (pos_ < in_.size() && in_[pos_] != '\n')
                ++pos_;
            continue;
        }
        if (c == '\n') {
            ++pos_;
            if (!pending_.empty()) read_heredocs();
            return {TokenKind::newline, "\n", {}};
        }
        const char n = pos_ + 1 < in_.size() ? in_[pos_ + 1] : '\0';
        const char n2 = pos_ + 2 < in_.size() ? in_[pos_ + 2] : '\0';
        auto op = [&](std::size_t len) {
            Token t{TokenKind::op, std::string(in_.substr(pos_, len)), {}};
            pos_ += len;
            return t;
        };
        switch (c) {
            case ';':
                if (n == ';' && n2 == '&') return op(3);
                if (n == ';' || n == '&') return op(2);
                return op(1);
            case '&':
                if (n == '&') return op(2);
                if (n == '>') {
                    pos_ += 1;
                    return read_redirect("&");
                }
                return op(1);
            case '|':
                if (n == '|' || n == '&') return op(2);
                return op(1);
            case '(':
            case ')':
                return op(1);
            case '<':
            case '>':
                if (n == '(') return read_word();  // process substitution
                return read_redirect("");
            default:
                break;
        }
        if (is_digit(c)) {
            std::size_t end = pos_;
            while (end < in_.size() && is_digit(in_[end]))
                ++end;
            if (end < in_.size() && (in_[end] == '<' || in_[end] == '>') &&
                !(end + 1 < in_.size() && in_[end + 1] == '(')) {
                std::string fd(in_.substr(pos_, end - pos_));
                pos_ = end;
                return read_redirect(std::move(fd));
            }
        }
        return read_word();
    }
}

Token Lexer::read_redirect(std::string fd) {
    static constexpr std::string_view kOps[] = {"<<<", "<<-", "<<", "<>", "<&",
                                                "<",   ">>",  ">|", ">&", ">"};
    for (std::string_view o : kOps) {
        if (in_.substr(pos_, o.size()) == o) {
            pos_ += o.size();
            return {TokenKind::redirect, fd + std::string(o), {}};
        }
    }
    // Unreachable for '<' and '>'; kept so that a caller bug cannot loop forever.
    ++pos_;
    fail("unexpected redirection");
    return {};
}

Token Lexer::read_word() {
    Token t{TokenKind::word, {}, {}};
    Word& w = t.word;
    bool name_so_far = true;  // every character so far belongs to an unquoted NAME
    const std::size_t start = pos_;
    while (pos_ < in_.size() && !failed_) {
        const char c = in_[pos_];
        if ((c == '<' || c == '>') && pos_ + 1 < in_.size() && in_[pos_ + 1] == '(' &&
            pos_ == start) {
            pos_ += 2;
            sink_.nested_list(*this);
            w.text += c == '<' ? "<(...)" : ">(...)";
            w.dynamic = true;
            name_so_far = false;
            continue;
        }
        if (is_meta(c)) break;
        if (c == '=' && name_so_far && !w.text.empty() && w.assign_eq == std::string::npos) {
            w.assign_eq = w.text.size();
            w.text += c;
            ++pos_;
            name_so_far = false;
            continue;
        }
        if (!is_name_char(c) || (w.text.empty() && is_digit(c))) name_so_far = false;
        switch (c) {
            case '\\':
                if (pos_ + 1 >= in_.size()) {
                    w.text += '\\';
                    ++pos_;
                } else if (in_[pos_ + 1] == '\n') {
                    pos_ += 2;
                } else {
                    w.text += in_[pos_ + 1];
                    w.quoted = true;
                    pos_ += 2;
                    name_so_far = false;
                }
                break;
            case '\'':
                read_single_quoted(w);
                name_so_far = false;
                break;
            case '"':
                read_double_quoted(w);
                name_so_far = false;
                break;
            case '$':
                if (pos_ + 1 < in_.size() && in_[pos_ + 1] == '\'') {
                    read_ansi_c(w);
                } else if (pos_ + 1 < in_.size() && in_[pos_ + 1] == '"') {
                    ++pos_;  // $"..." is a translated double-quoted string
                    read_double_quoted(w);
                } else {
                    read_dollar(w);
                }
                name_so_far = false;
                break;
            case '`':
                read_backtick(w);
                name_so_far = false;
                break;
            default:
                w.text += c;
                ++pos_;
        }
    }
    if (failed_) return {};
    return t;
}

void Lexer::read_single_quoted(Word& w) {
    const std::size_t close = in_.find('\'', pos_ + 1);
    if (close == std::string_view::npos) {
        fail("unterminated single quote");
        pos_ = in_.size();
        return;
    }
    w.text.append(in_.substr(pos_ + 1, close - pos_ - 1));
    w.quoted = true;
    pos_ = close + 1;
}

void Lexer::read_double_quoted(Word& w) {
    ++pos_;
    w.quoted = true;
    while (pos_ < in_.size() && !failed_) {
        const char c = in_[pos_];
        if (c == '"') {
            ++pos_;
            return;
        }
        if (c == '\\' && pos_ + 1 < in_.size()) {
            const char n = in_[pos_ + 1];
            if (n == '\n') {
                pos_ += 2;
            } else if (n == '$' || n == '`' || n == '"' || n == '\\') {
                w.text += n;
                pos_ += 2;
            } else {
                w.text += c;
                ++pos_;
            }
        } else if (c == '$') {
            read_dollar(w);
        } else if (c == '`') {
            read_backtick(w);
        } else {
            w.text += c;
            ++pos_;
        }
    }
    fail("unterminated double quote");
}

void Lexer::read_ansi_c(Word& w) {
    pos_ += 2;
    w.quoted = true;
    while (pos_ < in_.size()) {
        const char c = in_[pos_++];
        if (c == '\'') return;
        if (c != '\\' || pos_ >= in_.size()) {
            w.text += c;
            continue;
        }
        const char e = in_[pos_++];
        switch (e) {
            case 'a':
                w.text += '\a';
                break;
            case 'b':
                w.text += '\b';
                break;
            case 'e':
            case 'E':
                w.text += '\x1b';
                break;
            case 'f':
                w.text += '\f';
                break;
            case 'n':
                w.text += '\n';
                break;
            case 'r':
                w.text += '\r';
                break;
            case 't':
                w.text += '\t';
                break;
            case 'v':
                w.text += '\v';
                break;
            case 'c':
                if (pos_ < in_.size()) w.text += static_cast<char>(in_[pos_++] & 0x1F);
                break;
            case 'x':
            case 'u':
            case 'U': {
                const int max = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
                std::uint32_t v = 0;
                int n = 0;
                while (n < max && pos_ < in_.size() && hex_value(in_[pos_]) >= 0) {
                    v = v * 16 + static_cast<std::uint32_t>(hex_value(in_[pos_++]));
                    ++n;
                }
                if (n == 0) {
                    w.text += '\\';
                    w.text += e;
                } else if (e == 'x') {
                    w.escaped = true;
                    w.text += static_cast<char>(v);
                } else {
                    w.escaped = true;
                    append_utf8(w.text, v);
                }
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    int v = e - '0';
                    for (int n = 1;
                         n < 3 && pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '7'; ++n)
                        v = v * 8 + (in_[pos_++] - '0');
                    w.text += static_cast<char>(v & 0xFF);
                    w.escaped = true;
                } else if (e == '\\' || e == '\'' || e == '"' || e == '?') {
                    w.text += e;
                } else {
                    w.text += '\\';
                    w.text += e;
                }
        }
    }
    fail("unterminated $'...' string");
}

void Lexer::read_dollar(Word& w) {
    const char n = pos_ + 1 < in_.size() ? in_[pos_ + 1] : '\0';
    const char n2 = pos_ + 2 < in_.size() ? in_[pos_ + 2] : '\0';
    if (n == '(' && n2 == '(') {
        pos_ += 3;
        std::string ignored;
        read_arithmetic(ignored);
        w.text += "$((...))";
        w.dynamic = true;
    } else if (n == '(') {
        pos_ += 2;
        sink_.nested_list(*this);
        w.text += "$(...)";
        w.dynamic = true;
    } else if (n == '{') {
        read_braced(w);
    } else if (is_name_start(n)) {
        const std::size_t start = pos_;
        pos_ += 1;
        while (pos_ < in_.size() && is_name_char(in_[pos_]))
            ++pos_;
        w.text.append(in_.substr(start, pos_ - start));
        w.dynamic = true;
    } else if (is_digit(n) || n == '@' || n == '*' || n == '#' || n == '?' || n == '$' ||
               n == '!' || n == '-') {
        w.text.append(in_.substr(pos_, 2));
        pos_ += 2;
        w.dynamic = true;
    } else {
        w.text += '$';
        ++pos_;
    }
}

void Lexer::read_braced(Word& w) {
    // ${...}: kept as written; nested substitutions inside are still parsed.
    const std::size_t start = pos_;
    pos_ += 2;
    int depth = 1;
    Word inner;  // collects nothing useful; quotes and substitutions are consumed through it
    while (pos_ < in_.size() && !failed_) {
        const char c = in_[pos_];
        if (c == '}') {
            if (--depth == 0) {
                ++pos_;
                w.text.append(in_.substr(start, pos_ - start));
                w.dynamic = true;
                return;
            }
            ++pos_;
        } else if (c == '{') {
            ++depth;
            ++pos_;
        } else if (c == '\\') {
            pos_ += 2;
        } else if (c == '\'') {
            read_single_quoted(inner);
        } else if (c == '"') {
            read_double_quoted(inner);
        } else if (c == '$') {
            read_dollar(inner);
        } else if (c == '`') {
            read_backtick(inner);
        } else {
            ++pos_;
        }
    }
    fail("unterminated ${...}");
}

void Lexer::read_arithmetic(std::string& out) {
    // After "$((" or "((": up to the matching "))"; substitutions inside are parsed.
    int depth = 2;
    const std::size_t start = pos_;
    Word inner;
    while (pos_ < in_.size() && !failed_) {
        const char c = in_[pos_];
        if (c == '(') {
            ++depth;
            ++pos_;
        } else if (c == ')') {
            ++pos_;
            if (--depth == 0) {
                out.assign(in_.substr(start, pos_ - start));
                return;
            }
        } else if (c == '$') {
            read_dollar(inner);
        } else if (c == '`') {
            read_backtick(inner);
        } else if (c == '\\') {
            pos_ += 2;
        } else {
            ++pos_;
        }
    }
    fail("unterminated arithmetic expression");
}

void Lexer::read_arithmetic_command() {
    ++pos_;  // the second "("
    std::string ignored;
    read_arithmetic(ignored);
}

void Lexer::read_backtick(Word& w) {
    ++pos_;
    std::string body;
    while (pos_ < in_.size()) {
        const char c = in_[pos_];
        if (c == '`') {
            ++pos_;
            sink_.nested_script(body);
            w.text += "$(...)";
            w.dynamic = true;
            return;
        }
        if (c == '\\' && pos_ + 1 < in_.size()) {
            const char n = in_[pos_ + 1];
            if (n == '`' || n == '$' || n == '\\') {
                body += n;
            } else {
                body += c;
                body += n;
            }
            pos_ += 2;
            continue;
        }
        body += c;
        ++pos_;
    }
    fail("unterminated backtick substitution");
}

void Lexer::read_heredocs() {
    auto pending = std::move(pending_);
    pending_.clear();
    for (const auto& h : pending) {
        std::string body;
        bool closed = false;
        while (pos_ < in_.size()) {
            std::size_t eol = in_.find('\n', pos_);
            if (eol == std::string_view::npos) eol = in_.size();
            std::string_view line = in_.substr(pos_, eol - pos_);
            pos_ = eol < in_.size() ? eol + 1 : eol;
            if (h.strip_tabs) {
                while (!line.empty() && line.front() == '\t')
                    line.remove_prefix(1);
            }
            if (line == h.delimiter) {
                closed = true;
                break;
            }
            body.append(line);
            body += '\n';
        }
        (void)closed;  // like sh, an unclosed here-doc ends at the end of input
        sink_.heredoc_body(h.id, body, h.literal);
        if (failed_) return;
    }
}

void Lexer::scan_expansions() {
    Word inner;
    while (pos_ < in_.size() && !failed_) {
        const char c = in_[pos_];
        if (c == '\\') {
            pos_ += 2;
        } else if (c == '$') {
            read_dollar(inner);
        } else if (c == '`') {
            read_backtick(inner);
        } else {
            ++pos_;
        }
    }
}

}  // namespace airlock::guard::detail
