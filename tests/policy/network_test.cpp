// sandbox.network's object form: entries, load errors with positions, the layers' merge and the
// pure matcher (policy/network.hpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "policy_test_support.hpp"

using namespace policy_test;
using airlock::policy::AddressClass;
using airlock::policy::classify_address;
using airlock::policy::decide_network;
using airlock::policy::IpAddress;
using airlock::policy::NetworkPolicy;
using airlock::policy::NetworkQuery;
using airlock::policy::parse_network_entry;

namespace fs = std::filesystem;

namespace {

std::string layer(const std::string& network) {
    return "{\"version\": 1, \"sandbox\": {\"network\": " + network + "}}";
}

NetworkQuery query(std::string host, std::uint16_t port, const char* address = nullptr) {
    NetworkQuery q;
    q.host = std::move(host);
    q.port = port;
    if (address) q.address = IpAddress::parse(address);
    return q;
}

Decision decide(const PolicyStack& s, const NetworkQuery& q) {
    return decide_network(s.sandbox().network_policy, q).decision;
}

}  // namespace

TEST_CASE("network entries: host names, subdomains, ports, addresses and CIDRs") {
    auto e = parse_network_entry("PyPI.org");
    REQUIRE(e.entry);
    CHECK(e.entry->host == "pypi.org");
    CHECK_FALSE(e.entry->port);
    e = parse_network_entry("*.npmjs.org:443");
    REQUIRE(e.entry);
    CHECK(e.entry->kind == airlock::policy::NetworkEntry::Kind::subdomains);
    CHECK(*e.entry->port == 443);
    e = parse_network_entry("10.20.0.0/16");
    REQUIRE(e.entry);
    CHECK(e.entry->prefix == 16);
    e = parse_network_entry("[::1]:8080");
    REQUIRE(e.entry);
    CHECK(e.entry->prefix == 128);
    CHECK(*e.entry->port == 8080);
    CHECK(parse_network_entry("fd00::/8").entry);
    CHECK(parse_network_entry("127.0.0.1:8080").entry);
    for (const char* bad :
         {"", "*", "*.com", "a*.example.com", "host:0", "host:70000", "host:x", "10.1.2.3/8",
          "10.0.0.0/33", "300.1.1.1", "[::1", "[1.2.3.4]", "bad host", "-x.example.com", "a..b"})
        CHECK_MESSAGE(!parse_network_entry(bad).entry, bad);
}

TEST_CASE("address classes: loopback, link-local, private, multicast, mapped IPv6") {
    auto cls = [](const char* a) { return classify_address(*IpAddress::parse(a)); };
    CHECK(cls("127.0.0.1") == AddressClass::loopback);
    CHECK(cls("::1") == AddressClass::loopback);
    CHECK(cls("::ffff:127.0.0.1") == AddressClass::loopback);
    CHECK(cls("169.254.169.254") == AddressClass::link_local);
    CHECK(cls("fe80::1") == AddressClass::link_local);
    CHECK(cls("::ffff:169.254.169.254") == AddressClass::link_local);
    CHECK(cls("10.1.2.3") == AddressClass::private_range);
    CHECK(cls("172.31.0.1") == AddressClass::private_range);
    CHECK(cls("192.168.1.1") == AddressClass::private_range);
    CHECK(cls("fd00::1") == AddressClass::private_range);
    CHECK(cls("224.0.0.1") == AddressClass::multicast);
    CHECK(cls("ff02::1") == AddressClass::multicast);
    CHECK(cls("0.0.0.0") == AddressClass::unspecified);
    CHECK(cls("::") == AddressClass::unspecified);
    CHECK(cls("::127.0.0.1") == AddressClass::reserved);  // IPv4-compatible
    CHECK(cls("64:ff9b::7f00:1") == AddressClass::reserved);
    // Positive controls: ordinary public addresses.
    CHECK(cls("151.101.0.223") == AddressClass::public_address);
    CHECK(cls("172.32.0.1") == AddressClass::public_address);
    CHECK(cls("2a04:4e42::223") == AddressClass::public_address);
}

