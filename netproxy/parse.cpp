#include "netproxy/parse.hpp"

#include <algorithm>
#include <charconv>

namespace airlock::netproxy {

namespace {

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool is_token_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

HttpParse malformed(int status, std::string problem) {
    HttpParse p;
    p.state = ParseState::malformed;
    p.status = status;
    p.problem = std::move(problem);
    return p;
}

std::string lower_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = lower(c);
    return out;
}

}  // namespace

std::optional<std::string> HttpRequestHead::header(std::string_view name) const {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}

bool split_authority(std::string_view a, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port) {
    std::string_view h = a, p;
    if (!a.empty() && a.front() == '[') {
        const auto close = a.find(']');
        if (close == std::string_view::npos) return false;
        h = a.substr(1, close - 1);
        const auto rest = a.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return false;
            p = rest.substr(1);
            if (p.empty()) return false;
        }
    } else {
        const auto colon = a.rfind(':');
        if (colon != std::string_view::npos) {
            if (a.find(':') != colon) return false;  // bare IPv6 must be bracketed
            h = a.substr(0, colon);
            p = a.substr(colon + 1);
            if (p.empty()) return false;
        }
    }
    if (!h.empty() && h.back() == '.') h.remove_suffix(1);  // "a.org." is "a.org"
    if (h.empty() || h.size() > 253) return false;
    for (char c : h)
        if (!(is_token_char(c) || c == ':') || c == '%') return false;
    if (p.empty()) {
        if (default_port == 0) return false;
        port = default_port;
    } else {
        unsigned v = 0;
        auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
        if (ec != std::errc() || end != p.data() + p.size() || v == 0 || v > 65535) return false;
        port = static_cast<std::uint16_t>(v);
    }
    host = lower_copy(h);
    return true;
}

HttpParse parse_http_request(std::string_view bytes, std::size_t max_head_bytes) {
    const auto end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos) {
        if (bytes.size() > max_head_bytes)
            return malformed(431, "the request head is larger than " +
                                      std::to_string(max_head_bytes) + " bytes");
        return {};
    }
    if (end + 4 > max_head_bytes)
        return malformed(
            431, "the request head is larger than " + std::to_string(max_head_bytes) + " bytes");
    HttpParse out;
    HttpRequestHead& h = out.head;
    h.head_bytes = end + 4;
    std::string_view rest = bytes.substr(0, end + 2);
    auto next_line = [&]() {
        const auto eol = rest.find("\r\n");
        std::string_view line = rest.substr(0, eol);
        rest.remove_prefix(eol + 2);
        return line;
    };
    const std::string_view request_line = next_line();
    const auto sp1 = request_line.find(' ');
    const auto sp2 = request_line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return malformed(400, "bad request line");
    h.method = std::string(request_line.substr(0, sp1));
    h.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
    h.version = std::string(request_line.substr(sp2 + 1));
    if (h.method.empty() || !std::all_of(h.method.begin(), h.method.end(), is_token_char))
        return malformed(400, "bad method");
    if (h.version != "HTTP/1.1" && h.version != "HTTP/1.0")
        return malformed(400, "only HTTP/1.0 and HTTP/1.1 are spoken");
    if (h.target.empty() || h.target.find_first_of(" \t") != std::string::npos)
        return malformed(400, "bad request target");
    for (char c : h.target)
        if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
            return malformed(400, "bad request target");
    while (!rest.empty()) {
        const std::string_view line = next_line();
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) return malformed(400, "bad header line");
        const std::string_view name = line.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_token_char))
            return malformed(400, "bad header name");
        const std::string_view value = trim(line.substr(colon + 1));
        for (char c : value)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
                return malformed(400, "bad header value");
        h.headers.emplace_back(std::string(name), std::string(value));
        if (h.headers.size() > 100) return malformed(431, "more than 100 header fields");
    }
    if (h.method == "CONNECT") {
        if (!split_authority(h.target, 0, h.host, h.port))
            return malformed(400, "CONNECT needs HOST:PORT");
        out.state = ParseState::complete;
        return out;
    }
    constexpr std::string_view kScheme = "http://";
    if (h.target.size() < kScheme.size() || !iequals(h.target.substr(0, kScheme.size()), kScheme))
        return malformed(400,
                         "a proxy request needs an absolute http:// URL (use CONNECT for "
                         "https)");
    std::string_view after = std::string_view(h.target).substr(kScheme.size());
    const auto slash = after.find_first_of("/?#");
    std::string_view authority = after.substr(0, slash);
    if (authority.find('@') != std::string_view::npos)
        return malformed(400, "user information in the URL is not accepted");
    if (!split_authority(authority, 80, h.host, h.port))
        return malformed(400, "bad host in the URL");
    h.origin_target = slash == std::string_view::npos ? "/" : std::string(after.substr(slash));
    if (!h.origin_target.empty() && h.origin_target.front() != '/')
        h.origin_target = "/" + h.origin_target;
    // One Host header, naming the URL's authority (an omitted default port is the same).
    int host_headers = 0;
    for (const auto& [k, v] : h.headers) {
        if (!iequals(k, "host")) continue;
        ++host_headers;
        std::string hh;
        std::uint16_t hp = 0;
        if (!split_authority(v, 80, hh, hp) || hh != h.host || hp != h.port)
            return malformed(400, "the Host header differs from the URL's host");
    }
    if (host_headers > 1) return malformed(400, "more than one Host header");
    out.state = ParseState::complete;
    return out;
}

