#include "platform/redact.hpp"

#include <cctype>
#include <cstddef>
#include <optional>

#include <nlohmann/json.hpp>

namespace airlock {

namespace {

bool is_alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_upper_or_digit(char c) {
    return std::isupper(static_cast<unsigned char>(c)) != 0 ||
           std::isdigit(static_cast<unsigned char>(c)) != 0;
}
bool is_token_char(char c) {
    return is_alnum(c) || c == '_' || c == '-';
}

// A prefix followed by at least `min` characters of a class; `exact` caps the length.
struct TokenShape {
    std::string_view prefix;
    std::string_view kind;
    std::size_t min;
    std::size_t max;  // 0: no cap
    bool (*allowed)(char);
};

constexpr TokenShape kShapes[] = {
    {"AKIA", "aws-access-key-id", 16, 16, is_upper_or_digit},
    {"ASIA", "aws-access-key-id", 16, 16, is_upper_or_digit},
    {"ghp_", "github-token", 36, 0, is_alnum},
    {"gho_", "github-token", 36, 0, is_alnum},
    {"ghu_", "github-token", 36, 0, is_alnum},
    {"ghs_", "github-token", 36, 0, is_alnum},
    {"ghr_", "github-token", 36, 0, is_alnum},
    {"github_pat_", "github-token", 22, 0, is_token_char},
    {"xoxb-", "slack-token", 10, 0, is_token_char},
    {"xoxp-", "slack-token", 10, 0, is_token_char},
    {"xoxa-", "slack-token", 10, 0, is_token_char},
    {"xoxr-", "slack-token", 10, 0, is_token_char},
    {"xoxs-", "slack-token", 10, 0, is_token_char},
    {"sk-", "api-key", 20, 0, is_token_char},
    {"AIza", "google-api-key", 35, 35, is_token_char},
};

constexpr std::string_view kPemBegin = "-----BEGIN ";
constexpr std::string_view kPrivateKeyEnd = "PRIVATE KEY-----";

// At `i`, a PEM private key block: returns its length (to its END line, or to the end of the
// text when it has none), or 0.
std::size_t pem_private_key_at(std::string_view text, std::size_t i) {
    if (text.compare(i, kPemBegin.size(), kPemBegin) != 0) return 0;
    const std::size_t header_end = text.find("-----", i + kPemBegin.size());
    if (header_end == std::string_view::npos) return 0;
    const std::string_view header = text.substr(i, header_end + 5 - i);
    if (header.size() < kPrivateKeyEnd.size() ||
        header.substr(header.size() - kPrivateKeyEnd.size()) != kPrivateKeyEnd)
        return 0;
    const std::size_t end = text.find("-----END ", header_end + 5);
    if (end == std::string_view::npos) return text.size() - i;
    const std::size_t end_close = text.find("-----", end + 9);
    return (end_close == std::string_view::npos ? text.size() : end_close + 5) - i;
}

// Whether a shape above (or a PEM block) can start with this character: most text is skipped
// by this one test (every WAL record passes through here).
bool may_start_secret(char c) {
    return c == 'A' || c == 'g' || c == 'x' || c == 's' || c == '-';
}

// The text with its secrets redacted, or nullopt when it has none (the common case: no copy).
std::optional<std::string> redacted(std::string_view text) {
    std::string out;
    std::size_t copied = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!may_start_secret(text[i])) continue;
        // A token starts at a boundary: never in the middle of a longer word.
        if (i > 0 && is_token_char(text[i - 1]) && text[i] != '-') continue;
        std::string_view kind;
        std::size_t length = 0;
        if (const std::size_t pem = pem_private_key_at(text, i)) {
            kind = "private-key";
            length = pem;
        } else {
            for (const auto& shape : kShapes) {
                if (text.compare(i, shape.prefix.size(), shape.prefix) != 0) continue;
                std::size_t n = 0;
                const std::size_t start = i + shape.prefix.size();
                while (start + n < text.size() && shape.allowed(text[start + n]))
                    ++n;
                if (n < shape.min || (shape.max != 0 && n != shape.max)) continue;
                kind = shape.kind;
                length = shape.prefix.size() + n;
                break;
            }
        }
        if (length == 0) continue;
        out.append(text.substr(copied, i - copied));
        out.append("[REDACTED:").append(kind).append("]");
        i += length - 1;
        copied = i + 1;
    }
    if (copied == 0) return std::nullopt;
    out.append(text.substr(copied));
    return out;
}

}  // namespace

std::string redact_secrets(std::string_view text) {
    auto out = redacted(text);
    return out ? std::move(*out) : std::string(text);
}

void redact_json(nlohmann::json& value) {
    if (value.is_string()) {
        if (auto out = redacted(value.get_ref<const std::string&>())) value = std::move(*out);
    } else if (value.is_structured()) {
        for (auto& item : value)
            redact_json(item);
    }
}

}  // namespace airlock
