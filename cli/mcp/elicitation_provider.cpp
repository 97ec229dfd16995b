#include "cli/mcp/elicitation_provider.hpp"

#include <chrono>
#include <sstream>

#include "approvals/display_text.hpp"
#include "cli/mcp/call_registry.hpp"

namespace airlock::mcp {

namespace {

using approvals::ApprovalAnswer;
using approvals::ApprovalDecision;
using Clock = std::chrono::steady_clock;

constexpr const char* kName = "elicitation";

std::string describe_call(const approvals::ApprovalRequest& r) {
    using approvals::printable;
    std::ostringstream out;
    const ToolCall& call = r.call;
    if (r.network) {
        // Only the host and port: never the path, query or headers of what is requested.
        out << "airlock asks for approval of a network connection.\n";
        out << "Host: " << printable(r.network->host) << "\nPort: " << r.network->port << "\n";
        out << "For call " << printable(call.call_id);
        if (call.tool == Tool::shell_exec)
            out << " (" << printable(approvals::program_of(call)) << ")";
        out << "\nPolicy rule: \"" << printable(r.verdict.rule) << "\"";
        if (!r.verdict.reason.empty()) out << ": " << printable(r.verdict.reason);
        out << "\nApprove? once: this call's connections to this host and port; session: for "
               "the rest of this session.";
        return out.str();
    }
    out << "airlock asks for approval of a tool call.\n";
    out << "Tool: " << tool_name(call.tool) << "\n";
    switch (call.tool) {
        case Tool::shell_exec:
            out << "Command: "
                << printable(call.shell ? *call.shell : approvals::shell_words(call.argv)) << "\n";
            out << "Working directory: "
                << (call.cwd.empty() ? std::string("the workspace root") : printable(call.cwd))
                << "\n";
            break;
        case Tool::file_write: {
            out << "Path: " << printable(call.path) << " (" << call.content.size() << " bytes)\n";
            const auto preview = approvals::preview_text(call.content, 8, 120);
            if (preview.binary) {
                out << "Content: binary\n";
            } else {
                for (const auto& line : preview.lines)
                    out << "| " << line << "\n";
                if (preview.omitted_lines)
                    out << "| ... " << preview.omitted_lines << " more lines\n";
            }
            break;
        }
        case Tool::file_read:
            out << "Path: " << printable(call.path) << "\n";
            break;
    }
    out << "Risk: " << guard::level_name(r.risk.level) << " (score " << r.risk.score << ")";
    for (const auto& reason : r.risk.reasons)
        out << "\n  - " << printable(reason.message) << " [" << reason.id << "]";
    out << "\nPolicy rule: \"" << printable(r.verdict.rule) << "\"";
    if (!r.verdict.reason.empty()) out << ": " << printable(r.verdict.reason);
    out << "\nApprove? remember=session approves identical calls for the rest of this session.";
    return out.str();
}

ApprovalAnswer answer(ApprovalDecision decision, std::string reason) {
    return {decision, std::move(reason), kName, 0};
}

class ElicitationProvider final : public approvals::Provider {
  public:
    ElicitationProvider(const ClientState& client, ClientRequests& requests, InputChannel& input,
                        std::unique_ptr<approvals::Provider> fallback, std::string fallback_spec,
                        int timeout_seconds, std::chrono::milliseconds state_ttl)
        : client_(client),
          requests_(requests),
          input_(input),
          fallback_(std::move(fallback)),
          fallback_spec_(std::move(fallback_spec)),
          timeout_seconds_(timeout_seconds),
          state_ttl_(state_ttl.count() > 0 ? state_ttl
                                           : std::chrono::milliseconds(timeout_seconds * 1000LL)) {}

    std::string name() const override {
        return std::string(kName) + " (fallback: " + fallback_spec_ + ")";
    }

    ApprovalAnswer ask(const approvals::ApprovalRequest& request) override {
        const auto started = Clock::now();
        InFlightCall* call = CurrentCall::get();
        ApprovalAnswer a;
        if (call && call->modern)
            a = call->can_elicit ? ask_by_input_required(request, *call) : ask_fallback(request);
        else
            a = client_.can_elicit() ? elicit(request) : ask_fallback(request);
        a.seconds = std::chrono::duration<double>(Clock::now() - started).count();
        return a;
    }

  private:
    ApprovalAnswer ask_fallback(const approvals::ApprovalRequest& request) {
        ApprovalAnswer a = fallback_->ask(request);
        a.provider = "fallback " + a.provider;
        if (a.decision == ApprovalDecision::denied && fallback_spec_ == "deny")
            a.reason =
                "the MCP client cannot ask the user (it did not declare the elicitation "
                "capability) and the fallback provider 'deny' refuses every ask; to allow such "
                "calls add an allow rule for them to a --policy file, or start airlock serve with "
                "--approve-fallback exec:PROGRAM";
        return a;
    }

