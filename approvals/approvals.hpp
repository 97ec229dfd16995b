// Approvals: who answers when the policy says "ask", and what an approval covers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "guard/guard.hpp"
#include "platform/result.hpp"
#include "platform/tool_call.hpp"
#include "policy/policy.hpp"

namespace airlock::approvals {

enum class ApprovalDecision { approved, approved_for_session, denied, abort, timed_out };

std::string_view decision_name(ApprovalDecision decision);
// The inverse of decision_name; nullopt for anything else (including different case).
std::optional<ApprovalDecision> parse_decision(std::string_view name);
bool grants(ApprovalDecision decision);  // approved or approved_for_session

// A network destination the policy asks about ("unknown": "ask"): only the host and the port,
// never a URL's path or query, headers or bodies.
struct NetworkDestination {
    std::string host;  // as the command named it (a name or an IP literal), lower case
    std::uint16_t port = 0;
};

// Everything a person needs to decide, as plain data. Never contains env values.
struct ApprovalRequest {
    ToolCall call;  // with `network`: the call whose command connects (shown for context)
    std::vector<std::string> env_keys;  // sorted keys of the environment the command gets
    guard::Assessment risk;
    policy::Verdict verdict;
    std::string key;  // request_key(*this)
    // Set: the ask is about this destination, not about the call itself.
    std::optional<NetworkDestination> network;
};

struct ApprovalAnswer {
    ApprovalDecision decision = ApprovalDecision::denied;
    std::string reason;
    std::string provider;
    double seconds = 0;  // how long the answer took
};

class Provider {
  public:
    virtual ~Provider() = default;
    virtual std::string name() const = 0;
    virtual ApprovalAnswer ask(const ApprovalRequest& request) = 0;
};

struct ProviderOptions {
    int timeout_seconds = 300;  // tty and exec: no answer in time -> timed_out (must be > 0)
    // tty: colour. nullopt = automatic (TERM set and not "dumb", NO_COLOR unset or empty).
    std::optional<bool> color{};
    // web: the workspace whose `airlock ui` answers (its .airlock/ui/approvals.sock).
    std::filesystem::path workspace{};
};

// "tty", "deny", "allow", "exec:PROGRAM", "web". A provider that cannot work here (no terminal,
// missing program, unknown name) is an Error with stage "config" — never a silent fallback.
Result<std::unique_ptr<Provider>> make_provider(std::string_view spec,
                                                const ProviderOptions& options);

// The provider used when --approve is not given: tty when a terminal is attached, else deny.
std::string default_provider_spec();

// sha256(canonical_json({"tool": ..., "request": sanitized_request})), lowercase hex.
// The exact form is in docs/APPROVALS.md; env_keys are sorted and deduplicated here.
std::string approval_key(const ToolCall& call, const std::vector<std::string>& env_keys);

// The request object inside the key: what an approval covers, without secrets.
//   shell_exec: {"argv": effective argv, "cwd": cwd ("" for the workspace root), "env_keys": [...]}
//   file_write: {"path", "sha256" of the content, "size" in bytes}
//   file_read:  {"path", "max_bytes" (only when set)}
// A string that is not valid UTF-8 appears as {"hex": "<lowercase hex of its bytes>"}.
nlohmann::json sanitized_request(const ToolCall& call, const std::vector<std::string>& env_keys);

// A network destination's key: sha256(canonical_json({"tool": "network", "request":
// {"host": host, "port": port}})). One key per host and port, whatever the call.
std::string network_approval_key(const NetworkDestination& destination);
nlohmann::json network_request(const NetworkDestination& destination);

// What a network ask shows of the call whose command connects: its program only (the rest of
// the command line may hold URLs with paths and queries). "" when the call runs no program.
std::string program_of(const ToolCall& call);

// The key of what a request asks about: the destination's, or the call's.
std::string request_key(const ApprovalRequest& request);

struct Outcome {
    ApprovalAnswer answer;
    bool from_session_cache = false;  // answered by an earlier approved_for_session
    bool loop_guard = false;          // this answer tripped (or met) the loop guard
};

// Per run (or per server session): the session cache and the loop guard around a provider.
// Thread-safe: concurrent calls may ask at once; the mutex is never held while a provider asks.
// Concurrent asks for the same key are serialised: the later one waits for the pending answer,
// then is answered from the session cache (if that answer was approved_for_session) or asked.
class Approver {
  public:
    Approver(std::unique_ptr<Provider> provider, policy::ApprovalSettings settings);
    // The key is recomputed from request.call and request.env_keys; request.key is not trusted.
    // Once the run is aborted every decision is `denied` without asking.
    Outcome decide(const ApprovalRequest& request);
    bool run_aborted() const;  // abort answered, or the loop guard tripped
    // "" while the run goes on, "abort" (a provider answered abort) or "loop_guard".
    std::string abort_reason() const;
    std::string provider_name() const;

  private:
    Outcome refused_locked() const;

    std::unique_ptr<Provider> provider_;
    policy::ApprovalSettings settings_;
    mutable std::mutex mutex_;
    std::condition_variable answered_;  // a pending ask finished
    std::set<std::string> pending_keys_;
    std::set<std::string> session_keys_;
    std::map<std::string, int> denials_;
    bool aborted_ = false;
    std::string abort_reason_;
};

}  // namespace airlock::approvals
