// Canonical JSON (the text approval keys and digests hash) on arbitrary JSON and bytes.
// Invariants: any parsed JSON value has a canonical form; that form parses back to an equal
// value, is its own canonical form (idempotent), has every object's keys in ascending byte
// order and no whitespace; a string is accepted exactly when it is valid UTF-8, and
// is_valid_utf8 agrees with a plain decoder written from RFC 3629's table.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_target.hpp"
#include "platform/canonical_json.hpp"

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

// RFC 3629 section 4: the well-formed byte sequences, range by range.
bool reference_utf8(std::string_view s) {
    auto in = [](unsigned char c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c0 = static_cast<unsigned char>(s[i]);
        auto at = [&](std::size_t k) {
            return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0;
        };
        std::size_t len = 0;
        if (c0 <= 0x7F)
            len = 1;
        else if (in(c0, 0xC2, 0xDF))
            len = in(at(1), 0x80, 0xBF) ? 2 : 0;
        else if (c0 == 0xE0)
            len = in(at(1), 0xA0, 0xBF) && in(at(2), 0x80, 0xBF) ? 3 : 0;
        else if (in(c0, 0xE1, 0xEC) || in(c0, 0xEE, 0xEF))
            len = in(at(1), 0x80, 0xBF) && in(at(2), 0x80, 0xBF) ? 3 : 0;
        else if (c0 == 0xED)
            len = in(at(1), 0x80, 0x9F) && in(at(2), 0x80, 0xBF) ? 3 : 0;
        else if (c0 == 0xF0)
            len = in(at(1), 0x90, 0xBF) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
        else if (in(c0, 0xF1, 0xF3))
            len = in(at(1), 0x80, 0xBF) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
        else if (c0 == 0xF4)
            len = in(at(1), 0x80, 0x8F) && in(at(2), 0x80, 0xBF) && in(at(3), 0x80, 0xBF) ? 4 : 0;
        if (len == 0) return false;
        i += len;
    }
    return true;
}

bool keys_sorted(const ojson& v) {
    if (v.is_array()) {
        for (const auto& e : v)
            if (!keys_sorted(e)) return false;
    }
    if (!v.is_object()) return true;
    const std::string* previous = nullptr;
    for (auto it = v.begin(); it != v.end(); ++it) {
        // std::string compares bytes as unsigned char, which is the canonical order.
        if (previous && !(*previous < it.key())) return false;
        if (!keys_sorted(it.value())) return false;
        previous = &it.key();
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = airlock::fuzz::as_text(data, size);

    const bool valid = airlock::is_valid_utf8(text);
    FUZZ_CHECK(valid == reference_utf8(text));
    auto as_string = airlock::canonical_json(json(std::string(text)));
    FUZZ_CHECK(as_string.ok() == valid);
    if (!as_string) FUZZ_CHECK(as_string.error().stage == "canonical_json");
    auto as_key = airlock::canonical_json(json{{std::string(text), 1}});
    FUZZ_CHECK(as_key.ok() == valid);

    const json value = json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded()) return 0;
    auto canonical = airlock::canonical_json(value);
    FUZZ_CHECK(canonical.ok());  // parsed JSON is always valid UTF-8 with finite numbers
    const std::string& c = *canonical;
    const ojson ordered = ojson::parse(c, nullptr, false);
    FUZZ_CHECK(!ordered.is_discarded());
    FUZZ_CHECK(keys_sorted(ordered));
    const json back = json::parse(c);
    FUZZ_CHECK(back == value);
    auto twice = airlock::canonical_json(back);
    FUZZ_CHECK(twice.ok() && *twice == c);
    FUZZ_CHECK(c.find_first_of(" \n\r\t") == std::string::npos ||
               ordered.dump().find_first_of(" \n\r\t") != std::string::npos);
    return 0;
}
