#include "platform/canonical_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace airlock {

bool is_valid_utf8(std::string_view bytes) {
    std::size_t i = 0;
    const std::size_t n = bytes.size();
    while (i < n) {
        const auto b0 = static_cast<unsigned char>(bytes[i]);
        if (b0 < 0x80) {
            ++i;
            continue;
        }
        std::size_t length = 0;
        std::uint32_t min = 0;
        std::uint32_t cp = 0;
        if ((b0 & 0xE0) == 0xC0) {
            length = 2, min = 0x80, cp = b0 & 0x1F;
        } else if ((b0 & 0xF0) == 0xE0) {
            length = 3, min = 0x800, cp = b0 & 0x0F;
        } else if ((b0 & 0xF8) == 0xF0) {
            length = 4, min = 0x10000, cp = b0 & 0x07;
        } else {
            return false;  // continuation byte without a lead, or 0xF8..0xFF
        }
        if (n - i < length) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto b = static_cast<unsigned char>(bytes[i + k]);
            if ((b & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

namespace {

// JSON pointer escaping (RFC 6901) for error messages; keys may be invalid UTF-8 themselves,
// so only printable ASCII is copied and everything else is shown as \xHH.
std::string pointer_token(std::string_view key) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (char c : key) {
        const auto b = static_cast<unsigned char>(c);
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else if (b >= 0x20 && b < 0x7F) {
            out.push_back(c);
        } else {
            out += "\\x";
            out.push_back(kHex[b >> 4]);
            out.push_back(kHex[b & 0xF]);
        }
    }
    return out;
}

// Where a value sits, as a chain to its parent: the JSON pointer is only spelled out when an
// error needs it (building it for every value was most of the writer's cost).
struct Where {
    const Where* parent = nullptr;
    const std::string* key = nullptr;  // object member, or
    std::size_t index = 0;             // array element
};

std::string pointer_of(const Where* where) {
    if (where == nullptr) return "";
    return pointer_of(where->parent) + "/" +
           (where->key ? pointer_token(*where->key) : std::to_string(where->index));
}

Error invalid(const Where* where, const std::string& what) {
    const std::string pointer = pointer_of(where);
    return make_error("canonical_json", "cannot write canonical JSON at \"" +
                                            (pointer.empty() ? "/" : pointer) + "\": " + what);
}

void write_string(std::string_view s, std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (char c : s) {
        const auto b = static_cast<unsigned char>(c);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (b < 0x20) {
                    out += "\\u00";
                    out.push_back(kHex[b >> 4]);
                    out.push_back(kHex[b & 0xF]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

Result<void> write_number_float(double d, const Where* where, std::string& out) {
    if (!std::isfinite(d)) return invalid(where, "NaN and infinity have no JSON form");
    constexpr double kExactIntegers = 9007199254740992.0;  // 2^53
    if (std::trunc(d) == d && std::fabs(d) < kExactIntegers) {
        out += std::to_string(static_cast<std::int64_t>(d));  // -0.0 becomes 0
        return {};
    }
    out += nlohmann::json(d).dump();  // shortest representation that reads back the same double
    return {};
}

Result<void> write_value(const nlohmann::json& v, const Where* where, std::string& out) {
    using T = nlohmann::json::value_t;
    switch (v.type()) {
        case T::null:
            out += "null";
            return {};
        case T::boolean:
            out += v.get<bool>() ? "true" : "false";
            return {};
        case T::number_integer:
            out += std::to_string(v.get<std::int64_t>());
            return {};
        case T::number_unsigned:
            out += std::to_string(v.get<std::uint64_t>());
            return {};
        case T::number_float:
            return write_number_float(v.get<double>(), where, out);
        case T::string: {
            const auto& s = v.get_ref<const std::string&>();
            if (!is_valid_utf8(s)) return invalid(where, "string is not valid UTF-8");
            write_string(s, out);
            return {};
        }
        case T::array: {
            out.push_back('[');
            std::size_t index = 0;
            for (const auto& element : v) {
                if (index > 0) out.push_back(',');
                const Where child{where, nullptr, index};
                auto r = write_value(element, &child, out);
                if (!r) return r;
                ++index;
            }
            out.push_back(']');
            return {};
        }
        case T::object: {
            // Sorted explicitly by unsigned bytes rather than relying on the container's order.
            using Member = std::pair<const std::string*, const nlohmann::json*>;
            std::vector<Member> members;
            members.reserve(v.size());
            for (auto it = v.begin(); it != v.end(); ++it)
                members.emplace_back(&it.key(), &it.value());
            std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) {
                return std::lexicographical_compare(
                    a.first->begin(), a.first->end(), b.first->begin(), b.first->end(),
                    [](char x, char y) {
                        return static_cast<unsigned char>(x) < static_cast<unsigned char>(y);
                    });
            });
            out.push_back('{');
            bool first = true;
            for (const auto& [key, value] : members) {
                const Where child{where, key, 0};
                if (!is_valid_utf8(*key)) return invalid(&child, "object key is not valid UTF-8");
                if (!first) out.push_back(',');
                first = false;
                write_string(*key, out);
                out.push_back(':');
                auto r = write_value(*value, &child, out);
                if (!r) return r;
            }
            out.push_back('}');
            return {};
        }
        case T::binary:
            return invalid(where, "binary values have no JSON form");
        case T::discarded:
            return invalid(where, "discarded value");
    }
    return invalid(where, "unknown value type");
}

}  // namespace

Result<std::string> canonical_json(const nlohmann::json& value) {
    std::string out;
    auto r = write_value(value, nullptr, out);
    if (!r) return r.error();
    return out;
}

}  // namespace airlock
