#include <doctest/doctest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "approvals/approvals.hpp"
#include "approvals/exec_protocol.hpp"
#include "platform/canonical_json.hpp"
#include "platform/sha256.hpp"
#include "test_support.hpp"

using namespace airlock;
using namespace airlock::approvals;
using namespace airlock::approvals::test;

namespace {
std::string keyed_text(const ToolCall& call, const std::vector<std::string>& env_keys) {
    const nlohmann::json keyed = {{"tool", std::string(tool_name(call.tool))},
                                  {"request", sanitized_request(call, env_keys)}};
    return *canonical_json(keyed);
}

std::vector<std::string> keys_of(const std::map<std::string, std::string>& env) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : env)
        keys.push_back(k);
    return keys;
}
}  // namespace

// The worked vectors of docs/APPROVALS.md; recompute with
//   printf '%s' '<canonical json>' | sha256sum
TEST_CASE("approval key: documented test vector for shell_exec") {
    const ToolCall call = shell_call({"git", "status"});
    const std::vector<std::string> env_keys = {"PATH", "HOME"};
    CHECK(keyed_text(call, env_keys) ==
          R"({"request":{"argv":["git","status"],"cwd":"","env_keys":["HOME","PATH"]},)"
          R"("tool":"shell_exec"})");
    CHECK(approval_key(call, env_keys) ==
          "bf12da6d1cbc454f0d9f6dca7a3cfa3bcd6fbcfce491689d9e56a5bf15ddb324");
}

TEST_CASE("approval key: documented test vector for file_write") {
    const ToolCall call = write_call("notes/todo.txt", "hello\n");
    CHECK(keyed_text(call, {}) ==
          R"({"request":{"path":"notes/todo.txt","sha256":)"
          R"("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","size":6},)"
          R"("tool":"file_write"})");
    CHECK(approval_key(call, {}) ==
          "e002461aa718b66e51b6e61501e7faeb7ff77daab79ab8d6b634cad5031c487f");
}

TEST_CASE("approval key: the key in the documented exec request example") {
    CHECK(approval_key(shell_call({"rm", "-rf", "build"}, "src"), {"HOME", "PATH"}) ==
          "5021acd61c2927446d9525172ecedf65cbb766691cedb504e1adbd7bc4635794");
}

TEST_CASE("approval key: lowercase hex sha256 of the canonical text") {
    const ToolCall call = shell_call({"ls", "-la"}, "src");
    const std::string key = approval_key(call, {"LANG"});
    CHECK(key == sha256_hex(keyed_text(call, {"LANG"})));
    CHECK(key.size() == 64);
    CHECK(key.find_first_not_of("0123456789abcdef") == std::string::npos);
}

TEST_CASE("approval key: env values do not change a key, env keys do") {
    const ToolCall call = shell_call({"make"});
    const std::map<std::string, std::string> env_a = {{"PATH", "/usr/bin"}, {"TOKEN", "s3cret"}};
    const std::map<std::string, std::string> env_b = {{"PATH", "/opt/bin"}, {"TOKEN", "other"}};
    const std::map<std::string, std::string> env_c = {{"PATH", "/usr/bin"}, {"TOKEN2", "s3cret"}};
    CHECK(approval_key(call, keys_of(env_a)) == approval_key(call, keys_of(env_b)));
    CHECK(approval_key(call, keys_of(env_a)) != approval_key(call, keys_of(env_c)));
    CHECK(approval_key(call, {"PATH"}) != approval_key(call, {"PATH", "TOKEN"}));
    CHECK(keyed_text(call, keys_of(env_a)).find("s3cret") == std::string::npos);
    // Order and repetition of the keys do not matter: they are a set.
    CHECK(approval_key(call, {"TOKEN", "PATH", "PATH"}) == approval_key(call, {"PATH", "TOKEN"}));
}

TEST_CASE("approval key: content changes change a file_write key") {
    const auto base = approval_key(write_call("a.txt", "hello\n"), {});
    CHECK(base == approval_key(write_call("a.txt", "hello\n"), {}));
    CHECK(base != approval_key(write_call("a.txt", "hellO\n"), {}));
    CHECK(base != approval_key(write_call("a.txt", "hello\n\n"), {}));
    CHECK(base != approval_key(write_call("b.txt", "hello\n"), {}));
    // The content itself is never part of the keyed text, only its digest and size.
    CHECK(keyed_text(write_call("a.txt", "SECRET-CONTENT"), {}).find("SECRET") ==
          std::string::npos);
}

TEST_CASE("approval key: every sanitized shell_exec field matters") {
    const auto base = approval_key(shell_call({"rm", "-rf", "build"}, "src"), {"PATH"});
    CHECK(base != approval_key(shell_call({"rm", "-rf", "build2"}, "src"), {"PATH"}));
    CHECK(base != approval_key(shell_call({"rm", "-rf", "build", "x"}, "src"), {"PATH"}));
    CHECK(base != approval_key(shell_call({"rm", "-rf", "build"}, "lib"), {"PATH"}));
    CHECK(base != approval_key(shell_call({"rm", "-rf", "build"}, ""), {"PATH"}));
    CHECK(base != approval_key(shell_call({"rm", "-rf", "build"}, "src"), {}));
    // Word boundaries are part of the key.
    CHECK(approval_key(shell_call({"a b"}), {}) != approval_key(shell_call({"a", "b"}), {}));
}

