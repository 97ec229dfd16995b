// The proxy's wire parsers, pure functions over bytes: an HTTP/1.x request head (CONNECT and
// absolute-form), SOCKS5's greeting and request, and the SNI of a TLS ClientHello. Each says
// "need more bytes", "this is what it says" or "this is malformed, because ...".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace airlock::netproxy {

enum class ParseState { incomplete, complete, malformed };

// ---- HTTP ----

struct HttpRequestHead {
    std::string method;
    std::string target;   // as sent
    std::string version;  // "HTTP/1.1"
    std::vector<std::pair<std::string, std::string>> headers;
    std::size_t head_bytes = 0;  // through the blank line
    // CONNECT authority or absolute-form URL, split:
    std::string host;
    std::uint16_t port = 0;
    std::string origin_target;  // absolute-form: the path and query ("/" when none)
    std::optional<std::string> header(std::string_view name) const;  // case-insensitive
};

struct HttpParse {
    ParseState state = ParseState::incomplete;
    HttpRequestHead head;
    int status = 400;  // for malformed: the status to answer with (400, 431, 501)
    std::string problem;
};

// Parses the head of a request to a proxy from `bytes` (which may hold more than the head).
// A head longer than `max_head_bytes` is malformed (431). Only CONNECT host:port and
// absolute-form http:// requests are accepted; an absolute-form request whose Host header
// names a different authority is malformed.
HttpParse parse_http_request(std::string_view bytes, std::size_t max_head_bytes);

// "host:port" / "[v6]:port" (port required when `default_port` is 0).
bool split_authority(std::string_view authority, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port);

// The head rewritten for the origin server: origin-form target, Connection: close, no
// Proxy-* headers.
std::string origin_request_head(const HttpRequestHead& head);

bool is_read_only_method(std::string_view method);  // GET, HEAD, OPTIONS

// ---- SOCKS5 ----

struct Socks5Greeting {
    ParseState state = ParseState::incomplete;
    std::size_t bytes = 0;
    bool no_auth_offered = false;
};
Socks5Greeting parse_socks5_greeting(std::string_view bytes);

struct Socks5Request {
    ParseState state = ParseState::incomplete;
    std::size_t bytes = 0;
    std::uint8_t command = 0;  // 1 = CONNECT
    std::string host;          // a name, or an IP address in text form
    bool host_is_address = false;
    std::uint16_t port = 0;
    std::uint8_t reply_on_error = 0x01;  // for malformed
};
Socks5Request parse_socks5_request(std::string_view bytes);

// A SOCKS5 reply with a zero bound address.
std::string socks5_reply(std::uint8_t code);

// ---- TLS ----

struct ClientHelloSni {
    ParseState state = ParseState::incomplete;
    bool is_tls = false;             // the bytes start like a TLS handshake record
    std::optional<std::string> sni;  // the host_name, when the hello has one
    std::string problem;
};
// Reads the SNI of a ClientHello (the first handshake message, possibly over several records).
// Bytes that do not start with a handshake record give is_tls == false, state complete.
ClientHelloSni parse_client_hello_sni(std::string_view bytes);

}  // namespace airlock::netproxy
