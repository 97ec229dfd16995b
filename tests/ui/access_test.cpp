// Who gets an answer from `airlock ui`: the token, the Host header, the Origin, the method.
#include <doctest/doctest.h>

#include <set>

#include "ui/access.hpp"

using namespace airlock::ui;

namespace {

const std::string kToken(64, 'a');
constexpr unsigned short kPort = 8123;

AccessDecision ask(std::string_view target, std::string_view cookie = "",
                   std::string_view host = "127.0.0.1:8123", std::string_view method = "GET",
                   std::string_view origin = "") {
    return check_access({method, target, host, origin, cookie}, kToken, kPort);
}

const std::string kCookie = "airlock_ui=" + kToken;

}  // namespace

TEST_CASE("access: the token is 64 hex digits of fresh randomness") {
    auto a = new_token(), b = new_token();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    CHECK(a->size() == 64);
    CHECK(a->find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(*a != *b);
}

TEST_CASE("access: the cookie opens the page (positive control)") {
    CHECK(ask("/", kCookie).access == Access::allowed);
    CHECK(ask("/api/runs", "other=1; " + kCookie + "; x=y").access == Access::allowed);
    CHECK(ask("/", kCookie, "localhost:8123").access == Access::allowed);
}

TEST_CASE("access: without the token or with a wrong one, 403") {
    CHECK(ask("/").access == Access::forbidden);
    CHECK(ask("/api/runs").access == Access::forbidden);
    CHECK(ask("/", "airlock_ui=" + std::string(64, 'b')).access == Access::forbidden);
    CHECK(ask("/", "airlock_ui=" + kToken.substr(1)).access == Access::forbidden);
    CHECK(ask("/", "airlock_ui=").access == Access::forbidden);
    CHECK(ask("/", "xairlock_ui=" + kToken).access == Access::forbidden);
    CHECK(ask("/?token=" + std::string(64, 'b')).access == Access::forbidden);
    CHECK(ask("/?token=").access == Access::forbidden);
}

TEST_CASE("access: the token in the URL sets the cookie and is stripped by a redirect") {
    auto d = ask("/?token=" + kToken);
    CHECK(d.access == Access::set_cookie);
    CHECK(d.location == "/");
    d = ask("/api/runs?x=1&token=" + kToken + "&y=2");
    CHECK(d.access == Access::set_cookie);
    CHECK(d.location == "/api/runs?x=1&y=2");
    const std::string cookie = token_cookie(kToken);
    CHECK(cookie.find("HttpOnly") != std::string::npos);
    CHECK(cookie.find("SameSite=Strict") != std::string::npos);
    CHECK(cookie.find("Path=/") != std::string::npos);
}

TEST_CASE("access: another Host is refused even with the token (DNS rebinding)") {
    CHECK(ask("/", kCookie, "evil.example:8123").access == Access::forbidden);
    CHECK(ask("/", kCookie, "127.0.0.1:8124").access == Access::forbidden);
    CHECK(ask("/", kCookie, "127.0.0.1").access == Access::forbidden);
    CHECK(ask("/", kCookie, "").access == Access::forbidden);
    CHECK(ask("/", kCookie, "localhost.evil.example:8123").access == Access::forbidden);
    CHECK(ask("/?token=" + kToken, "", "evil.example:8123").access == Access::forbidden);
}

TEST_CASE("access: a cross-origin request is refused, same origin passes") {
    CHECK(ask("/api/runs", kCookie, "127.0.0.1:8123", "GET", "http://evil.example").access ==
          Access::forbidden);
    CHECK(ask("/api/runs", kCookie, "127.0.0.1:8123", "GET", "null").access == Access::forbidden);
    CHECK(ask("/api/runs", kCookie, "127.0.0.1:8123", "GET", "http://127.0.0.1:8123").access ==
          Access::allowed);
}

TEST_CASE("access: the server only reads") {
    CHECK(ask("/api/runs", kCookie, "127.0.0.1:8123", "POST").access == Access::not_allowed);
    CHECK(ask("/api/runs", kCookie, "127.0.0.1:8123", "HEAD").access == Access::allowed);
    // Without the token nobody learns even that.
    CHECK(ask("/api/runs", "", "127.0.0.1:8123", "POST").access == Access::forbidden);
}

TEST_CASE("access: an answer to an ask is a same-origin JSON POST with the cookie") {
    const std::string own = "http://127.0.0.1:8123";
    auto post = [&](std::string_view cookie, std::string_view origin, std::string_view type,
                    std::string_view site = "", std::string_view target = kAnswerPath) {
        return check_access({"POST", target, "127.0.0.1:8123", origin, cookie, type, site}, kToken,
                            kPort)
            .access;
    };
    // Positive controls: the page's own fetch, with and without Sec-Fetch-Site.
    CHECK(post(kCookie, own, "application/json") == Access::allowed);
    CHECK(post(kCookie, "http://localhost:8123", "application/json; charset=utf-8",
               "same-origin") == Access::allowed);
    // No token, a wrong token, the token in the URL: refused.
    CHECK(post("", own, "application/json") == Access::forbidden);
    CHECK(post("airlock_ui=" + std::string(64, 'b'), own, "application/json") == Access::forbidden);
    CHECK(post("", own, "application/json", "", std::string(kAnswerPath) + "?token=" + kToken) ==
          Access::forbidden);
    // Cross-site request forgery: no Origin, another origin, another site, a form's body.
    CHECK(post(kCookie, "", "application/json") == Access::forbidden);
    CHECK(post(kCookie, "http://evil.example", "application/json") == Access::forbidden);
    CHECK(post(kCookie, "null", "application/json") == Access::forbidden);
    CHECK(post(kCookie, own, "application/json", "cross-site") == Access::forbidden);
    CHECK(post(kCookie, own, "application/x-www-form-urlencoded") == Access::forbidden);
    CHECK(post(kCookie, own, "text/plain") == Access::forbidden);
    // Every other path still only reads.
    CHECK(post(kCookie, own, "application/json", "", "/api/runs") == Access::not_allowed);
    CHECK(check_access({"PUT", kAnswerPath, "127.0.0.1:8123", own, kCookie, "application/json"},
                       kToken, kPort)
              .access == Access::not_allowed);
}

TEST_CASE("access: the security headers") {
    std::set<std::string> names;
    std::string csp;
    for (const auto& [name, value] : security_headers()) {
        names.insert(name);
        if (name == "Content-Security-Policy") csp = value;
    }
    CHECK(names.contains("X-Content-Type-Options"));
    CHECK(names.contains("Referrer-Policy"));
    CHECK(!names.contains("Access-Control-Allow-Origin"));
    for (const char* part :
         {"default-src 'none'", "script-src 'self'", "style-src 'self'",
          "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'"})
        CHECK_MESSAGE(csp.find(part) != std::string::npos, part);
    CHECK(csp.find("unsafe") == std::string::npos);
}

TEST_CASE("access: query parameters are percent-decoded, malformed ones are absent") {
    CHECK(query_param("id=a%2Fb&ws=1", "id") == "a/b");
    CHECK(query_param("id=a+b", "id") == "a b");
    CHECK(query_param("ws=1", "id") == std::nullopt);
    CHECK(query_param("id=%zz", "id") == std::nullopt);
    CHECK(query_param("id=%2", "id") == std::nullopt);
    CHECK(without_param("a=1&token=x&b=2", "token") == "a=1&b=2");
    CHECK(cookie_value("a=1; b=2", "b") == "2");
    CHECK(cookie_value("a=1", "b") == std::nullopt);
}
