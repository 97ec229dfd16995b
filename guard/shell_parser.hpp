// Shell parser: a recursive-descent parser over the lexer's tokens that collects every simple
// command (including those inside groups, functions, substitutions and sh -c strings) as a
// normalised Segment. Bounded by kMaxDepth, kMaxNesting and kMaxSegments.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "guard/normalise.hpp"
#include "guard/shell_lexer.hpp"
#include "guard/shell_parse.hpp"

namespace airlock::guard::detail {

class ShellParser final : public SubstitutionSink, public NormaliseSink {
  public:
    explicit ShellParser(Parse& out) : out_(out) {}

    void parse_script(std::string_view script);
    void parse_words(const std::vector<Word>& words);

    // SubstitutionSink
    void nested_list(Lexer& lexer) override;
    void nested_script(std::string_view script) override;
    void heredoc_body(std::size_t id, const std::string& body, bool literal) override;
    // NormaliseSink
    int emit(Segment segment) override;
    void nested_script(std::string_view script, const std::vector<std::string>& wrappers) override;
    void problem(std::string what) override;

  private:
    class Stream {
      public:
        explicit Stream(Lexer& lexer) : lexer_(lexer) {}
        const Token& peek();
        Token take();
        Lexer& lexer() { return lexer_; }
        std::size_t taken() const { return taken_; }

      private:
        Lexer& lexer_;
        std::optional<Token> peeked_;
        std::size_t taken_ = 0;
    };
    enum class Until { end, paren, brace, case_item };
    struct Heredoc {
        int segment = -1;  // the segment whose stdin it is
        bool owner_known = false;
        bool body_read = false;
        std::string body;
    };
    void set_heredoc_owner(std::size_t id, int segment);
    void run_heredoc_script(std::size_t id);
    void run_herestring_scripts(int segment);

    void run_lexer(Lexer& lexer, Until until);
    bool enter(const char* what);
    void leave();
    void parse_list(Stream& s, Until until);
    void parse_and_or(Stream& s);
    void parse_pipeline(Stream& s);
    void parse_command(Stream& s);
    void parse_simple(Stream& s, std::vector<Word> words);
    void parse_case(Stream& s);
    void parse_trailing_redirects(Stream& s);
    bool read_redirect(Stream& s, const Token& op, std::vector<Redirect>& out,
                       std::vector<std::size_t>& heredocs);
    bool is_terminator(const Token& t, Until until) const;
    void skip_newlines(Stream& s);
    int emit_command(const std::vector<Word>& words, Segment base, std::size_t children_from);
    void fatal(std::string what);

    Parse& out_;
    int depth_ = 0;
    int nesting_ = 0;
    int next_pipeline_ = 0;
    int brace_depth_ = 0;
    std::size_t children_mark_ = 0;  // substitutions from here on belong to the next command
    bool fatal_ = false;
    std::string function_;
    std::vector<std::string> wrappers_;  // from enclosing sh -c / eval levels
    std::vector<Heredoc> heredocs_;
};

}  // namespace airlock::guard::detail