    // 2026-07-28: the request is answered with the form as an input request; the call waits
    // here, before anything of it ran, for the retry that carries the answer.
    ApprovalAnswer ask_by_input_required(const approvals::ApprovalRequest& request,
                                         InFlightCall& call) {
        if (call.cancelled) return answer(ApprovalDecision::denied, "the call was cancelled");
        const json input_requests = {
            {"approval",
             {{"method", "elicitation/create"}, {"params", elicitation_params(request, true)}}}};
        const auto issued = input_.inputs.open(call.digest, input_requests, state_ttl_);
        const json request_id = input_.calls.park(call, issued.wait_id);
        if (input_.record)
            input_.record("input_required", request.call.call_id,
                          {{"inputs", {"approval"}},
                           {"request_key", request.key},
                           {"ttl_ms", static_cast<long long>(state_ttl_.count())}});
        input_.out.send(
            response(request_id, input_required_result(input_requests, issued.request_state)));
        const auto waited =
            input_.inputs.wait(issued.wait_id, [&call] { return call.cancelled.load(); });
        using End = PendingInputs::End;
        switch (waited.end) {
            case End::answered:
                return read_elicitation_result(waited.responses["approval"]);
            case End::expired:
                return answer(ApprovalDecision::timed_out, "no retry with the answer within " +
                                                               std::to_string(state_ttl_.count()) +
                                                               " ms (the requestState expired)");
            case End::abandoned:
                return answer(ApprovalDecision::denied, "the call was cancelled");
            case End::disconnected:
                break;
        }
        return answer(ApprovalDecision::denied, "the client disconnected");
    }

    ApprovalAnswer elicit(const approvals::ApprovalRequest& request) {
        InFlightCall* call = CurrentCall::get();
        if (call && call->cancelled)
            return answer(ApprovalDecision::denied, "the call was cancelled");
        if (call) call->awaiting_approval = true;
        const auto reply =
            requests_.ask("elicitation/create", elicitation_params(request, client_.sends_mode()),
                          Clock::now() + std::chrono::seconds(timeout_seconds_),
                          [call] { return call && call->cancelled.load(); });
        if (call) call->awaiting_approval = false;
        using Kind = ClientRequests::Reply::Kind;
        switch (reply.kind) {
            case Kind::answered:
                if (reply.error) {
                    const json& e = *reply.error;
                    const std::string message =
                        e.is_object() && e.contains("message") && e["message"].is_string()
                            ? e["message"].get<std::string>()
                            : e.dump();
                    return answer(ApprovalDecision::denied,
                                  "the client could not ask the user: " + message);
                }
                return read_elicitation_result(reply.result);
            case Kind::timed_out:
                return answer(ApprovalDecision::timed_out,
                              "no answer within " + std::to_string(timeout_seconds_) + " s");
            case Kind::abandoned:
                return answer(ApprovalDecision::denied, "the call was cancelled");
            case Kind::disconnected:
                break;
        }
        return answer(ApprovalDecision::denied, "the client disconnected");
    }

    const ClientState& client_;
    ClientRequests& requests_;
    InputChannel& input_;
    std::unique_ptr<approvals::Provider> fallback_;
    std::string fallback_spec_;
    int timeout_seconds_;
    std::chrono::milliseconds state_ttl_;
};

}  // namespace

json elicitation_params(const approvals::ApprovalRequest& request, bool with_mode) {
    json params = {
        {"message", describe_call(request)},
        {"requestedSchema",
         {{"type", "object"},
          {"properties",
           {{"approve",
             {{"type", "boolean"}, {"title", "Approve"}, {"description", "Run this tool call"}}},
            {"remember",
             {{"type", "string"},
              {"title", "Remember"},
              {"description", "once: this call only; session: identical calls in this session"},
              {"enum", {"once", "session"}}}}}},
          {"required", {"approve"}}}}};
    if (with_mode) params["mode"] = "form";
    return params;
}

// Anything but an explicit, well-formed approval is a denial.
ApprovalAnswer read_elicitation_result(const json& result) {
    if (!result.is_object() || !result.contains("action") || !result["action"].is_string())
        return answer(ApprovalDecision::denied, "the client's answer has no action");
    const std::string action = result["action"];
    if (action == "decline") return answer(ApprovalDecision::denied, "the user declined");
    if (action == "cancel")
        return answer(ApprovalDecision::denied, "the user dismissed the question");
    if (action != "accept")
        return answer(ApprovalDecision::denied, "unknown action \"" + action + "\"");
    const json content = result.contains("content") ? result["content"] : json::object();
    if (!content.is_object() || !content.contains("approve") || !content["approve"].is_boolean())
        return answer(ApprovalDecision::denied, "the answer has no boolean \"approve\"");
    std::string remember = "once";
    if (content.contains("remember")) {
        if (!content["remember"].is_string() ||
            (content["remember"] != "once" && content["remember"] != "session"))
            return answer(ApprovalDecision::denied, "\"remember\" must be \"once\" or \"session\"");
        remember = content["remember"];
    }
    if (!content["approve"].get<bool>())
        return answer(ApprovalDecision::denied, "the user declined");
    return remember == "session" ? answer(ApprovalDecision::approved_for_session,
                                          "approved by the user for this session")
                                 : answer(ApprovalDecision::approved, "approved by the user");
}

Result<std::unique_ptr<approvals::Provider>> make_elicitation_provider(
    const ClientState& client, ClientRequests& requests, InputChannel& input,
    const ElicitationOptions& options) {
    approvals::ProviderOptions provider_options;
    provider_options.timeout_seconds = options.timeout_seconds;
    provider_options.workspace = options.workspace;
    auto fallback = approvals::make_provider(options.fallback_spec, provider_options);
    if (!fallback) return fallback.error();
    return std::unique_ptr<approvals::Provider>(std::make_unique<ElicitationProvider>(
        client, requests, input, std::move(fallback).value(), options.fallback_spec,
        options.timeout_seconds, options.request_state_ttl));
}

}  // namespace airlock::mcp