TEST_CASE("bad network entries are load errors with file, line and column") {
    CHECK(load_error({{"p.json",
                       "{\"version\": 1,\n \"sandbox\": {\"network\": {\"allow\": "
                       "[\"ok.org\", \"*.com\"]}}}"}}) ==
          "p.json:2:46: sandbox.network.allow[1]: \"*.com\": \"*.\" needs a domain with at least "
          "two labels (\"*.example.com\")");
    CHECK(load_error({{"p.json", layer("{\"unknown\": \"maybe\"}")}})
              .find("sandbox.network.unknown: \"maybe\" is not ask or deny") != std::string::npos);
    CHECK(load_error({{"p.json", layer("{\"methods\": \"get\"}")}}).find("p.json:1:") == 0);
    CHECK(load_error({{"p.json", layer("{\"allowed\": []}")}}).find("unknown field") !=
          std::string::npos);
    CHECK(load_error({{"p.json", layer("{\"hosts\": {\"a.test\": \"nope\"}}")}})
              .find("sandbox.network.hosts.a.test") != std::string::npos);
    CHECK(load_error({{"p.json", layer("\"sometimes\"")}}).find("is not \"on\", \"off\" or") !=
          std::string::npos);
    // Positive control: the same shapes, valid, load.
    CHECK(load_error({{"p.json", layer("{\"allow\": [\"ok.org\", \"*.example.com\"], \"unknown\": "
                                       "\"ask\", \"methods\": \"read-only\", \"hosts\": "
                                       "{\"a.test\": \"127.0.0.1\"}}")}}) == "<loaded>");
}

TEST_CASE("network modes: off wins, an object makes the proxy, on only alone") {
    const auto on = layer("\"on\""), off = layer("\"off\""),
               obj = layer("{\"allow\": [\"a.org\"]}");
    CHECK(load({{"a", on}}).sandbox().network_policy.mode == NetworkPolicy::Mode::on);
    CHECK(load({{"a", on}}).sandbox().network);
    CHECK(load({{"a", obj}, {"b", on}}).sandbox().network_policy.mode ==
          NetworkPolicy::Mode::proxy);
    CHECK_FALSE(load({{"a", obj}}).sandbox().network);
    CHECK(load({{"a", obj}, {"b", off}}).sandbox().network_policy.mode == NetworkPolicy::Mode::off);
    CHECK(load({{"a", "{\"version\": 1}"}}).sandbox().network_policy.mode ==
          NetworkPolicy::Mode::off);
}

TEST_CASE("the built-in \"off\" is a default the user's policy replaces, never the workspace's") {
    const fs::path dir =
        fs::temp_directory_path() / ("airlock-network-layers-" + std::to_string(::getpid()));
    fs::create_directories(dir / ".airlock");
    const auto write = [](const fs::path& f, const std::string& text) { std::ofstream(f) << text; };
    airlock::policy::LoadOptions o;
    o.user_file = dir / "user.json";
    o.workspace_file = dir / ".airlock" / "policy.json";
    o.workspace = dir;
    const auto mode = [&] {
        auto s = PolicyStack::load(o);
        REQUIRE(s.ok());
        return s->sandbox().network_policy.mode;
    };
    const auto reason = [&](const char* host) {
        auto s = PolicyStack::load(o);
        REQUIRE(s.ok());
        return decide_network(s->sandbox().network_policy, query(host, 443)).reason;
    };

    // Alone, the built-in keeps the network off.
    CHECK(mode() == NetworkPolicy::Mode::off);
    // A workspace (it comes with the repository) cannot open it, and the refusal says why.
    write(*o.workspace_file, layer("{\"allow\": [\"pypi.org\"]}"));
    CHECK(mode() == NetworkPolicy::Mode::off);
    CHECK(reason("pypi.org").find("may narrow the network but not open it") != std::string::npos);
    write(*o.workspace_file, layer("\"on\""));
    CHECK(mode() == NetworkPolicy::Mode::off);
    // The user's own policy replaces the built-in default (positive control).
    write(*o.user_file, layer("{\"allow\": [\"pypi.org\", \"gist.github.com\"]}"));
    write(*o.workspace_file,
          layer("{\"deny\": [\"gist.github.com\"], \"allow\": [\"pypi.org\", \"example.org\"]}"));
    CHECK(mode() == NetworkPolicy::Mode::proxy);
    {
        auto s = PolicyStack::load(o);
        REQUIRE(s.ok());
        // Both layers decide: the workspace narrows (deny wins), and cannot widen (its example.org
        // does not open what the user's list leaves out).
        CHECK(decide(*s, query("pypi.org", 443)) == Decision::allow);
        CHECK(decide(*s, query("gist.github.com", 443)) == Decision::deny);
        CHECK(decide(*s, query("example.org", 443)) == Decision::deny);
    }
    // The workspace can still close what the user opened.
    write(*o.workspace_file, layer("\"off\""));
    CHECK(mode() == NetworkPolicy::Mode::off);
    // A --policy file replaces the built-in default too.
    fs::remove(*o.user_file);
    fs::remove(*o.workspace_file);
    write(dir / "extra.json", layer("\"on\""));
    o.files = {dir / "extra.json"};
    CHECK(mode() == NetworkPolicy::Mode::on);
    fs::remove_all(dir);
}

