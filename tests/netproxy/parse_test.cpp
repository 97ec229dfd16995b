// The proxy's wire parsers: HTTP heads, SOCKS5, TLS ClientHello SNI.
#include <doctest/doctest.h>

#include "netproxy/parse.hpp"

using namespace airlock::netproxy;

namespace {

// A minimal ClientHello with one server_name (or none), in one or two records.
std::string client_hello(const std::string& sni, bool split = false) {
    std::string ext;
    if (!sni.empty()) {
        std::string list;
        list += '\0';
        list += static_cast<char>(sni.size() >> 8);
        list += static_cast<char>(sni.size() & 0xff);
        list += sni;
        std::string data;
        data += static_cast<char>(list.size() >> 8);
        data += static_cast<char>(list.size() & 0xff);
        data += list;
        ext += std::string("\0\0", 2);
        ext += static_cast<char>(data.size() >> 8);
        ext += static_cast<char>(data.size() & 0xff);
        ext += data;
    }
    std::string body = std::string("\x03\x03", 2) + std::string(32, 'r') + std::string("\0", 1) +
                       std::string("\x00\x02\x13\x01", 4) + std::string("\x01\x00", 2);
    body += static_cast<char>(ext.size() >> 8);
    body += static_cast<char>(ext.size() & 0xff);
    body += ext;
    std::string hs = "\x01";
    hs += '\0';
    hs += static_cast<char>(body.size() >> 8);
    hs += static_cast<char>(body.size() & 0xff);
    hs += body;
    auto record = [](const std::string& payload) {
        std::string r = "\x16\x03\x01";
        r += static_cast<char>(payload.size() >> 8);
        r += static_cast<char>(payload.size() & 0xff);
        return r + payload;
    };
    if (!split) return record(hs);
    return record(hs.substr(0, 10)) + record(hs.substr(10));
}

}  // namespace

TEST_CASE("HTTP: CONNECT and absolute-form requests") {
    auto p =
        parse_http_request("CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\nXYZ", 4096);
    REQUIRE(p.state == ParseState::complete);
    CHECK(p.head.host == "pypi.org");
    CHECK(p.head.port == 443);
    CHECK(p.head.head_bytes == 53);
    p = parse_http_request("GET http://Example.COM/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n",
                           4096);
    REQUIRE(p.state == ParseState::complete);
    CHECK(p.head.host == "example.com");
    CHECK(p.head.port == 80);
    CHECK(p.head.origin_target == "/a?b=c");
    const std::string out = origin_request_head(p.head);
    CHECK(out.starts_with("GET /a?b=c HTTP/1.1\r\n"));
    CHECK(out.find("Connection: close\r\n") != std::string::npos);
    p = parse_http_request("GET http://[::1]:8080 HTTP/1.1\r\nProxy-Authorization: x\r\n\r\n",
                           4096);
    REQUIRE(p.state == ParseState::complete);
    CHECK(p.head.host == "::1");
    CHECK(p.head.port == 8080);
    CHECK(origin_request_head(p.head).find("Proxy-") == std::string::npos);
    CHECK(origin_request_head(p.head).find("Host: [::1]:8080\r\n") != std::string::npos);
    CHECK(parse_http_request("GET http://a.org/ HTTP/1.1\r\nHost: a.org", 4096).state ==
          ParseState::incomplete);
}

