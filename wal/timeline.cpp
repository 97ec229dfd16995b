#include "wal/timeline.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "platform/shell_quote.hpp"

namespace airlock::wal {

namespace {

using ojson = nlohmann::ordered_json;

// Log content comes from commands and agents: control characters (and the C1 range) are shown
// escaped so that nothing in a log can move the cursor or recolour the terminal.
std::string printable(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        const bool c1 = c == 0xc2 && i + 1 < s.size() &&
                        static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
                        static_cast<unsigned char>(s[i + 1]) <= 0x9f;
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f || c1) {
            const unsigned code = c1 ? static_cast<unsigned char>(s[++i]) : c;
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", code);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// A field as text whatever its type; empty when absent.
std::string text(const ojson& data, const char* key) {
    if (!data.is_object() || !data.contains(key)) return {};
    const ojson& v = data[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return {};
    return v.dump();
}

bool flag(const ojson& data, const char* key) {
    return data.is_object() && data.contains(key) && data[key].is_boolean() &&
           data[key].get<bool>();
}

std::string command_of(const ojson& data) {
    if (data.contains("shell")) return text(data, "shell");
    if (!data.contains("argv") || !data["argv"].is_array()) return {};
    std::string out;
    for (const auto& arg : data["argv"]) {
        if (!out.empty()) out += ' ';
        out += shell_quote(arg.is_string() ? arg.get<std::string>() : arg.dump());
    }
    return out;
}

std::string join(const ojson& list) {
    std::string out;
    if (!list.is_array()) return out;
    for (const auto& item : list) {
        if (!out.empty()) out += ", ";
        out += item.is_string() ? item.get<std::string>() : item.dump();
    }
    return out;
}

std::string milliseconds(std::int64_t micros) {
    char buf[32];
    if (micros < 10000000)
        std::snprintf(buf, sizeof buf, "%lld ms", static_cast<long long>(micros / 1000));
    else
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(micros) / 1e6);
    return buf;
}

void describe_call_received(const ojson& d, TimelineEntry& e) {
    const std::string tool = text(d, "tool");
    if (d.contains("decoded") && !flag(d, "decoded")) {
        e.detail = tool + " (not a valid request)";
        e.tone = Tone::bad;
    } else if (tool == "shell_exec") {
        e.detail = "shell_exec: " + command_of(d);
        if (!text(d, "cwd").empty()) e.detail += "  (cwd " + text(d, "cwd") + ")";
    } else if (tool == "file_write") {
        e.detail = "file_write " + text(d, "path") + " (" + text(d, "size") + " bytes)";
    } else {
        e.detail = tool + " " + text(d, "path");
    }
}

void describe_decision(const ojson& d, TimelineEntry& e) {
    const std::string decision = text(d, "decision");
    e.detail = decision;
    if (!text(d, "rule").empty()) e.detail += " by rule " + text(d, "rule");
    if (!text(d, "reason").empty()) e.detail += ": " + text(d, "reason");
    e.tone = decision == "allow" ? Tone::good : decision == "ask" ? Tone::attention : Tone::bad;
}

// "network HOST:PORT: " for an approval about a network destination, else "".
std::string network_prefix(const ojson& d) {
    if (!d.is_object() || !d.contains("network")) return {};
    return "network " + text(d["network"], "host") + ":" + text(d["network"], "port") + ": ";
}

void describe_answer(const ojson& d, TimelineEntry& e) {
    const std::string decision = text(d, "decision");
    e.detail = network_prefix(d) + decision + " by " + text(d, "provider");
    if (!text(d, "seconds").empty()) e.detail += " after " + text(d, "seconds") + " s";
    if (flag(d, "from_session_cache")) e.detail += " (remembered for the session)";
    if (flag(d, "loop_guard")) e.detail += " (loop guard: the run is aborted)";
    if (!text(d, "reason").empty()) e.detail += ": " + text(d, "reason");
    e.tone = decision.rfind("allow", 0) == 0 ? Tone::good : Tone::bad;
}

void describe_exec_finished(const ojson& d, TimelineEntry& e) {
    e.detail = "exit " + text(d, "exit_code");
    const std::string signal = text(d, "signal");
    if (!signal.empty() && signal != "0") e.detail += ", signal " + signal;
    if (flag(d, "timed_out")) e.detail += ", timed out";
    if (!text(d, "duration_ms").empty()) e.detail += ", " + text(d, "duration_ms") + " ms";
    for (const char* stream : {"stdout", "stderr"})
        if (d.contains(stream) && d[stream].is_object())
            e.detail += std::string(", ") + stream + " " + text(d[stream], "bytes") + " bytes" +
                        (flag(d[stream], "truncated") ? " (truncated)" : "");
    e.tone = text(d, "exit_code") == "0" && !flag(d, "timed_out") ? Tone::good : Tone::bad;
}

void describe(const Record& r, TimelineEntry& e) {
    const ojson& d = r.data;
    const std::string& t = r.type;
    if (t == "run_started") {
        e.detail = "airlock " + text(d, "airlock_version") + " as " + text(d, "user") + "@" +
                   text(d, "host") + " (pid " + text(d, "pid") + ") in " + text(d, "workspace");
    } else if (t == "policy_loaded") {
        e.detail =
            join(d.value("layers", ojson::array())) + "  digest " + text(d, "digest").substr(0, 12);
    } else if (t == "approver_ready") {
        e.detail = "provider " + text(d, "provider");
    } else if (t == "config_error") {
        e.detail = text(d, "stage") + ": " + text(d, "message");
        e.tone = Tone::bad;
    } else if (t == "call_received") {
        describe_call_received(d, e);
    } else if (t == "risk_scored") {
        e.detail = text(d, "level") + " (score " + text(d, "score") + ")";
        std::string reasons;
        for (const auto& reason : d.value("reasons", ojson::array())) {
            if (!reasons.empty()) reasons += "; ";
            reasons += reason.is_object()   ? text(reason, "id") + ": " + text(reason, "message")
                       : reason.is_string() ? reason.get<std::string>()
                                            : reason.dump();
        }
        if (!reasons.empty()) e.detail += ": " + reasons;
        const std::string level = text(d, "level");
        e.tone = level == "high" || level == "critical" ? Tone::attention : Tone::plain;
    } else if (t == "policy_decided") {
        describe_decision(d, e);
    } else if (t == "approval_requested") {
        e.detail =
            network_prefix(d) + "asking " + text(d, "provider") + " (rule " + text(d, "rule") + ")";
        e.tone = Tone::attention;
    } else if (t == "approval_answered") {
        describe_answer(d, e);
    } else if (t == "input_required") {
        e.detail = "waiting for the client's retry with the answer (state good for " +
                   text(d, "ttl_ms") + " ms)";
        e.tone = Tone::attention;
    } else if (t == "request_state_rejected") {
        e.detail = "refused a retry (request " + text(d, "id") + "): " + text(d, "reason") + ": " +
                   text(d, "message");
        e.tone = Tone::bad;
    } else if (t == "sandbox_prepared") {
        e.detail = text(d, "adapter") + (flag(d, "active") ? "" : " (no sandbox)");
        e.tone = flag(d, "active") ? Tone::plain : Tone::attention;
    } else if (t == "exec_started") {
        e.detail = "in " + text(d, "adapter") + ", timeout " + text(d, "timeout_ms") + " ms";
    } else if (t == "exec_finished") {
        describe_exec_finished(d, e);
    } else if (t == "exec_not_started") {
        e.detail = "exit " + text(d, "exit_code") + ": " + text(d, "message");
        e.tone = Tone::bad;
    } else if (t == "sandbox_denied" || t == "exec_failed") {
        e.detail = text(d, "message");
        e.tone = Tone::bad;
    } else if (t == "network_request") {
        const bool allowed = text(d, "decision") == "allow";
        e.detail = text(d, "protocol") + " " + text(d, "host") + ":" + text(d, "port") +
                   (text(d, "address").empty() ? "" : " (" + text(d, "address") + ")") + ": " +
                   (allowed ? "allowed, " + text(d, "bytes_up") + " bytes up, " +
                                  text(d, "bytes_down") + " down"
                            : "refused: " + text(d, "reason"));
        e.tone = allowed ? Tone::plain : Tone::bad;
    } else if (t == "file_written") {
        e.detail = text(d, "path") + ", " + text(d, "bytes") + " bytes" +
                   (flag(d, "created") ? ", created" : ", replaced");
    } else if (t == "file_read") {
        e.detail = text(d, "path") + ", " + text(d, "bytes") + " bytes" +
                   (flag(d, "truncated") ? " (truncated)" : "");
    } else if (t == "call_finished") {
        const std::string status = text(d, "status");
        e.detail = status + ", exit " + text(d, "exit_code");
        if (!text(d, "stage").empty())
            e.detail += " (" + text(d, "stage") + ": " + text(d, "message") + ")";
        e.tone = status == "ok" ? Tone::good : Tone::bad;
    } else if (t == "run_finished" || t == "run_aborted") {
        const std::string calls = text(d, "calls");
        e.detail = calls + (calls == "1" ? " call, " : " calls, ") + text(d, "blocked_or_failed") +
                   " blocked or failed";
        if (!text(d, "reason").empty()) e.detail += ": " + text(d, "reason");
        e.tone = t == "run_finished" ? Tone::plain : Tone::bad;
    } else {
        e.detail = d.dump(-1, ' ', false, ojson::error_handler_t::replace);
    }
}

const char* ansi(Tone tone) {
    switch (tone) {
        case Tone::good:
            return "\x1b[32m";
        case Tone::attention:
            return "\x1b[33m";
        case Tone::bad:
            return "\x1b[31m";
        case Tone::plain:
            break;
    }
    return "";
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

}  // namespace

TimelineEntry Timeline::add(const Record& r) {
    TimelineEntry e;
    e.time = r.ts.substr(11, 12);  // HH:MM:SS.mmm
    e.call = r.call_id;
    e.event = r.type;
    describe(r, e);
    const auto micros = parse_record_time(r.ts);
    if (r.type == "call_received" && micros) call_started_[r.call_id] = *micros;
    if (r.type == "call_finished" && micros) {
        if (auto it = call_started_.find(r.call_id); it != call_started_.end()) {
            e.detail += ", call took " + milliseconds(*micros - it->second);
            call_started_.erase(it);
        }
    }
    e.detail = printable(e.detail);
    e.call = printable(e.call);
    return e;
}

std::string render(const TimelineEntry& e, bool colour) {
    const std::string dim = colour ? "\x1b[2m" : "";
    const std::string bold = colour ? "\x1b[1m" : "";
    const std::string reset = colour ? "\x1b[0m" : "";
    const std::string tone = colour ? ansi(e.tone) : "";
    return dim + e.time + reset + "  " + pad(e.call.empty() ? "-" : e.call, 4) + "  " + bold +
           pad(e.event, 18) + reset + "  " + tone + e.detail + (tone.empty() ? "" : reset);
}

std::string render_header(const Record& r, bool colour) {
    const std::string bold = colour ? "\x1b[1m" : "";
    const std::string reset = colour ? "\x1b[0m" : "";
    const ojson& d = r.data;
    return bold + "run " + printable(r.run_id) + reset + "  started " + r.ts + "  airlock " +
           printable(text(d, "airlock_version")) + "  " + printable(text(d, "user")) + "@" +
           printable(text(d, "host")) + "  workspace " + printable(text(d, "workspace"));
}

bool stdout_wants_colour() {
    const char* no_colour = std::getenv("NO_COLOR");
    if (no_colour && *no_colour) return false;
    return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace airlock::wal
