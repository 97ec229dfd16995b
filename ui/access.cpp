#include "ui/access.hpp"

#include <openssl/crypto.h>

#include <array>
#include <cstdio>

#include "platform/random_bytes.hpp"

namespace airlock::ui {

std::vector<std::pair<std::string, std::string>> security_headers() {
    return {{"Content-Security-Policy", std::string(kContentSecurityPolicy)},
            {"X-Content-Type-Options", "nosniff"},
            {"Referrer-Policy", "no-referrer"},
            {"X-Frame-Options", "DENY"},
            {"Cross-Origin-Opener-Policy", "same-origin"},
            {"Cross-Origin-Resource-Policy", "same-origin"},
            {"Cache-Control", "no-store"}};
}

Result<std::string> new_token() {
    std::array<unsigned char, 32> bytes{};
    if (!random_bytes(bytes.data(), bytes.size()))
        return sys_error("ui", "the kernel's random number generator failed", "getrandom");
    std::string hex;
    for (unsigned char b : bytes) {
        char buf[3];
        std::snprintf(buf, sizeof buf, "%02x", b);
        hex += buf;
    }
    return hex;
}

bool token_equals(std::string_view given, std::string_view token) {
    if (token.empty() || given.size() != token.size()) return false;
    return CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

bool host_allowed(std::string_view host, unsigned short port) {
    const std::string p = ":" + std::to_string(port);
    return host == "127.0.0.1" + p || host == "localhost" + p;
}

bool origin_allowed(std::string_view origin, unsigned short port) {
    if (origin.empty()) return true;
    const std::string p = ":" + std::to_string(port);
    return origin == "http://127.0.0.1" + p || origin == "http://localhost" + p;
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const std::size_t semi = header.find(';');
        std::string_view pair = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!pair.empty() && pair.front() == ' ')
            pair.remove_prefix(1);
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name)
            return std::string(pair.substr(eq + 1));
    }
    return std::nullopt;
}

Target split_target(std::string_view target) {
    const std::size_t q = target.find('?');
    if (q == std::string_view::npos) return {std::string(target), {}};
    return {std::string(target.substr(0, q)), std::string(target.substr(q + 1))};
}

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

template <typename F>
void each_param(std::string_view query, F&& f) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        f(pair.substr(0, eq),
          eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), pair);
    }
}

}  // namespace

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
    std::optional<std::string> found;
    bool bad = false;
    each_param(query, [&](std::string_view key, std::string_view value, std::string_view) {
        if (key != name || found) return;
        found = percent_decode(value);
        if (!found) bad = true;
    });
    if (bad) return std::nullopt;
    return found;
}

std::string without_param(std::string_view query, std::string_view name) {
    std::string out;
    each_param(query, [&](std::string_view key, std::string_view, std::string_view pair) {
        if (key == name) return;
        if (!out.empty()) out += '&';
        out += pair;
    });
    return out;
}

AccessDecision check_access(const AccessRequest& r, std::string_view token, unsigned short port) {
    // Checked before the token: a page on another origin learns nothing, not even a 405.
    if (!host_allowed(r.host, port) || !origin_allowed(r.origin, port)) return {};
    const Target target = split_target(r.target);
    if (auto given = query_param(target.query, "token")) {
        if (!token_equals(*given, token)) return {};
        if (r.method != "GET") return {};
        const std::string rest = without_param(target.query, "token");
        return {Access::set_cookie, target.path + (rest.empty() ? "" : "?" + rest)};
    }
    const auto cookie = cookie_value(r.cookie, kCookieName);
    if (!cookie || !token_equals(*cookie, token)) return {};
    if (r.method == "GET" || r.method == "HEAD") return {Access::allowed, {}};
    if (r.method != "POST" || target.path != kAnswerPath) return {Access::not_allowed, {}};
    // Cross-site request forgery: a POST must say it comes from this very page.
    if (r.origin.empty()) return {};
    if (!r.fetch_site.empty() && r.fetch_site != "same-origin") return {};
    const std::string_view type = r.content_type.substr(0, r.content_type.find(';'));
    if (type != "application/json") return {};
    return {Access::allowed, {}};
}

std::string token_cookie(std::string_view token) {
    return std::string(kCookieName) + "=" + std::string(token) +
           "; Path=/; HttpOnly; SameSite=Strict";
}

}  // namespace airlock::ui
