#include "policy/network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include <nlohmann/json.hpp>

#include "policy/policy.hpp"

namespace airlock::policy {

namespace {

bool in_prefix(const IpAddress& a, const IpAddress& net, int prefix) {
    if (a.v4 != net.v4) return false;
    int bits = prefix;
    for (std::size_t i = 0; bits > 0; ++i, bits -= 8) {
        const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
        if ((a.bytes[i] & mask) != (net.bytes[i] & mask)) return false;
    }
    return true;
}

bool in_cidr(const IpAddress& a, const char* cidr) {
    const std::string_view s(cidr);
    const auto slash = s.find('/');
    const auto net = IpAddress::parse(s.substr(0, slash));
    int prefix = 0;
    std::from_chars(s.data() + slash + 1, s.data() + s.size(), prefix);
    return net && in_prefix(a, *net, prefix);
}

bool is_host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
    unsigned value = 0;
    if (s.empty() || s.size() > 5) return std::nullopt;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

bool port_matches(const NetworkEntry& e, std::uint16_t port) {
    return !e.port || *e.port == port;
}

// Does `e` name this host (by name) or this address?
bool name_matches(const NetworkEntry& e, const std::string& host) {
    if (host.empty()) return false;
    if (e.kind == NetworkEntry::Kind::host) return host == e.host;
    if (e.kind == NetworkEntry::Kind::subdomains)
        return host.size() > e.host.size() + 1 && host.ends_with("." + e.host);
    return false;
}

bool address_matches(const NetworkEntry& e, const std::optional<IpAddress>& address) {
    return e.kind == NetworkEntry::Kind::address && address &&
           in_prefix(*address, e.address, e.prefix);
}

struct LayerAnswer {
    Decision decision;
    std::string rule, reason;
};

LayerAnswer decide_layer(const NetworkLayerRules& layer, const std::string& host,
                         const std::optional<IpAddress>& literal, const NetworkQuery& q) {
    // The address a literal IP host names is checked as well as the resolved one.
    auto any_address = [&](const NetworkEntry& e) {
        return address_matches(e, q.address) || address_matches(e, literal);
    };
    for (const auto& e : layer.deny) {
        if (!port_matches(e, q.port)) continue;
        if (name_matches(e, host) || any_address(e))
            return {Decision::deny, "deny \"" + e.text + "\"",
                    "denied by the policy's network deny list (\"" + e.text + "\")"};
    }
    const std::optional<IpAddress>& address = q.address ? q.address : literal;
    if (address) {
        const AddressClass cls = classify_address(*address);
        const bool special = cls != AddressClass::public_address || q.address_is_host_own;
        if (special) {
            for (const auto& e : layer.allow)
                if (port_matches(e, q.port) && any_address(e))
                    return {Decision::allow, "allow \"" + e.text + "\"",
                            "allowed explicitly by an address entry"};
            const std::string what =
                q.address_is_host_own && cls == AddressClass::public_address
                    ? std::string("one of this machine's own addresses")
                    : std::string("a ") + std::string(address_class_name(cls)) + " address";
            return {Decision::deny, "address",
                    "resolves to " + address->str() + ", " + what +
                        "; only an IP or CIDR entry in allow can open it"};
        }
    }
    for (const auto& e : layer.allow)
        if (port_matches(e, q.port) && (name_matches(e, host) || any_address(e)))
            return {Decision::allow, "allow \"" + e.text + "\"", "on the policy's allow list"};
    if (layer.unknown_asks)
        return {Decision::ask, "unknown", "not on the policy's allow list: needs an approval"};
    return {Decision::deny, "unknown", "not on the policy's allow list"};
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.empty() || text.size() > 45) return std::nullopt;
    const std::string s(text);
    IpAddress a;
    if (s.find(':') == std::string::npos) {
        in_addr v4{};
        if (::inet_pton(AF_INET, s.c_str(), &v4) != 1) return std::nullopt;
        std::memcpy(a.bytes.data(), &v4, 4);
        return a;
    }
    in6_addr v6{};
    if (::inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(v6.s6_addr, kMapped, 12) == 0) {
        std::memcpy(a.bytes.data(), v6.s6_addr + 12, 4);
        return a;
    }
    a.v4 = false;
    std::memcpy(a.bytes.data(), v6.s6_addr, 16);
    return a;
}

std::string IpAddress::str() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

std::string_view address_class_name(AddressClass c) {
    switch (c) {
        case AddressClass::public_address:
            return "public";
        case AddressClass::unspecified:
            return "unspecified";
        case AddressClass::loopback:
            return "loopback";
        case AddressClass::link_local:
            return "link-local";
        case AddressClass::private_range:
            return "private";
        case AddressClass::multicast:
            return "multicast";
        case AddressClass::reserved:
            return "reserved";
    }
    return "reserved";
}

AddressClass classify_address(const IpAddress& a) {
    if (a.v4) {
        if (in_cidr(a, "0.0.0.0/32")) return AddressClass::unspecified;
        if (in_cidr(a, "0.0.0.0/8")) return AddressClass::reserved;
        if (in_cidr(a, "127.0.0.0/8")) return AddressClass::loopback;
        if (in_cidr(a, "169.254.0.0/16")) return AddressClass::link_local;
        for (const char* p : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"})
            if (in_cidr(a, p)) return AddressClass::private_range;
        if (in_cidr(a, "224.0.0.0/4")) return AddressClass::multicast;
        if (in_cidr(a, "240.0.0.0/4")) return AddressClass::reserved;  // incl. broadcast
        return AddressClass::public_address;
    }
    if (in_cidr(a, "::/128")) return AddressClass::unspecified;
    if (in_cidr(a, "::1/128")) return AddressClass::loopback;
    if (in_cidr(a, "fe80::/10")) return AddressClass::link_local;
    if (in_cidr(a, "fc00::/7") || in_cidr(a, "fec0::/10")) return AddressClass::private_range;
    if (in_cidr(a, "ff00::/8")) return AddressClass::multicast;
    // IPv4-compatible (::a.b.c.d), NAT64 and 6to4 embed an IPv4 address that could be any of
    // the above: refused unless allowed explicitly.
    if (in_cidr(a, "::/96") || in_cidr(a, "64:ff9b::/96") || in_cidr(a, "64:ff9b:1::/48") ||
        in_cidr(a, "2002::/16"))
        return AddressClass::reserved;
    return AddressClass::public_address;
}

std::string normalize_host(std::string_view host) {
    std::string h(host);
    if (!h.empty() && h.back() == '.') h.pop_back();
    if (h.empty() || h.size() > 253) return {};
    for (char& c : h) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (!is_host_char(c)) return {};
    }
    // Labels are non-empty, at most 63 bytes, and do not start or end with '-'.
    std::size_t start = 0;
    while (start <= h.size()) {
        const std::size_t dot = std::min(h.find('.', start), h.size());
        const std::string_view label(h.data() + start, dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
            return {};
        start = dot + 1;
    }
    return h;
}

NetworkEntryParse parse_network_entry(std::string_view text) {
    NetworkEntry e;
    e.text = std::string(text);
    if (text.empty()) return {std::nullopt, "an empty entry"};
    std::string_view body = text;
    // "[v6]" or "[v6]:port"
    if (body.front() == '[') {
        const auto close = body.find(']');
        if (close == std::string_view::npos) return {std::nullopt, "\"[\" without \"]\""};
        const std::string_view rest = body.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':' || !(e.port = parse_port(rest.substr(1))))
                return {std::nullopt, "expected \":PORT\" (1 to 65535) after \"]\""};
        }
        body = body.substr(1, close - 1);
        auto a = IpAddress::parse(body);
        if (!a || a->v4) return {std::nullopt, "not an IPv6 address inside \"[...]\""};
        e.kind = NetworkEntry::Kind::address;
        e.address = *a;
        e.prefix = 128;
        return {e, {}};
    }
    const auto slash = body.find('/');
    if (slash != std::string_view::npos) {
        auto a = IpAddress::parse(body.substr(0, slash));
        const std::string_view len = body.substr(slash + 1);
        int prefix = -1;
        auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
        if (!a) return {std::nullopt, "a CIDR needs an IP address before \"/\""};
        if (ec != std::errc() || end != len.data() + len.size() || len.empty() || prefix < 0 ||
            prefix > (a->v4 ? 32 : 128))
            return {std::nullopt,
                    std::string("the prefix length must be 0 to ") + (a->v4 ? "32" : "128")};
        // Bits beyond the prefix must be zero: "10.1.2.3/8" is most likely a mistake.
        IpAddress masked = *a;
        for (int bit = prefix; bit < (a->v4 ? 32 : 128); ++bit)
            masked.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80 >> (bit % 8)));
        if (!(masked == *a))
            return {std::nullopt, "host bits are set after the prefix; write " + masked.str() +
                                      "/" + std::to_string(prefix)};
        e.kind = NetworkEntry::Kind::address;
        e.address = *a;
        e.prefix = prefix;
        return {e, {}};
    }
    // A bare IPv6 address (two or more colons) has no port.
    if (std::count(body.begin(), body.end(), ':') >= 2) {
        auto a = IpAddress::parse(body);
        if (!a) return {std::nullopt, "not an IPv6 address (write \"[ADDR]:PORT\" with a port)"};
        e.kind = NetworkEntry::Kind::address;
        e.address = *a;
        e.prefix = a->v4 ? 32 : 128;
        return {e, {}};
    }
    const auto colon = body.find(':');
    if (colon != std::string_view::npos) {
        if (!(e.port = parse_port(body.substr(colon + 1))))
            return {std::nullopt, "the port must be a number from 1 to 65535"};
        body = body.substr(0, colon);
    }
    if (auto a = IpAddress::parse(body)) {
        e.kind = NetworkEntry::Kind::address;
        e.address = *a;
        e.prefix = a->v4 ? 32 : 128;
        return {e, {}};
    }
    if (body.starts_with("*.")) {
        e.kind = NetworkEntry::Kind::subdomains;
        body.remove_prefix(2);
    } else if (body.find('*') != std::string_view::npos) {
        return {std::nullopt, "\"*\" is only allowed as a leading \"*.\" (any subdomain)"};
    }
    e.host = normalize_host(body);
    if (e.host.empty())
        return {std::nullopt,
                "not a host name, IP address or CIDR (letters, digits, '-', '_' and '.')"};
    // "*.com" would open a whole top-level domain.
    if (e.kind == NetworkEntry::Kind::subdomains && e.host.find('.') == std::string::npos)
        return {std::nullopt, "\"*.\" needs a domain with at least two labels (\"*.example.com\")"};
    if (e.kind == NetworkEntry::Kind::host && std::all_of(body.begin(), body.end(), [](char c) {
            return (c >= '0' && c <= '9') || c == '.';
        }))
        return {std::nullopt, "not a valid IPv4 address"};
    return {e, {}};
}

