// A small recursive-descent JSON parser: strict JSON plus // and /* */ comments, recording
// where every value starts. nlohmann's parser cannot report locations per value, which is
// what configuration errors need.
#include "platform/located_json.hpp"

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdlib>

#include "platform/utf8.hpp"

namespace airlock {

namespace {

constexpr int kMaxDepth = 128;

}  // namespace

std::string escape_pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

namespace {

class Parser {
  public:
    Parser(std::string_view text, std::string_view source,
           std::unordered_map<std::string, SourceLocation>* locations)
        : text_(text), source_(source), locations_(locations) {}

    Result<LocatedJson> run() {
        LocatedJson out;
        out.source = std::string(source_);
        skip_space();
        if (failed_) return fail_result();
        if (at_end()) {
            fail("empty document; expected a JSON value");
            return fail_result();
        }
        out.value = parse_value("", 0);
        if (failed_) return fail_result();
        skip_space();
        if (failed_) return fail_result();
        if (!at_end()) {
            fail("unexpected text after the JSON value");
            return fail_result();
        }
        return out;
    }

  private:
    std::string_view text_;
    std::string_view source_;
    std::size_t pos_ = 0;
    int line_ = 1;
    int column_ = 1;
    bool failed_ = false;
    Error error_;
    std::unordered_map<std::string, SourceLocation>* locations_;  // null: do not record

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    SourceLocation here() const { return {line_, column_}; }

    void advance() {
        if (at_end()) return;
        if (text_[pos_] == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
        ++pos_;
    }

    void fail(const std::string& message) { fail_at(here(), message); }
    void fail_at(SourceLocation at, const std::string& message) {
        if (failed_) return;
        failed_ = true;
        error_ = make_error("config", std::string(source_) + ":" + std::to_string(at.line) + ":" +
                                          std::to_string(at.column) + ": " + message);
    }
    Result<LocatedJson> fail_result() const { return error_; }

    void skip_space() {
        while (!at_end()) {
            const char c = peek();
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
                advance();
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
                while (!at_end() && peek() != '\n')
                    advance();
            } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') {
                const SourceLocation start = here();
                advance();
                advance();
                while (!at_end() &&
                       !(peek() == '*' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/'))
                    advance();
                if (at_end()) return fail_at(start, "unterminated /* comment");
                advance();
                advance();
            } else {
                return;
            }
        }
    }

    nlohmann::json parse_value(const std::string& pointer, int depth) {
        if (depth > kMaxDepth) {
            fail("nesting deeper than " + std::to_string(kMaxDepth) + " levels");
            return nullptr;
        }
        if (locations_) (*locations_)[pointer] = here();
        const char c = peek();
        if (c == '{') return parse_object(pointer, depth);
        if (c == '[') return parse_array(pointer, depth);
        if (c == '"') return parse_string();
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        if (match_word("true")) return true;
        if (match_word("false")) return false;
        if (match_word("null")) return nullptr;
        if (at_end())
            fail("unexpected end of input; expected a value");
        else
            fail(std::string("unexpected character '") + c + "'; expected a value");
        return nullptr;
    }

    bool match_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        for (std::size_t i = 0; i < word.size(); ++i)
            advance();
        const char next = peek();
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z') ||
            (next >= '0' && next <= '9') || next == '_') {
            fail("unexpected character after '" + std::string(word) + "'");
        }
        return true;
    }

    nlohmann::json parse_object(const std::string& pointer, int depth) {
        nlohmann::json obj = nlohmann::json::object();
        advance();  // {
        skip_space();
        if (peek() == '}') {
            advance();
            return obj;
        }
        while (!failed_) {
            skip_space();
            if (peek() != '"') {
                fail(peek() == '}' ? "trailing comma before '}'" : "expected a quoted member name");
                break;
            }
            const SourceLocation key_at = here();
            nlohmann::json key = parse_string();
            if (failed_) break;
            const std::string name = key.get<std::string>();
            if (obj.contains(name)) {
                fail_at(key_at, "duplicate key \"" + name + "\"");
                break;
            }
            skip_space();
            if (peek() != ':') {
                fail("expected ':' after member name");
                break;
            }
            advance();
            skip_space();
            if (failed_) break;
            const std::string child =
                locations_ ? pointer + "/" + escape_pointer_token(name) : std::string();
            const char first = peek();
            nlohmann::json value = parse_value(child, depth + 1);
            // A container is best pointed at by its key (it may span many lines).
            if (locations_ && (first == '{' || first == '[')) (*locations_)[child] = key_at;
            if (failed_) break;
            obj[name] = std::move(value);
            skip_space();
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == '}') {
                advance();
                break;
            }
            fail("expected ',' or '}' in object");
        }
        return obj;
    }

    nlohmann::json parse_array(const std::string& pointer, int depth) {
        nlohmann::json arr = nlohmann::json::array();
        advance();  // [
        skip_space();
        if (peek() == ']') {
            advance();
            return arr;
        }
        while (!failed_) {
            skip_space();
            if (peek() == ']') {
                fail("trailing comma before ']'");
                break;
            }
            nlohmann::json value =
                parse_value(pointer + "/" + std::to_string(arr.size()), depth + 1);
            if (failed_) break;
            arr.push_back(std::move(value));
            skip_space();
            if (peek() == ',') {
                advance();
                continue;
            }
            if (peek() == ']') {
                advance();
                break;
            }
            fail("expected ',' or ']' in array");
        }
        return arr;
    }