std::string origin_request_head(const HttpRequestHead& head) {
    std::string out = head.method + " " + head.origin_target + " " + head.version + "\r\n";
    bool host = false;
    for (const auto& [k, v] : head.headers) {
        const std::string name = lower_copy(k);
        if (name.starts_with("proxy-") || name == "connection" || name == "keep-alive") continue;
        if (name == "host") host = true;
        out += k + ": " + v + "\r\n";
    }
    if (!host)
        out += "Host: " +
               (head.host.find(':') != std::string::npos ? "[" + head.host + "]" : head.host) +
               (head.port == 80 ? "" : ":" + std::to_string(head.port)) + "\r\n";
    out += "Connection: close\r\n\r\n";
    return out;
}

bool is_read_only_method(std::string_view m) {
    return m == "GET" || m == "HEAD" || m == "OPTIONS";
}

Socks5Greeting parse_socks5_greeting(std::string_view b) {
    Socks5Greeting g;
    if (b.size() < 2) return g;
    if (static_cast<unsigned char>(b[0]) != 5 || b[1] == 0) {
        g.state = ParseState::malformed;
        return g;
    }
    const std::size_t n = static_cast<unsigned char>(b[1]);
    if (b.size() < 2 + n) return g;
    for (std::size_t i = 0; i < n; ++i)
        if (b[2 + i] == 0) g.no_auth_offered = true;
    g.bytes = 2 + n;
    g.state = ParseState::complete;
    return g;
}

Socks5Request parse_socks5_request(std::string_view b) {
    Socks5Request r;
    auto bad = [&](std::uint8_t code) {
        r.state = ParseState::malformed;
        r.reply_on_error = code;
        return r;
    };
    if (b.size() < 4) return r;
    if (static_cast<unsigned char>(b[0]) != 5 || b[2] != 0) return bad(0x01);
    r.command = static_cast<unsigned char>(b[1]);
    const auto atyp = static_cast<unsigned char>(b[3]);
    std::size_t addr_len = 0, off = 4;
    if (atyp == 1) {
        addr_len = 4;
    } else if (atyp == 4) {
        addr_len = 16;
    } else if (atyp == 3) {
        if (b.size() < 5) return r;
        addr_len = static_cast<unsigned char>(b[4]);
        off = 5;
        if (addr_len == 0) return bad(0x01);
    } else {
        return bad(0x08);  // address type not supported
    }
    if (b.size() < off + addr_len + 2) return r;
    const auto* p = reinterpret_cast<const unsigned char*>(b.data()) + off;
    if (atyp == 1) {
        r.host = std::to_string(p[0]) + "." + std::to_string(p[1]) + "." + std::to_string(p[2]) +
                 "." + std::to_string(p[3]);
        r.host_is_address = true;
    } else if (atyp == 4) {
        static const char* hex = "0123456789abcdef";
        for (int i = 0; i < 16; i += 2) {
            if (i) r.host += ':';
            for (int j = 0; j < 2; ++j) {
                r.host += hex[p[i + j] >> 4];
                r.host += hex[p[i + j] & 15];
            }
        }
        r.host_is_address = true;
    } else {
        r.host = lower_copy(std::string_view(reinterpret_cast<const char*>(p), addr_len));
        if (r.host.back() == '.') r.host.pop_back();
        if (r.host.empty()) return bad(0x01);
    }
    r.port = static_cast<std::uint16_t>((p[addr_len] << 8) | p[addr_len + 1]);
    r.bytes = off + addr_len + 2;
    if (r.command != 1) return bad(0x07);  // command not supported
    if (r.port == 0) return bad(0x02);
    r.state = ParseState::complete;
    return r;
}