bool NetworkPolicy::read_only() const {
    return std::any_of(layers.begin(), layers.end(),
                       [](const NetworkLayerRules& l) { return l.read_only; });
}

std::optional<IpAddress> NetworkPolicy::pinned_address(std::string_view host,
                                                       bool* conflict) const {
    const std::string h = normalize_host(host);
    std::optional<IpAddress> found;
    if (conflict) *conflict = false;
    for (const auto& l : layers) {
        auto it = l.hosts.find(h);
        if (it == l.hosts.end()) continue;
        if (found && !(*found == it->second)) {
            if (conflict) *conflict = true;
            return std::nullopt;
        }
        found = it->second;
    }
    return found;
}

std::string_view network_mode_name(NetworkPolicy::Mode mode) {
    switch (mode) {
        case NetworkPolicy::Mode::off:
            return "off";
        case NetworkPolicy::Mode::on:
            return "on";
        case NetworkPolicy::Mode::proxy:
            return "proxy";
    }
    return "off";
}

NetworkDecision decide_network(const NetworkPolicy& policy, const NetworkQuery& q) {
    if (policy.mode == NetworkPolicy::Mode::on)
        return {Decision::allow, "network", "", "the policy's network is \"on\""};
    if (policy.mode == NetworkPolicy::Mode::off || policy.layers.empty()) {
        if (!policy.workspace_not_opening.empty())
            return {Decision::deny, "network", "",
                    "the policy's network is \"off\": " + policy.workspace_not_opening +
                        " may narrow the network but not open it (open it in the user's policy "
                        "or a --policy file)"};
        return {Decision::deny, "network", "", "the policy's network is \"off\""};
    }
    const std::optional<IpAddress> literal = IpAddress::parse(q.host);
    const std::string host = literal ? std::string() : normalize_host(q.host);
    if (!literal && host.empty())
        return {Decision::deny, "host", "", "not a valid host name or IP address"};
    if (q.port == 0) return {Decision::deny, "port", "", "port 0 is not a destination"};
    std::optional<NetworkDecision> best;
    for (const auto& layer : policy.layers) {
        LayerAnswer a = decide_layer(layer, host, literal, q);
        if (!best || static_cast<int>(a.decision) > static_cast<int>(best->decision))
            best = NetworkDecision{a.decision, std::move(a.rule), layer.layer, std::move(a.reason)};
    }
    return *best;
}

nlohmann::json to_json(const NetworkPolicy& policy) {
    if (policy.mode != NetworkPolicy::Mode::proxy)
        return std::string(network_mode_name(policy.mode));
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& l : policy.layers) {
        nlohmann::json allow = nlohmann::json::array(), deny = nlohmann::json::array();
        for (const auto& e : l.allow)
            allow.push_back(e.text);
        for (const auto& e : l.deny)
            deny.push_back(e.text);
        nlohmann::json hosts = nlohmann::json::object();
        for (const auto& [name, address] : l.hosts)
            hosts[name] = address.str();
        layers.push_back({{"layer", l.layer},
                          {"allow", allow},
                          {"deny", deny},
                          {"unknown", l.unknown_asks ? "ask" : "deny"},
                          {"methods", l.read_only ? "read-only" : "all"},
                          {"hosts", hosts}});
    }
    return {{"mode", "proxy"},
            {"methods", policy.read_only() ? "read-only" : "all"},
            {"layers", layers}};
}

nlohmann::json to_json(const NetworkDecision& d) {
    return {{"decision", decision_name(d.decision)},
            {"rule", d.rule},
            {"layer", d.layer},
            {"reason", d.reason}};
}

}  // namespace airlock::policy
