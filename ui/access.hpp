// Who may talk to `airlock ui`: the holder of the URL's token, through 127.0.0.1 or localhost on
// the server's own port. Pure functions of the request, so every rule is testable without a socket.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/result.hpp"

namespace airlock::ui {

inline constexpr std::string_view kCookieName = "airlock_ui";

// Every response carries these: nothing but the server's own script, style and data, never in
// a frame, no sniffing, no referrer.
inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
std::vector<std::pair<std::string, std::string>> security_headers();

// 32 random bytes (OpenSSL's CSPRNG) as 64 hex digits.
Result<std::string> new_token();

// Compares in time independent of where the strings differ.
bool token_equals(std::string_view given, std::string_view token);

// The Host header names this server: 127.0.0.1:PORT or localhost:PORT, nothing else (a name
// that resolves here through someone's DNS is refused: DNS rebinding).
bool host_allowed(std::string_view host, unsigned short port);

// No Origin header, or this server's own origin.
bool origin_allowed(std::string_view origin, unsigned short port);

// The value of cookie `name` in a Cookie header.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);

// A request target split at '?'.
struct Target {
    std::string path;
    std::string query;
};
Target split_target(std::string_view target);

// A query parameter, percent-decoded; nullopt when absent or malformed.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

// The query without parameter `name`.
std::string without_param(std::string_view query, std::string_view name);

struct AccessRequest {
    std::string_view method;
    std::string_view target;
    std::string_view host;
    std::string_view origin;
    std::string_view cookie;
    std::string_view content_type{};
    std::string_view fetch_site{};  // Sec-Fetch-Site, when the browser sends it
};

// The one request that changes anything: an answer to an ask (`--approve web`). It needs the
// cookie, an Origin header naming this server, Sec-Fetch-Site same-origin when sent, and a JSON
// body (a form on another site can send none of these).
inline constexpr std::string_view kAnswerPath = "/api/asks/answer";

enum class Access {
    allowed,      // serve it
    set_cookie,   // the token came in the URL: set the cookie, redirect to `location`
    forbidden,    // 403, nothing else
    not_allowed,  // 405: the server only reads (but for kAnswerPath)
};

struct AccessDecision {
    Access access = Access::forbidden;
    std::string location;  // for set_cookie: the target without its token
};

AccessDecision check_access(const AccessRequest& request, std::string_view token,
                            unsigned short port);

// The Set-Cookie header value that carries the token.
std::string token_cookie(std::string_view token);

}  // namespace airlock::ui
