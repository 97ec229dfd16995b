// Making agent-controlled text safe and short enough to show a person at a terminal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace airlock::approvals {

// Text with nothing a terminal would interpret: control characters (C0, DEL, C1), bidi
// overrides and invalid UTF-8 are shown as escapes (\n, \t, \x1b, \u{202e}), so a command
// cannot redraw or hide part of the prompt that asks about it.
std::string printable(std::string_view text);

// argv as a person would type it: words that need quoting in single quotes. Not escaped for
// the terminal yet (pass the result through printable()).
std::string shell_words(const std::vector<std::string>& argv);

struct Preview {
    std::vector<std::string> lines;  // printable, each at most max_columns bytes (plus "...")
    std::size_t omitted_lines = 0;   // lines not shown
    bool binary = false;             // not UTF-8 text, or contains NUL: no lines shown
};

// The first max_lines lines of text (a file's new content, a shell script).
Preview preview_text(std::string_view text, std::size_t max_lines, std::size_t max_columns);

}  // namespace airlock::approvals
