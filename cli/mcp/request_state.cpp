#include "cli/mcp/request_state.hpp"

#include <openssl/crypto.h>

#include <cstdlib>
#include <iostream>

#include "platform/random_bytes.hpp"
#include "platform/sha256.hpp"

namespace airlock::mcp {

namespace {

constexpr const char* kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kMaxStateBytes = 4096;  // what airlock mints is a few hundred bytes
constexpr int kFormat = 1;

std::string base64url(std::string_view in) {
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        for (int s : {18, 12, 6, 0})
            out += kAlphabet[(v >> s) & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (i + 2 == in.size()) {
        const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

bool unbase64url(std::string_view in, std::string& out) {
    if (in.size() % 4 == 1) return false;
    unsigned v = 0;
    int bits = 0;
    for (char c : in) {
        int d = -1;
        if (c >= 'A' && c <= 'Z')
            d = c - 'A';
        else if (c >= 'a' && c <= 'z')
            d = c - 'a' + 26;
        else if (c >= '0' && c <= '9')
            d = c - '0' + 52;
        else if (c == '-')
            d = 62;
        else if (c == '_')
            d = 63;
        if (d < 0) return false;
        v = (v << 6) | static_cast<unsigned>(d);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((v >> bits) & 0xff);
        }
    }
    // Canonical only: the bits of the last character that no byte uses must be 0, or two
    // strings would decode to the same bytes (a state altered there would still verify).
    return (v & ((1u << bits) - 1)) == 0;
}

std::string hex(const unsigned char* bytes, std::size_t n) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 15];
    }
    return out;
}

std::string mac(const std::array<unsigned char, 32>& key, std::string_view data) {
    const Sha256Digest md =
        hmac_sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()), data);
    return std::string(reinterpret_cast<const char*>(md.data()), md.size());
}

}  // namespace

std::string_view problem_name(StateProblem problem) {
    switch (problem) {
        case StateProblem::malformed:
            return "malformed";
        case StateProblem::forged:
            return "forged";
        case StateProblem::expired:
            return "expired";
        case StateProblem::other_call:
            return "other_call";
        case StateProblem::replayed:
            return "replayed";
    }
    return "malformed";
}

std::string call_digest(const std::string& tool, const json& arguments) {
    // nlohmann's json keeps object keys sorted, so the dump is canonical for equal values.
    return sha256_hex(json{{"tool", tool}, {"arguments", arguments}}.dump());
}

std::string random_nonce() {
    unsigned char bytes[16];
    if (!random_bytes(bytes, sizeof bytes)) {
        std::cerr << "airlock serve: no randomness for a requestState nonce; stopping\n";
        std::abort();
    }
    return hex(bytes, sizeof bytes);
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

RequestStateSigner::RequestStateSigner() {
    if (!random_bytes(key_.data(), key_.size())) {
        std::cerr << "airlock serve: no randomness for the requestState key; stopping\n";
        std::abort();
    }
}

std::string RequestStateSigner::mint(const StateClaims& c) const {
    const std::string payload = base64url(
        json{{"v", kFormat}, {"d", c.call_digest}, {"n", c.nonce}, {"e", c.expires_ms}}.dump());
    return payload + "." + base64url(mac(key_, payload));
}

RequestStateSigner::Verified RequestStateSigner::verify(std::string_view state) const {
    Verified v;
    const auto dot = state.find('.');
    if (state.size() > kMaxStateBytes || dot == std::string_view::npos) return v;
    const std::string_view payload = state.substr(0, dot);
    std::string presented;
    if (!unbase64url(state.substr(dot + 1), presented)) return v;
    const std::string expected = mac(key_, payload);
    if (presented.size() != expected.size() ||
        CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) != 0) {
        v.problem = StateProblem::forged;
        return v;
    }
    // Authentic from here on: only this process could have written it.
    std::string text;
    if (!unbase64url(payload, text)) return v;
    const json claims = json::parse(text, nullptr, false);
    if (!claims.is_object() || claims.value("v", 0) != kFormat || !claims.contains("d") ||
        !claims["d"].is_string() || !claims.contains("n") || !claims["n"].is_string() ||
        !claims.contains("e") || !claims["e"].is_number_integer())
        return v;
    v.ok = true;
    v.claims = {claims["d"].get<std::string>(), claims["n"].get<std::string>(),
                claims["e"].get<std::int64_t>()};
    return v;
}

}  // namespace airlock::mcp
