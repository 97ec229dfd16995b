#include "sbpl_syntax.hpp"

#include <cctype>

namespace airlock::test {

SbplScan scan_sbpl(std::string_view text) {
    SbplScan scan;
    int depth = 0;
    std::size_t form_start = 0;
    std::string last_symbol;  // the symbol right before the current position, if any
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == ';') {  // comment to the end of the line
            while (i < text.size() && text[i] != '\n')
                ++i;
            continue;
        }
        if (c == '"' || (c == '#' && i + 1 < text.size() && text[i + 1] == '"')) {
            i += (c == '#') ? 2 : 1;
            std::string value;
            bool closed = false;
            while (i < text.size()) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    value += text[i + 1];
                    i += 2;
                } else if (text[i] == '"') {
                    closed = true;
                    ++i;
                    break;
                } else {
                    value += text[i++];
                }
            }
            if (!closed) {
                scan.error = "unterminated string literal";
                return scan;
            }
            if (last_symbol == "param") scan.param_refs.push_back(value);
            scan.strings.push_back(std::move(value));
            last_symbol.clear();
            continue;
        }
        if (c == '(') {
            if (depth == 0) form_start = i;
            ++depth;
            ++i;
            last_symbol.clear();
            continue;
        }
        if (c == ')') {
            if (--depth < 0) {
                scan.error = "unbalanced \")\" at offset " + std::to_string(i);
                return scan;
            }
            ++i;
            if (depth == 0) scan.top_level.emplace_back(text.substr(form_start, i - form_start));
            last_symbol.clear();
            continue;
        }
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (depth == 0) {
            scan.error = "text outside any form at offset " + std::to_string(i);
            return scan;
        }
        std::string symbol;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) &&
               text[i] != '(' && text[i] != ')' && text[i] != '"' && text[i] != ';')
            symbol += text[i++];
        last_symbol = std::move(symbol);
    }
    if (depth != 0) scan.error = "unbalanced \"(\": " + std::to_string(depth) + " left open";
    return scan;
}

}  // namespace airlock::test