std::string socks5_reply(std::uint8_t code) {
    return std::string("\x05", 1) + static_cast<char>(code) +
           std::string("\x00\x01\x00\x00\x00\x00\x00\x00", 8);
}

ClientHelloSni parse_client_hello_sni(std::string_view b) {
    ClientHelloSni out;
    if (b.empty()) return out;
    if (static_cast<unsigned char>(b[0]) != 0x16) {
        out.state = ParseState::complete;  // not TLS
        return out;
    }
    out.is_tls = true;
    // Gather the handshake bytes from consecutive handshake records.
    std::string hs;
    std::size_t off = 0;
    std::size_t need = 0;  // the ClientHello's length once known
    while (true) {
        if (b.size() < off + 5) return out;
        const auto* r = reinterpret_cast<const unsigned char*>(b.data()) + off;
        if (r[0] != 0x16 || r[1] != 3) {
            out.state = ParseState::malformed;
            out.problem = "not a TLS handshake record";
            return out;
        }
        const std::size_t len = (r[3] << 8) | r[4];
        if (len == 0 || len > 16384) {
            out.state = ParseState::malformed;
            out.problem = "bad TLS record length";
            return out;
        }
        if (b.size() < off + 5 + len) return out;
        hs.append(b.substr(off + 5, len));
        off += 5 + len;
        if (need == 0 && hs.size() >= 4) {
            if (static_cast<unsigned char>(hs[0]) != 1) {
                out.state = ParseState::malformed;
                out.problem = "the first handshake message is not a ClientHello";
                return out;
            }
            need =
                4 + ((static_cast<unsigned char>(hs[1]) << 16) |
                     (static_cast<unsigned char>(hs[2]) << 8) | static_cast<unsigned char>(hs[3]));
            if (need > 65536) {
                out.state = ParseState::malformed;
                out.problem = "ClientHello too large";
                return out;
            }
        }
        if (need != 0 && hs.size() >= need) break;
    }
    const auto* p = reinterpret_cast<const unsigned char*>(hs.data());
    std::size_t i = 4;
    auto fail = [&](const char* why) {
        out.state = ParseState::malformed;
        out.problem = why;
        return out;
    };
    if (need < i + 2 + 32 + 1) return fail("truncated ClientHello");
    i += 2 + 32;    // version, random
    i += 1 + p[i];  // session id
    if (need < i + 2) return fail("truncated ClientHello");
    i += 2 + ((p[i] << 8) | p[i + 1]);  // cipher suites
    if (need < i + 1) return fail("truncated ClientHello");
    i += 1 + p[i];  // compression methods
    if (need < i + 2) {
        out.state = ParseState::complete;  // no extensions: no SNI
        return out;
    }
    const std::size_t ext_end = i + 2 + ((p[i] << 8) | p[i + 1]);
    i += 2;
    if (ext_end > need) return fail("truncated extensions");
    while (i + 4 <= ext_end) {
        const unsigned type = (p[i] << 8) | p[i + 1];
        const std::size_t len = (p[i + 2] << 8) | p[i + 3];
        i += 4;
        if (i + len > ext_end) return fail("truncated extension");
        if (type == 0) {  // server_name
            std::size_t j = i + 2;
            const std::size_t list_end = std::min(i + len, i + 2 + ((p[i] << 8) | p[i + 1]));
            if (list_end > i + len) return fail("bad server_name list");
            while (j + 3 <= list_end) {
                const unsigned name_type = p[j];
                const std::size_t name_len = (p[j + 1] << 8) | p[j + 2];
                j += 3;
                if (j + name_len > list_end) return fail("bad server_name");
                if (name_type == 0) {
                    if (out.sni) return fail("more than one host_name");
                    out.sni = lower_copy(
                        std::string_view(reinterpret_cast<const char*>(p + j), name_len));
                }
                j += name_len;
            }
        }
        i += len;
    }
    out.state = ParseState::complete;
    return out;
}

}  // namespace airlock::netproxy
