#include "approvals/display_text.hpp"

#include <cstdint>
#include <cstdio>

#include "platform/canonical_json.hpp"

namespace airlock::approvals {

namespace {

// Length of the valid UTF-8 sequence at s[i] and its code point; 0 when invalid.
std::size_t decode(std::string_view s, std::size_t i, std::uint32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t length = b0 < 0x80             ? 1
                         : (b0 & 0xE0) == 0xC0 ? 2
                         : (b0 & 0xF0) == 0xE0 ? 3
                         : (b0 & 0xF8) == 0xF0 ? 4
                                               : 0;
    if (length == 0 || s.size() - i < length) return 0;
    if (!is_valid_utf8(s.substr(i, length))) return 0;
    cp = length == 1 ? b0 : length == 2 ? (b0 & 0x1F) : length == 3 ? (b0 & 0x0F) : (b0 & 0x07);
    for (std::size_t k = 1; k < length; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    return length;
}

bool is_bidi_control(std::uint32_t cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E ||
           cp == 0x200F || cp == 0x061C;
}

std::string hex_byte(unsigned char b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", b);
    return buf;
}

}  // namespace

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        std::uint32_t cp = 0;
        const std::size_t length = decode(text, i, cp);
        if (length == 0) {
            out += hex_byte(static_cast<unsigned char>(text[i]));
            ++i;
            continue;
        }
        if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\t') {
            out += "\\t";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp < 0x20 || cp == 0x7F) {
            out += hex_byte(static_cast<unsigned char>(cp));
        } else if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp)) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "\\u{%x}", cp);
            out += buf;
        } else {
            out.append(text.substr(i, length));
        }
        i += length;
    }
    return out;
}

std::string shell_words(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& arg : argv) {
        if (!out.empty()) out.push_back(' ');
        bool plain = !arg.empty();
        for (char c : arg) {
            const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') ||
                              std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
            if (!safe) plain = false;
        }
        if (plain) {
            out += arg;
            continue;
        }
        out.push_back('\'');
        for (char c : arg) {
            if (c == '\'')
                out += "'\\''";
            else
                out.push_back(c);
        }
        out.push_back('\'');
    }
    return out;
}

Preview preview_text(std::string_view text, std::size_t max_lines, std::size_t max_columns) {
    Preview preview;
    if (!is_valid_utf8(text) || text.find('\0') != std::string_view::npos) {
        preview.binary = true;
        return preview;
    }
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        if (preview.lines.size() < max_lines) {
            std::string line = printable(text.substr(start, end - start));
            if (line.size() > max_columns) {
                std::size_t cut = max_columns;
                while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80)
                    --cut;
                line = line.substr(0, cut) + "...";
            }
            preview.lines.push_back(std::move(line));
        } else {
            ++preview.omitted_lines;
        }
        start = end + 1;
    }
    return preview;
}

}  // namespace airlock::approvals