TEST_CASE("approval key: the workspace root is \"\" whether written \"\", \".\" or \"./\"") {
    const auto root = approval_key(shell_call({"ls"}, ""), {});
    CHECK(root == approval_key(shell_call({"ls"}, "."), {}));
    CHECK(root == approval_key(shell_call({"ls"}, "./"), {}));
    CHECK(root != approval_key(shell_call({"ls"}, "./src"), {}));
}

TEST_CASE("approval key: a shell string is keyed as the argv that runs it") {
    ToolCall shell = shell_call({});
    shell.shell = "ls | wc -l";
    CHECK(approval_key(shell, {}) == approval_key(shell_call({"/bin/sh", "-c", "ls | wc -l"}), {}));
    CHECK(approval_key(shell, {}) != approval_key(shell_call({"ls", "|", "wc", "-l"}), {}));
}

TEST_CASE("approval key: file_read with and without max_bytes, and tools differ") {
    ToolCall read;
    read.tool = Tool::file_read;
    read.path = "a.txt";
    const auto unlimited = approval_key(read, {});
    CHECK(keyed_text(read, {}) == R"({"request":{"path":"a.txt"},"tool":"file_read"})");
    read.max_bytes = 100;
    CHECK(keyed_text(read, {}) ==
          R"({"request":{"max_bytes":100,"path":"a.txt"},"tool":"file_read"})");
    CHECK(approval_key(read, {}) != unlimited);
    ToolCall other = read;
    other.max_bytes = 101;
    CHECK(approval_key(read, {}) != approval_key(other, {}));
    ToolCall written = read;
    written.tool = Tool::file_write;
    CHECK(approval_key(written, {}) != approval_key(read, {}));
}

TEST_CASE("approval key: invalid UTF-8 is kept exactly, as hex, without collisions") {
    const ToolCall bad = shell_call({"cat", std::string("f\xff")});
    CHECK(keyed_text(bad, {}).find(R"({"hex":"66ff"})") != std::string::npos);
    CHECK(approval_key(bad, {}) != approval_key(shell_call({"cat", std::string("f\xfe")}), {}));
    // Not the same as the replacement character, nor as the literal object text.
    CHECK(approval_key(bad, {}) != approval_key(shell_call({"cat", "f\xef\xbf\xbd"}), {}));
    CHECK(approval_key(bad, {}) != approval_key(shell_call({"cat", R"({"hex":"66ff"})"}), {}));
}

TEST_CASE("exec request document: no env values, no file content") {
    ApprovalRequest request = request_for(write_call("notes/a.txt", "TOP-SECRET-CONTENT"));
    const std::string doc = request_document(request).dump();
    CHECK(doc.find("TOP-SECRET") == std::string::npos);
    const auto parsed = nlohmann::json::parse(doc);
    CHECK(parsed["tool"] == "file_write");
    CHECK(parsed["request"]["path"] == "notes/a.txt");
    CHECK(parsed["request"]["size"] == 18);
    CHECK(parsed["key"] == request.key);
    CHECK(parsed["policy"]["rule"] == "ask-rm");
    CHECK(parsed["risk"]["level"] == "high");
    CHECK(parsed["risk"]["reasons"][0]["id"] == "rm_recursive");
}

namespace {
ApprovalRequest network_ask(std::string host, std::uint16_t port, const ToolCall& call) {
    ApprovalRequest request;
    request.call = call;
    request.network = NetworkDestination{std::move(host), port};
    request.verdict.decision = policy::Decision::ask;
    request.verdict.rule = "unknown";
    request.verdict.reason = "not on the policy's allow list: needs an approval";
    request.key = request_key(request);
    return request;
}
}  // namespace

TEST_CASE("approval key: a network destination has one key per host and port, whatever the call") {
    const auto a = network_ask("pypi.org", 443, shell_call({"pip", "install", "x"}));
    // The documented vector: printf '%s' '{"request":{"host":"pypi.org","port":443},
    // "tool":"network"}' | sha256sum
    CHECK(a.key == "7599f08b8514f22a7979e3098727272aa57601fa24dc77abcd80bbc38a8b4200");
    CHECK(network_approval_key({"pypi.org", 443}) == a.key);
    CHECK(network_ask("pypi.org", 443, shell_call({"curl", "x"})).key == a.key);
    CHECK(network_ask("pypi.org", 80, shell_call({"pip"})).key != a.key);
    CHECK(network_ask("files.pythonhosted.org", 443, shell_call({"pip"})).key != a.key);
    // Never the key of a call, even one whose request looks alike.
    CHECK(a.key != approval_key(shell_call({"pypi.org"}), {}));
}

TEST_CASE("exec request document for a network destination: host, port and program only") {
    const auto request = network_ask(
        "example.org", 8443, shell_call({"curl", "https://example.org:8443/p?token=SECRET"}));
    const auto doc = request_document(request);
    CHECK(doc["tool"] == "network");
    CHECK(doc["request"] == nlohmann::json{{"host", "example.org"}, {"port", 8443}});
    CHECK(doc["for_call"] == nlohmann::json{{"tool", "shell_exec"}, {"program", "curl"}});
    CHECK(doc["call_id"] == "c1");
    CHECK(doc["policy"]["rule"] == "unknown");
    CHECK(doc["key"] == request.key);
    CHECK_FALSE(doc.contains("risk"));
    CHECK(doc.dump().find("SECRET") == std::string::npos);
    CHECK(doc.dump().find("/p") == std::string::npos);
    // Positive control: the call's own request document does carry its arguments.
    CHECK(request_document(request_for(request.call)).dump().find("SECRET") != std::string::npos);
}
