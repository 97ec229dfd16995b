// Network egress by domain: the policy's `sandbox.network` object as plain data, and the pure
// matcher that turns (host, port, resolved address) into allow, ask or deny with its rule and
// reason. Nothing here resolves a name or opens a socket; the proxy asks, this answers.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace airlock::policy {

enum class Decision : int;

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is kept as IPv4, so
// that one address has one form for matching and classification.
struct IpAddress {
    bool v4 = true;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4

    static std::optional<IpAddress> parse(std::string_view text);
    std::string str() const;
    bool operator==(const IpAddress&) const = default;
};

// Why an address is not an ordinary public one. Such addresses are refused unless an IP or
// CIDR entry in allow names them explicitly.
enum class AddressClass {
    public_address,
    unspecified,    // 0.0.0.0, ::
    loopback,       // 127.0.0.0/8, ::1
    link_local,     // 169.254.0.0/16 (cloud metadata 169.254.169.254), fe80::/10
    private_range,  // 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7
    multicast,      // 224.0.0.0/4, ff00::/8
    reserved,       // 240.0.0.0/4, 255.255.255.255, 0/8
};
std::string_view address_class_name(AddressClass c);
AddressClass classify_address(const IpAddress& address);

// One entry of allow or deny, as written: "pypi.org", "*.npmjs.org", "github.com:443",
// "10.20.0.0/16", "127.0.0.1:8080", "[::1]:8080", "fd00::/8".
struct NetworkEntry {
    enum class Kind { host, subdomains, address };
    Kind kind = Kind::host;
    std::string text;  // as written
    std::string host;  // lower case; for subdomains without the "*."
    IpAddress address;
    int prefix = -1;  // address: prefix length (32 or 128 for a single address)
    std::optional<std::uint16_t> port;
};

// Parses one entry; on failure, a message saying what is wrong with it.
struct NetworkEntryParse {
    std::optional<NetworkEntry> entry;
    std::string problem;
};
NetworkEntryParse parse_network_entry(std::string_view text);

// One layer's `sandbox.network` object.
struct NetworkLayerRules {
    std::string layer;  // source file ("builtin" for the compiled-in policy)
    std::vector<NetworkEntry> allow, deny;
    bool unknown_asks = false;  // "unknown": "ask" (else "deny")
    bool read_only = false;     // "methods": "read-only"
    // "hosts": name -> address the proxy uses instead of resolving the name (test servers,
    // private mirrors). It only resolves; special addresses still need an IP entry in allow.
    std::map<std::string, IpAddress> hosts;
};

// The merged network setting. "off" in any layer wins; otherwise any layer's object makes
// the proxy mode (each such layer decides on its own and the strictest answer wins); "on" only
// when every layer that speaks says "on".
struct NetworkPolicy {
    enum class Mode { off, on, proxy };
    Mode mode = Mode::off;
    std::vector<NetworkLayerRules> layers;  // mode == proxy: one per layer with an object
    // mode == off only because the workspace's own layer may not open the network: its name.
    std::string workspace_not_opening;

    bool read_only() const;
    // The address `host` is pinned to by some layer's "hosts"; nullopt when none or when two
    // layers disagree (then the name does not resolve at all: fail closed).
    std::optional<IpAddress> pinned_address(std::string_view host, bool* conflict = nullptr) const;
};
std::string_view network_mode_name(NetworkPolicy::Mode mode);

// What the matcher is asked about one connection.
struct NetworkQuery {
    std::string host;  // as the client named it (a name or an IP literal)
    std::uint16_t port = 0;
    std::optional<IpAddress> address;  // the resolved address the proxy would connect to
    bool address_is_host_own = false;  // one of this machine's own interface addresses
};

struct NetworkDecision {
    Decision decision;
    std::string rule;    // e.g. `deny "gist.github.com"`, `unknown`, `address`
    std::string layer;   // the layer whose answer won
    std::string reason;  // short, readable by a model
};

NetworkDecision decide_network(const NetworkPolicy& policy, const NetworkQuery& query);

// Lower-cases a host name and drops one trailing dot; empty when it is not a valid name.
std::string normalize_host(std::string_view host);

nlohmann::json to_json(const NetworkPolicy& policy);
nlohmann::json to_json(const NetworkDecision& decision);

}  // namespace airlock::policy