TEST_CASE("HTTP: malformed, oversized and mismatched requests are refused") {
    auto bad = [](const std::string& s, int status = 400) {
        auto p = parse_http_request(s, 1024);
        CHECK_MESSAGE(p.state == ParseState::malformed, s);
        CHECK(p.status == status);
        return p.problem;
    };
    CHECK(bad("GET http://a.org/ HTTP/1.1\r\nHost: b.org\r\n\r\n") ==
          "the Host header differs from the URL's host");
    bad("GET http://a.org/ HTTP/1.1\r\nHost: a.org:8080\r\n\r\n");
    bad("GET http://a.org/ HTTP/1.1\r\nHost: a.org\r\nHost: a.org\r\n\r\n");
    bad("GET /relative HTTP/1.1\r\nHost: a.org\r\n\r\n");
    bad("GET https://a.org/ HTTP/1.1\r\n\r\n");
    bad("GET http://user@a.org/ HTTP/1.1\r\n\r\n");
    bad("CONNECT a.org HTTP/1.1\r\n\r\n");
    bad("CONNECT a.org:0 HTTP/1.1\r\n\r\n");
    bad("CONNECT ::1:443 HTTP/1.1\r\n\r\n");
    bad("GET http://a.org/ HTTP/2\r\n\r\n");
    bad("G\x01T http://a.org/ HTTP/1.1\r\n\r\n");
    bad("GET http://a.org/ HTTP/1.1\r\nBad Header: x\r\n\r\n");
    bad("GET http://a.org/ HTTP/1.1\r\nX: a\x01"
        "b\r\n\r\n");
    bad("GET http://a.org/ HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", 431);
    bad("GET http://a.org/ HTTP/1.1\r\nX: " + std::string(2000, 'a'), 431);  // no end yet
    // Positive control: the same request, well-formed, parses.
    CHECK(parse_http_request("GET http://a.org/ HTTP/1.1\r\nHost: a.org:80\r\n\r\n", 1024).state ==
          ParseState::complete);
}

TEST_CASE("SOCKS5: greeting and CONNECT by name, IPv4 and IPv6") {
    auto g = parse_socks5_greeting(std::string("\x05\x02\x02\x00", 4));
    CHECK(g.state == ParseState::complete);
    CHECK(g.no_auth_offered);
    CHECK(g.bytes == 4);
    CHECK_FALSE(parse_socks5_greeting(std::string("\x05\x01\x02", 3)).no_auth_offered);
    CHECK(parse_socks5_greeting(std::string("\x04\x01\x00", 3)).state == ParseState::malformed);
    auto r = parse_socks5_request(std::string("\x05\x01\x00\x03\x0agithub.com\x00\x16", 17));
    REQUIRE(r.state == ParseState::complete);
    CHECK(r.host == "github.com");
    CHECK(r.port == 22);
    r = parse_socks5_request(std::string("\x05\x01\x00\x01\x7f\x00\x00\x01\x1f\x90", 10));
    REQUIRE(r.state == ParseState::complete);
    CHECK(r.host == "127.0.0.1");
    CHECK(r.port == 8080);
    std::string v6("\x05\x01\x00\x04", 4);
    v6 += std::string(15, '\0') + "\x01" + std::string("\x00\x50", 2);
    r = parse_socks5_request(v6);
    REQUIRE(r.state == ParseState::complete);
    CHECK(r.host == "0000:0000:0000:0000:0000:0000:0000:0001");
    CHECK(parse_socks5_request(std::string("\x05\x02\x00\x01\x7f\x00\x00\x01\x1f\x90", 10))
              .reply_on_error == 0x07);  // BIND
    CHECK(parse_socks5_request(std::string("\x05\x01\x00\x05", 4)).reply_on_error == 0x08);
    CHECK(parse_socks5_request(std::string("\x05\x01\x00\x01\x7f", 5)).state ==
          ParseState::incomplete);
    CHECK(socks5_reply(0x02) == std::string("\x05\x02\x00\x01\0\0\0\0\0\0", 10));
}

TEST_CASE("TLS: the SNI of a ClientHello, whole or in pieces") {
    auto s = parse_client_hello_sni(client_hello("Example.org"));
    REQUIRE(s.state == ParseState::complete);
    CHECK(s.is_tls);
    CHECK(*s.sni == "example.org");
    s = parse_client_hello_sni(client_hello("a.test", true));
    REQUIRE(s.state == ParseState::complete);
    CHECK(*s.sni == "a.test");
    s = parse_client_hello_sni(client_hello(""));
    REQUIRE(s.state == ParseState::complete);
    CHECK_FALSE(s.sni);
    const std::string whole = client_hello("example.org");
    CHECK(parse_client_hello_sni(whole.substr(0, whole.size() - 1)).state ==
          ParseState::incomplete);
    CHECK(parse_client_hello_sni("SSH-2.0-OpenSSH").is_tls == false);
    std::string wrong = whole;
    wrong[5] = 2;  // a ServerHello
    CHECK(parse_client_hello_sni(wrong).state == ParseState::malformed);
}
