// Entry points of the shell parse; the work is done by ShellParser (shell_parser.cpp).
#include "guard/shell_parse.hpp"

#include "guard/shell_parser.hpp"

namespace airlock::guard {

Parse parse_shell(std::string_view script) {
    Parse parse;
    detail::ShellParser parser(parse);
    parser.parse_script(script);
    return parse;
}

Parse parse_argv(const std::vector<std::string>& argv) {
    Parse parse;
    std::size_t bytes = 0;
    for (const auto& a : argv)
        bytes += a.size() + 1;
    if (bytes > kMaxScriptBytes) {
        parse.complete = false;
        parse.problems.push_back("command longer than " + std::to_string(kMaxScriptBytes) +
                                 " bytes");
        return parse;
    }
    std::vector<detail::Word> words;
    words.reserve(argv.size());
    for (const auto& a : argv) {
        detail::Word w;
        w.text = a;  // argv words are literal: no quotes, no expansions
        words.push_back(std::move(w));
    }
    detail::ShellParser parser(parse);
    parser.parse_words(words);
    return parse;
}

}  // namespace airlock::guard