TEST_CASE("the matcher: allow, deny, unknown, ports, wildcards") {
    const auto s = load({{"p.json", layer(R"({"allow": ["pypi.org", "*.npmjs.org", "github.com:443",
        "10.20.0.0/16"], "deny": ["gist.github.com", "bad.npmjs.org"], "unknown": "ask"})")}});
    CHECK(decide(s, query("pypi.org", 443, "151.101.0.223")) == Decision::allow);
    CHECK(decide(s, query("PYPI.ORG.", 80)) == Decision::allow);
    CHECK(decide(s, query("registry.npmjs.org", 443)) == Decision::allow);
    CHECK(decide(s, query("npmjs.org", 443)) == Decision::ask);  // "*." is subdomains only
    CHECK(decide(s, query("bad.npmjs.org", 443)) == Decision::deny);
    CHECK(decide(s, query("github.com", 443)) == Decision::allow);
    CHECK(decide(s, query("github.com", 22)) == Decision::ask);
    CHECK(decide(s, query("gist.github.com", 443)) == Decision::deny);
    CHECK(decide(s, query("example.com", 443)) == Decision::ask);
    // An address entry opens a private range, by literal or by resolution.
    CHECK(decide(s, query("10.20.3.4", 8080)) == Decision::allow);
    CHECK(decide(s, query("mirror.corp", 443, "10.20.3.4")) == Decision::allow);
    const auto d = decide_network(s.sandbox().network_policy, query("gist.github.com", 443));
    CHECK(d.rule == "deny \"gist.github.com\"");
    CHECK(d.layer == "p.json");
}

TEST_CASE("the matcher: special addresses need an explicit address entry") {
    const auto s = load({{"p.json", layer(R"({"allow": ["good.test", "open.test",
        "127.0.0.1:8080"], "hosts": {"good.test": "127.0.0.1"}})")}});
    // An allowed name resolving to loopback, link-local or private is refused...
    CHECK(decide(s, query("good.test", 443, "127.0.0.1")) == Decision::deny);
    CHECK(decide(s, query("open.test", 80, "169.254.169.254")) == Decision::deny);
    CHECK(decide(s, query("open.test", 80, "::ffff:169.254.169.254")) == Decision::deny);
    CHECK(decide(s, query("open.test", 80, "fe80::1")) == Decision::deny);
    CHECK(decide(s, query("open.test", 80, "192.168.0.1")) == Decision::deny);
    CHECK(decide(s, query("open.test", 80, "224.0.0.1")) == Decision::deny);
    auto own = query("open.test", 80, "151.101.0.223");
    own.address_is_host_own = true;
    CHECK(decide(s, own) == Decision::deny);
    // ...unless an address entry names it (here with its port).
    CHECK(decide(s, query("good.test", 8080, "127.0.0.1")) == Decision::allow);
    CHECK(decide(s, query("good.test", 8081, "127.0.0.1")) == Decision::deny);
    // Positive control: the same name on a public address.
    CHECK(decide(s, query("open.test", 80, "151.101.0.223")) == Decision::allow);
    CHECK(s.sandbox().network_policy.pinned_address("Good.Test")->str() == "127.0.0.1");
}

TEST_CASE("the matcher across layers: deny wins, a lower layer cannot widen") {
    const auto s =
        load({{"user.json", layer(R"({"allow": ["a.org", "b.org"], "unknown": "deny"})")},
              {"ws.json", layer(R"({"allow": ["a.org", "c.org"], "deny": ["b.org"]})")}});
    CHECK(decide(s, query("a.org", 443)) == Decision::allow);  // both allow
    CHECK(decide(s, query("b.org", 443)) == Decision::deny);   // one denies
    CHECK(decide(s, query("c.org", 443)) == Decision::deny);   // not widened by ws.json
    const auto ask = load({{"user.json", layer(R"({"unknown": "ask"})")},
                           {"ws.json", layer(R"({"allow": ["c.org"]})")}});
    CHECK(decide(ask, query("c.org", 443)) == Decision::ask);
    CHECK(decide(ask, query("d.org", 443)) == Decision::deny);
}
