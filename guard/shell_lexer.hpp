// Shell tokenizer: turns POSIX shell text into words, operators and redirections.
// Substitutions ($(...), `...`, <(...)) are handed to a sink as they are met, so the parser
// can parse them in the same pass; the lexer itself never recurses without the sink.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::guard::detail {

struct Word {
    std::string text;      // after quote removal; expansions kept as written ($HOME, ${X}, $(...))
    bool dynamic = false;  // holds an expansion whose value is unknown statically
    bool quoted = false;   // some part was quoted or escaped
    bool escaped = false;  // $'...' spelled a character as \x.., \u...., \U........ or \NNN
    std::size_t assign_eq = std::string::npos;  // '=' of NAME=value, when the word is one
};

enum class TokenKind { word, op, redirect, newline, end };

struct Token {
    TokenKind kind = TokenKind::end;
    // op: ; & && || | |& ( ) ;; ;& ;;&   redirect: operator with its fd ("2>", ">>", "<<-")
    std::string op;
    Word word;
};

class Lexer;

// Receives what the lexer cannot handle on its own.
class SubstitutionSink {
  public:
    virtual ~SubstitutionSink() = default;
    // At "$(" or "<(" / ">(": consumes `lexer` up to and including the matching ")".
    virtual void nested_list(Lexer& lexer) = 0;
    // The unescaped body of a backtick substitution.
    virtual void nested_script(std::string_view script) = 0;
    // A here-document body, read after the newline that follows its redirection.
    virtual void heredoc_body(std::size_t id, const std::string& body, bool literal) = 0;
};

class Lexer {
  public:
    Lexer(std::string_view input, SubstitutionSink& sink) : in_(input), sink_(sink) {}

    Token next();
    // The body of a `<<` redirection follows the next newline.
    void request_heredoc(std::size_t id, std::string delimiter, bool strip_tabs, bool literal);
    // After "(" at command position: true when it is "((", an arithmetic command.
    bool at_char(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
    // Reads an arithmetic command after its first "(" up to the closing "))".
    void read_arithmetic_command();
    // Finds the substitutions in text treated like the inside of double quotes.
    void scan_expansions();

    void fail(std::string problem);
    bool failed() const { return failed_; }
    const std::string& problem() const { return problem_; }

  private:
    struct PendingHeredoc {
        std::size_t id;
        std::string delimiter;
        bool strip_tabs;
        bool literal;
    };

    Token read_word();
    Token read_redirect(std::string fd);
    void read_single_quoted(Word& w);
    void read_double_quoted(Word& w);
    void read_ansi_c(Word& w);
    void read_dollar(Word& w);
    void read_backtick(Word& w);
    void read_arithmetic(std::string& out);
    void read_braced(Word& w);
    void read_heredocs();

    std::string_view in_;
    std::size_t pos_ = 0;
    SubstitutionSink& sink_;
    std::vector<PendingHeredoc> pending_;
    bool failed_ = false;
    std::string problem_;
};

}  // namespace airlock::guard::detail
