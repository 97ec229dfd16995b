#include "exec/tool_schema_input.hpp"

#include <algorithm>
#include <string>

namespace airlock::exec {

namespace {

using nlohmann::json;

Error input_error(const ToolCall& call, const std::string& pointer, const std::string& message) {
    return make_error("input", std::string(tool_name(call.tool)) + ": " + pointer + " " + message);
}

// nlohmann's reason without its "last read: '...'" excerpt: the excerpt is the caller's text,
// which may be file content, and messages reach the WAL.
std::string parse_reason(const std::string& what) {
    std::string reason = what;
    if (const auto colon = reason.find(": "); colon != std::string::npos)
        reason = reason.substr(colon + 2);
    if (const auto excerpt = reason.find("; last read:"); excerpt != std::string::npos)
        reason.resize(excerpt);
    return reason;
}

// "at line L, column C (byte B)" of byte offset `at`.
std::string where(std::string_view text, std::size_t at) {
    const std::string_view before = text.substr(0, at);
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const std::size_t line_start = before.rfind('\n');
    const std::size_t column = line_start == std::string_view::npos ? at + 1 : at - line_start;
    return "at line " + std::to_string(line) + ", column " + std::to_string(column) + " (byte " +
           std::to_string(at) + ")";
}

// The offset of the bracket that nests deeper than kMaxJsonDepth, if one does. Checked before
// parsing: copying and printing a parsed value recurse, so depth must be bounded up front.
std::optional<std::size_t> too_deep(std::string_view text) {
    std::size_t depth = 0;
    bool in_string = false, escaped = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > kMaxJsonDepth) return i;
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

// Checks one text parameter: its size, NUL bytes, UTF-8.
Result<void> check_text(const ToolCall& call, const std::string& pointer, std::string_view text,
                        std::size_t max_bytes, const char* limit_name) {
    if (text.size() > max_bytes)
        return input_error(call, pointer,
                           "is " + std::to_string(text.size()) + " bytes, more than the " +
                               std::to_string(max_bytes) + " " + limit_name);
    if (const auto nul = text.find('\0'); nul != std::string_view::npos)
        return input_error(call, pointer, "contains a NUL byte at offset " + std::to_string(nul));
    if (const auto bad = first_invalid_utf8(text))
        return input_error(call, pointer, "is not valid UTF-8 at offset " + std::to_string(*bad));
    return {};
}

}  // namespace

Result<json> parse_json_text(std::string_view text, std::string_view what) {
    if (const auto deep = too_deep(text))
        return make_error("input", std::string(what) + ": " + where(text, *deep) +
                                       ": nesting deeper than " + std::to_string(kMaxJsonDepth) +
                                       " levels");
    try {
        return json::parse(text.begin(), text.end());
    } catch (const json::parse_error& e) {
        // e.byte is the 1-based index of the last character read (size + 1 at the end).
        const std::size_t at = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
        return make_error("input", std::string(what) + ": not valid JSON " + where(text, at) +
                                       ": " + parse_reason(e.what()));
    } catch (const json::out_of_range&) {
        // 406 (a number beyond double); its message quotes the number, which is left out.
        return make_error("input",
                          std::string(what) + ": not valid JSON: a number is out of range");
    } catch (const json::exception&) {
        return make_error("input", std::string(what) + ": not valid JSON");
    }
}

std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned char c = s[i];
        std::size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;  // overlong
            if (c == 0xED) hi = 0x9F;  // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;  // overlong
            if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return i;
        }
        if (i + len > n) return i;
        if (s[i + 1] < lo || s[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
        i += len;
    }
    return std::nullopt;
}

Result<void> check_call_input(const ToolCall& call) {
    constexpr const char* kArgLimit = "bytes a command-line argument may have";
    constexpr const char* kPathLimit = "bytes a path may have";
    switch (call.tool) {
        case Tool::shell_exec: {
            if (call.shell) {
                if (auto r =
                        check_text(call, "/command", *call.shell, kMaxArgumentBytes, kArgLimit);
                    !r)
                    return r;
            } else {
                if (call.argv.size() > kMaxArgvElements)
                    return input_error(call, "/argv",
                                       "has " + std::to_string(call.argv.size()) +
                                           " elements, more than the " +
                                           std::to_string(kMaxArgvElements) + " allowed");
                std::size_t total = 0;
                for (std::size_t i = 0; i < call.argv.size(); ++i) {
                    if (auto r = check_text(call, "/argv/" + std::to_string(i), call.argv[i],
                                            kMaxArgumentBytes, kArgLimit);
                        !r)
                        return r;
                    total += call.argv[i].size() + 1;
                }
                if (total > kMaxArgvBytes)
                    return input_error(call, "/argv",
                                       "is " + std::to_string(total) +
                                           " bytes in all, more than "
                                           "the " +
                                           std::to_string(kMaxArgvBytes) + " allowed");
            }
            if (auto r = check_text(call, "/cwd", call.cwd, kMaxPathBytes, kPathLimit); !r)
                return r;
            return {};
        }
        case Tool::file_write:
            if (auto r = check_text(call, "/path", call.path, kMaxPathBytes, kPathLimit); !r)
                return r;
            // Content is bytes (`airlock write` takes any); only its size is bounded.
            if (call.content.size() > kMaxContentBytes)
                return input_error(call, "/content",
                                   "is " + std::to_string(call.content.size()) +
                                       " bytes, more than the " + std::to_string(kMaxContentBytes) +
                                       " bytes a file_write may carry");
            return {};
        case Tool::file_read:
            return check_text(call, "/path", call.path, kMaxPathBytes, kPathLimit);
    }
    return {};
}

}  // namespace airlock::exec
