// The pure pieces of the 2026-07-28 support and of concise results: the requestState MAC and
// its claims, the era of a request, and the text a model reads.
#include <doctest/doctest.h>

#include <string>

#include "cli/mcp/json_rpc.hpp"
#include "cli/mcp/protocol_era.hpp"
#include "cli/mcp/request_state.hpp"
#include "cli/mcp/tool_results.hpp"

using namespace airlock::mcp;
using airlock::Tool;
using airlock::exec::CallResult;
using airlock::exec::Status;

TEST_CASE("a requestState verifies only unchanged and only in the process that minted it") {
    RequestStateSigner signer;
    const StateClaims claims{call_digest("shell_exec", {{"command", "touch a"}}), random_nonce(),
                             now_ms() + 1000};
    const std::string state = signer.mint(claims);
    const auto ok = signer.verify(state);
    REQUIRE(ok.ok);
    CHECK(ok.claims.call_digest == claims.call_digest);
    CHECK(ok.claims.nonce == claims.nonce);
    CHECK(ok.claims.expires_ms == claims.expires_ms);

    // every single-character change of the state is detected
    int refused = 0;
    for (std::size_t i = 0; i < state.size(); ++i) {
        std::string altered = state;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        if (!signer.verify(altered).ok) ++refused;
    }
    CHECK(refused == static_cast<int>(state.size()));
    // The MAC's last character carries 2 bits no byte uses: a change there alone is refused
    // too (a lenient decoder would ignore it); its other bits are the positive control.
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const auto last_flipped = [&](unsigned bit) {
        std::string altered = state;
        altered.back() = alphabet[alphabet.find(state.back()) ^ bit];
        return altered;
    };
    CHECK_FALSE(signer.verify(last_flipped(1)).ok);
    CHECK_FALSE(signer.verify(last_flipped(4)).ok);

    RequestStateSigner other;  // another server process: another key
    const auto foreign = other.verify(state);
    CHECK_FALSE(foreign.ok);
    CHECK(foreign.problem == StateProblem::forged);
    CHECK(signer.verify("").problem == StateProblem::malformed);
    CHECK(signer.verify("no-dot-here").problem == StateProblem::malformed);
    CHECK(signer.verify(std::string(5000, 'a') + ".b").problem == StateProblem::malformed);
}

TEST_CASE("the call digest binds the tool and every argument, not the key order") {
    const json a = json::parse(R"({"command":"touch a","timeout_ms":5})");
    const json b = json::parse(R"({"timeout_ms":5,"command":"touch a"})");
    CHECK(call_digest("shell_exec", a) == call_digest("shell_exec", b));
    CHECK(call_digest("shell_exec", a) != call_digest("file_read", a));
    CHECK(call_digest("shell_exec", a) !=
          call_digest("shell_exec", json::parse(R"({"command":"touch b","timeout_ms":5})")));
    CHECK(random_nonce() != random_nonce());
    CHECK(random_nonce().size() == 32);
}

TEST_CASE("the era of a request comes from its own _meta") {
    const auto era = [](const std::string& line) { return read_request_era(parse_message(line)); };
    CHECK(std::holds_alternative<std::monostate>(
        era(R"({"jsonrpc":"2.0","id":1,"method":"tools/list"})")));
    const auto modern = era(
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{"form":{}}}}}})");
    REQUIRE(std::holds_alternative<ModernRequest>(modern));
    CHECK(std::get<ModernRequest>(modern).can_elicit);
    const auto url_only = era(
        R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{"url":{}}}}}})");
    CHECK_FALSE(std::get<ModernRequest>(url_only).can_elicit);
    const auto unknown = era(
        R"({"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2099-01-01","io.modelcontextprotocol/clientCapabilities":{}}}})");
    REQUIRE(std::holds_alternative<RpcFailure>(unknown));
    CHECK(std::get<RpcFailure>(unknown).code == rpc_error::kUnsupportedProtocolVersion);
    CHECK(std::get<RpcFailure>(unknown).data["requested"] == "2099-01-01");
    const auto discover = era(R"({"jsonrpc":"2.0","id":1,"method":"server/discover"})");
    REQUIRE(std::holds_alternative<RpcFailure>(discover));
    CHECK(std::get<RpcFailure>(discover).code == rpc_error::kInvalidParams);
}

namespace {
CallResult ran(std::string out, std::string err, int exit_code) {
    CallResult r;
    r.status = exit_code == 0 ? Status::ok : Status::failed;
    r.exit_code = exit_code;
    r.stdout_bytes = std::move(out);
    r.stderr_bytes = std::move(err);
    r.stage = exit_code == 0 ? "" : "exec";
    return r;
}
}  // namespace

TEST_CASE("concise text: the output, stderr when there is some, the exit status when not 0") {
    const CallFacts shell{Tool::shell_exec, "", 0};
    CHECK(concise_text(ran("hi\n", "", 0), shell) == "hi\n");
    CHECK(concise_text(ran("", "", 0), shell) == "(no output)");
    CHECK(concise_text(ran("a", "b\n", 0), shell) == "a\n[stderr]\nb\n");
    CHECK(concise_text(ran("", "oops\n", 2), shell) == "[stderr]\noops\n[exit status 2]");
    CallResult cut = ran(std::string(100, 'x'), "", 0);
    cut.stdout_truncated = true;
    cut.stdout_dropped = 4096;
    const std::string text = concise_text(cut, shell);
    CHECK(text.find("cut at 100 bytes; 4096 more bytes were not kept") != std::string::npos);
    CHECK(text.find("file_read") != std::string::npos);
    CHECK(concise_text(ran("", "", 0), {Tool::file_write, "notes/a.txt", 12}) ==
          "Wrote 12 bytes to notes/a.txt.");
}

TEST_CASE("concise text: a block is one line with the stage and the reason") {
    CallResult denied;
    denied.status = Status::denied;
    denied.exit_code = 126;
    denied.stage = "policy";
    denied.message = "no downloads\nsecond line";
    airlock::policy::Verdict verdict;
    verdict.rule = "no-curl";
    denied.decision = verdict;
    const std::string text = concise_text(denied, {});
    CHECK(text.find('\n') == std::string::npos);
    CHECK(text.find("stage policy") != std::string::npos);
    CHECK(text.find("no-curl") != std::string::npos);
    const json full = tool_call_result(denied, {}, ResultText::full);
    CHECK(json::parse(full["content"].back()["text"].get<std::string>())["status"] == "denied");
    CHECK(full["isError"] == true);
}