    bool read_hex4(std::uint32_t& out) {
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = peek();
            int v = -1;
            if (h >= '0' && h <= '9') v = h - '0';
            if (h >= 'a' && h <= 'f') v = h - 'a' + 10;
            if (h >= 'A' && h <= 'F') v = h - 'A' + 10;
            if (v < 0) {
                fail("bad \\u escape; expected 4 hex digits");
                return false;
            }
            out = out * 16 + static_cast<std::uint32_t>(v);
            advance();
        }
        return true;
    }

    // Copies one UTF-8 encoded character, rejecting malformed sequences so that every
    // string in the result can be dumped again.
    bool copy_utf8_char(std::string& out) {
        const auto lead = static_cast<unsigned char>(peek());
        int extra = 0;
        std::uint32_t cp = 0;
        if (lead < 0x80) {
            extra = 0;
            cp = lead;
        } else if ((lead & 0xE0) == 0xC0) {
            extra = 1;
            cp = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            extra = 2;
            cp = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            extra = 3;
            cp = lead & 0x07;
        } else {
            fail("invalid UTF-8 in string");
            return false;
        }
        if (pos_ + static_cast<std::size_t>(extra) >= text_.size()) {
            fail("invalid UTF-8 in string");
            return false;
        }
        for (int i = 1; i <= extra; ++i) {
            const auto cont = static_cast<unsigned char>(text_[pos_ + static_cast<std::size_t>(i)]);
            if ((cont & 0xC0) != 0x80) {
                fail("invalid UTF-8 in string");
                return false;
            }
            cp = (cp << 6) | (cont & 0x3F);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            fail("invalid UTF-8 in string");
            return false;
        }
        for (int i = 0; i <= extra; ++i) {
            out += text_[pos_];
            advance();
        }
        return true;
    }

    nlohmann::json parse_string() {
        const SourceLocation start = here();
        advance();  // opening quote
        std::string out;
        while (!failed_) {
            if (at_end()) {
                fail_at(start, "unterminated string");
                break;
            }
            const char c = peek();
            if (c == '"') {
                advance();
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("control character in string; escape it");
                break;
            }
            if (c != '\\') {
                copy_utf8_char(out);
                continue;
            }
            advance();
            const char e = peek();
            switch (e) {
                case '"':
                    out += '"';
                    break;
                case '\\':
                    out += '\\';
                    break;
                case '/':
                    out += '/';
                    break;
                case 'b':
                    out += '\b';
                    break;
                case 'f':
                    out += '\f';
                    break;
                case 'n':
                    out += '\n';
                    break;
                case 'r':
                    out += '\r';
                    break;
                case 't':
                    out += '\t';
                    break;
                case 'u': {
                    advance();
                    std::uint32_t cp = 0;
                    if (!read_hex4(cp)) return out;
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        std::uint32_t low = 0;
                        if (peek() != '\\' || pos_ + 1 >= text_.size() || text_[pos_ + 1] != 'u') {
                            fail("lone surrogate in \\u escape");
                            return out;
                        }
                        advance();
                        advance();
                        if (!read_hex4(low)) return out;
                        if (low < 0xDC00 || low > 0xDFFF) {
                            fail("lone surrogate in \\u escape");
                            return out;
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        fail("lone surrogate in \\u escape");
                        return out;
                    }
                    append_utf8(out, cp);
                    continue;
                }
                default:
                    fail("bad escape sequence in string");
                    return out;
            }
            advance();
        }
        return out;
    }

    nlohmann::json parse_number() {
        const std::size_t begin = pos_;
        bool integral = true;
        if (peek() == '-') advance();
        if (peek() == '0') {
            advance();
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9')
                advance();
        } else {
            fail("bad number");
            return nullptr;
        }
        if (peek() == '.') {
            integral = false;
            advance();
            if (!(peek() >= '0' && peek() <= '9')) {
                fail("bad number: digits expected after '.'");
                return nullptr;
            }
            while (peek() >= '0' && peek() <= '9')
                advance();
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            advance();
            if (peek() == '+' || peek() == '-') advance();
            if (!(peek() >= '0' && peek() <= '9')) {
                fail("bad number: digits expected in exponent");
                return nullptr;
            }
            while (peek() >= '0' && peek() <= '9')
                advance();
        }
        const std::string_view token = text_.substr(begin, pos_ - begin);
        if (integral) {
            if (token[0] == '-') {
                std::int64_t v = 0;
                auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
                if (ec == std::errc() && p == token.data() + token.size()) return v;
            } else {
                std::uint64_t v = 0;
                auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
                if (ec == std::errc() && p == token.data() + token.size()) return v;
            }
            fail("integer out of range");
            return nullptr;
        }
        const std::string copy(token);
        errno = 0;
        char* end = nullptr;
        const double d = std::strtod(copy.c_str(), &end);
        if (errno == ERANGE) {
            fail("number out of range");
            return nullptr;
        }
        return d;
    }
};

}  // namespace

const std::unordered_map<std::string, SourceLocation>& LocatedJson::locations() const {
    if (!located_) {
        located_ = true;
        (void)Parser(text, source, &locations_).run();
    }
    return locations_;
}

std::string LocatedJson::where(const std::string& pointer) const {
    const auto& locs = locations();
    std::string p = pointer;
    while (true) {
        auto it = locs.find(p);
        if (it != locs.end())
            return source + ":" + std::to_string(it->second.line) + ":" +
                   std::to_string(it->second.column);
        if (p.empty()) break;
        const auto slash = p.rfind('/');
        p = slash == std::string::npos ? std::string() : p.substr(0, slash);
    }
    return source + ":1:1";
}

Result<LocatedJson> parse_located_json(std::string_view text, std::string_view source_name) {
    auto parsed = Parser(text, source_name, nullptr).run();
    if (parsed) parsed->text = std::string(text);
    return parsed;
}

}  // namespace airlock
