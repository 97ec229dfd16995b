#include "approvals/prompt_text.hpp"

#include "approvals/display_text.hpp"
#include "platform/sha256.hpp"

namespace airlock::approvals {

namespace {

constexpr std::size_t kPreviewLines = 10;
constexpr std::size_t kPreviewColumns = 120;
constexpr std::size_t kSummaryReasons = 5;

struct Paint {
    bool on;
    std::string operator()(const char* sgr, const std::string& text) const {
        if (!on) return text;
        return std::string("\x1b[") + sgr + "m" + text + "\x1b[0m";
    }
};

const char* level_colour(guard::Level level) {
    switch (level) {
        case guard::Level::low:
            return "32";  // green
        case guard::Level::medium:
            return "33";  // yellow
        case guard::Level::high:
            return "31";  // red
        case guard::Level::critical:
            return "1;31";
    }
    return "1;31";
}

std::string field(const Paint& paint, const char* name, const std::string& value) {
    std::string label = name;
    label.resize(10, ' ');
    return "  " + paint("1", label) + value + "\n";
}

std::string cwd_text(const std::string& cwd) {
    if (cwd.empty() || cwd == "." || cwd == "./") return ". (workspace root)";
    return printable(cwd);
}

std::string preview_block(const Preview& preview, const std::string& indent) {
    if (preview.binary) return indent + "(binary content, not shown)\n";
    std::string out;
    for (const auto& line : preview.lines)
        out += indent + "| " + line + "\n";
    if (preview.omitted_lines > 0)
        out += indent + "... " + std::to_string(preview.omitted_lines) + " more line(s)\n";
    return out;
}

std::string command_lines(const ToolCall& call, const Paint& paint) {
    if (call.shell) {
        const Preview script = preview_text(*call.shell, kPreviewLines, kPreviewColumns);
        if (!script.binary && script.lines.size() == 1 && script.omitted_lines == 0)
            return field(paint, "command", paint("1", script.lines.front()) + "  (via /bin/sh -c)");
        return field(paint, "command", "shell script (via /bin/sh -c):") +
               preview_block(script, "            ");
    }
    return field(paint, "command", paint("1", printable(shell_words(call.argv))));
}

std::string risk_text(const guard::Assessment& risk, const Paint& paint) {
    return paint(level_colour(risk.level), std::string(guard::level_name(risk.level)));
}

std::string reason_line(const guard::Reason& r, const Paint& paint) {
    return "            - " + printable(r.id) + " (" +
           paint(level_colour(r.level), std::string(guard::level_name(r.level))) +
           "): " + printable(r.message) + "\n";
}

std::string policy_text(const policy::Verdict& verdict) {
    std::string out = "rule \"" + printable(verdict.rule) + "\" says " +
                      std::string(policy::decision_name(verdict.decision));
    if (!verdict.reason.empty()) out += ": " + printable(verdict.reason);
    return out;
}

// A network destination: host and port, and the program that connects (never its arguments,
// which may hold a URL's path or query).
std::string network_summary(const ApprovalRequest& request, const Paint& paint, bool details) {
    const ToolCall& call = request.call;
    const NetworkDestination& d = *request.network;
    std::string out = "\n";
    out += paint("1;7", " airlock: network approval needed ");
    if (!call.call_id.empty()) out += " call " + printable(call.call_id);
    out += "\n";
    out += field(paint, "host", paint("1", printable(d.host)));
    out += field(paint, "port", std::to_string(d.port));
    if (call.tool == Tool::shell_exec) out += field(paint, "program", printable(program_of(call)));
    out += field(paint, "policy", policy_text(request.verdict));
    out += field(paint, "key", details ? request.key : paint("2", request.key.substr(0, 16)));
    return out;
}

}  // namespace

std::string render_summary(const ApprovalRequest& request, const PromptStyle& style) {
    const Paint paint{style.color};
    if (request.network) return network_summary(request, paint, false);
    const ToolCall& call = request.call;
    std::string out = "\n";
    out += paint("1;7", " airlock: approval needed ");
    if (!call.call_id.empty()) out += " call " + printable(call.call_id);
    out += "\n";
    out += field(paint, "tool", std::string(tool_name(call.tool)));
    switch (call.tool) {
        case Tool::shell_exec:
            out += command_lines(call, paint);
            out += field(paint, "cwd", cwd_text(call.cwd));
            break;
        case Tool::file_write:
            out += field(paint, "path", paint("1", printable(call.path)));
            out += field(paint, "content", std::to_string(call.content.size()) + " bytes");
            out += preview_block(preview_text(call.content, kPreviewLines, kPreviewColumns),
                                 "            ");
            break;
        case Tool::file_read: {
            std::string what = paint("1", printable(call.path));
            if (call.max_bytes) what += "  (at most " + std::to_string(*call.max_bytes) + " bytes)";
            out += field(paint, "path", what);
            break;
        }
    }
    std::string risk = risk_text(request.risk, paint);
    if (request.risk.reasons.empty()) risk += " (no specific reason)";
    out += field(paint, "risk", risk);
    for (std::size_t i = 0; i < request.risk.reasons.size() && i < kSummaryReasons; ++i)
        out += reason_line(request.risk.reasons[i], paint);
    if (request.risk.reasons.size() > kSummaryReasons) {
        out += "            ... " + std::to_string(request.risk.reasons.size() - kSummaryReasons) +
               " more (? for details)\n";
    }
    out += field(paint, "policy", policy_text(request.verdict));
    out += field(paint, "key", paint("2", request.key.substr(0, 16)));
    return out;
}

std::string render_choices(const PromptStyle& style) {
    const Paint paint{style.color};
    return paint("1", "Allow?") + " [y] once  [s] for this session  [n] deny  [a] abort run  " +
           "[?] details  (" + std::to_string(style.timeout_seconds) + " s) ";
}

std::string render_details(const ApprovalRequest& request, const PromptStyle& style) {
    const Paint paint{style.color};
    if (request.network) return network_summary(request, paint, true);
    const ToolCall& call = request.call;
    std::string out = "\n";
    out += paint("1", "details");
    out += "\n";
    if (!call.call_id.empty()) out += field(paint, "call id", printable(call.call_id));
    switch (call.tool) {
        case Tool::shell_exec: {
            const auto argv = effective_argv(call);
            for (std::size_t i = 0; i < argv.size(); ++i) {
                out += field(paint, ("argv[" + std::to_string(i) + "]").c_str(),
                             printable(shell_words({argv[i]})));
            }
            out += field(paint, "cwd", cwd_text(call.cwd));
            std::string keys;
            for (const auto& k : request.env_keys) {
                if (!keys.empty()) keys += ' ';
                keys += printable(k);
            }
            out += field(paint, "env keys", keys.empty() ? "(none)" : keys);
            break;
        }
        case Tool::file_write:
            out += field(paint, "path", printable(call.path));
            out += field(paint, "size", std::to_string(call.content.size()) + " bytes");
            out += field(paint, "sha256", sha256_hex(call.content));
            break;
        case Tool::file_read:
            out += field(paint, "path", printable(call.path));
            out += field(paint, "max bytes",
                         call.max_bytes ? std::to_string(*call.max_bytes) : "(no limit)");
            break;
    }
    out += field(
        paint, "risk",
        risk_text(request.risk, paint) + " (score " + std::to_string(request.risk.score) + ")");
    for (const auto& r : request.risk.reasons)
        out += reason_line(r, paint);
    out += field(paint, "policy", policy_text(request.verdict));
    for (const auto& m : request.verdict.matched) {
        out += "            - " + printable(m.rule) + " -> " +
               std::string(policy::decision_name(m.decision)) + " (" + printable(m.layer) + ")";
        if (!m.reason.empty()) out += ": " + printable(m.reason);
        out += "\n";
    }
    out += field(paint, "key", request.key);
    return out;
}

}  // namespace airlock::approvals
