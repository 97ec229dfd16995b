#include "tests/load/report.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace airlock::load {

namespace {

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * sorted.size()));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

double round2(double v) {
    return std::round(v * 100) / 100;
}

std::size_t zombies(const std::optional<Sample>& s) {
    if (!s) return 0;
    return static_cast<std::size_t>(std::count_if(
        s->tree.begin(), s->tree.end(), [](const ProcessInfo& p) { return p.state == 'Z'; }));
}

json by_outcome(const Report& r) {
    json out = json::object();
    for (Kind k : kAllKinds) {
        json got = json::object();
        std::size_t sent = 0;
        for (const auto& [token, c] : r.sent) {
            if (c.kind != k) continue;
            ++sent;
            if (c.answered) got[c.outcome] = got.value(c.outcome, 0) + 1;
        }
        if (sent > 0)
            out[std::string(kind_name(k))] = {
                {"expected", expected_outcome(k)}, {"sent", sent}, {"got", got}};
    }
    return out;
}

json processes(const std::vector<ProcessInfo>& ps) {
    json out = json::array();
    for (const auto& p : ps)
        out.push_back(describe(p));
    return out;
}

}  // namespace

void judge(Report& r, const Limits& limits) {
    auto& f = r.failures;
    f = r.drive.problems;
    const bool killed = r.drive.killed;
    if (!killed && r.drive.answered != r.calls)
        f.push_back(std::to_string(r.drive.answered) + " of " + std::to_string(r.calls) +
                    " calls answered");
    for (const auto& [token, c] : r.sent)
        if (c.answered && c.outcome != expected_outcome(c.kind))
            f.push_back(token + " (" + std::string(kind_name(c.kind)) + "): answered \"" +
                        c.outcome + "\", expected \"" + expected_outcome(c.kind) + "\"");
    if (r.server_hung) f.push_back("the server did not exit after its stdin was closed");
    if (!killed && !r.server_hung && r.server_exit.status != 0)
        f.push_back("the server exited with status " + std::to_string(r.server_exit.status));
    if (r.drive.end) {
        for (const auto& p : r.drive.end->tree)
            f.push_back("with no call in flight the server still has a child: " + describe(p));
        if (limits.max_fd_growth >= 0 && r.drive.start &&
            r.drive.end->fds - r.drive.start->fds > limits.max_fd_growth)
            f.push_back("open descriptors grew from " + std::to_string(r.drive.start->fds) +
                        " to " + std::to_string(r.drive.end->fds));
        if (limits.max_rss_growth_kib >= 0 && r.drive.start &&
            r.drive.end->rss_kib - r.drive.start->rss_kib > limits.max_rss_growth_kib)
            f.push_back("RSS grew from " + std::to_string(r.drive.start->rss_kib) + " KiB to " +
                        std::to_string(r.drive.end->rss_kib) + " KiB (limit +" +
                        std::to_string(limits.max_rss_growth_kib) + " KiB)");
    }
    // Processes re-parented to the load client that end by themselves (a sandbox's init may
    // outlive bwrap's outer process for a moment; after a SIGKILL the parent-death signals take
    // a moment) are counted, not failures: what is still alive after the grace period is.
    for (const auto& p : r.orphans.leftovers)
        f.push_back("still alive after the grace period (killed now): " + describe(p));
    if (!r.wal_error.empty()) f.push_back(r.wal_error);
    if (r.wal)
        for (const auto& p : r.wal->problems)
            f.push_back("WAL: " + p);
}

json to_json(const Report& r) {
    std::vector<double> lat = r.drive.latency_ms;
    std::sort(lat.begin(), lat.end());
    const auto& d = r.drive;
    json j = {
        {"calls", r.calls},
        {"answered", d.answered},
        {"by_outcome", by_outcome(r)},
        {"seconds", round2(d.seconds)},
        {"calls_per_s", d.seconds > 0 ? round2(d.answered / d.seconds) : 0.0},
        {"latency_ms",
         {{"p50", round2(percentile(lat, 50))},
          {"p90", round2(percentile(lat, 90))},
          {"p99", round2(percentile(lat, 99))},
          {"max", round2(lat.empty() ? 0 : lat.back())}}},
        {"rss_kib",
         {{"start", d.start ? d.start->rss_kib : -1}, {"end", d.end ? d.end->rss_kib : -1}}},
        {"fds", {{"start", d.start ? d.start->fds : -1}, {"end", d.end ? d.end->fds : -1}}},
        {"zombies", {{"start", zombies(d.start)}, {"end", zombies(d.end)}}},
        {"leftovers", (d.end ? d.end->tree.size() : 0) + r.orphans.leftovers.size()},
        {"orphans",
         {{"reaped_during_run", d.orphans_reaped},
          {"exited_within_grace", processes(r.orphans.exited)},
          {"killed_after_grace", processes(r.orphans.leftovers)}}},
        {"killed", d.killed},
        {"server_exit", r.server_hung ? json() : json(r.server_exit.status)},
        {"wal", {{"path", d.wal_path}}},
        {"ok", r.failures.empty()},
        {"failures", r.failures},
    };
    if (r.wal) {
        j["wal"]["records"] = r.wal->records;
        j["wal"]["expected_records"] = r.wal->expected_records;
        j["wal"]["answered_calls_in_log"] = r.wal->answered_in_log;
    }
    return j;
}

std::string to_text(const Report& r) {
    const json j = to_json(r);
    std::ostringstream out;
    out << "airlock-loadgen: " << j["answered"] << " of " << j["calls"] << " calls answered in "
        << j["seconds"] << " s (" << j["calls_per_s"] << " calls/s)"
        << (r.drive.killed ? ", server SIGKILLed" : "") << "\n";
    for (const auto& [kind, o] : j["by_outcome"].items())
        out << "  " << kind << ": " << o["sent"] << " sent, expected \""
            << o["expected"].get<std::string>() << "\", got " << o["got"].dump() << "\n";
    out << "  latency ms: p50 " << j["latency_ms"]["p50"] << ", p90 " << j["latency_ms"]["p90"]
        << ", p99 " << j["latency_ms"]["p99"] << ", max " << j["latency_ms"]["max"] << "\n";
    out << "  server RSS " << j["rss_kib"]["start"] << " -> " << j["rss_kib"]["end"]
        << " KiB, open fds " << j["fds"]["start"] << " -> " << j["fds"]["end"] << ", zombies "
        << j["zombies"]["end"] << ", leftover processes " << j["leftovers"]
        << " (orphans reaped: " << j["orphans"]["reaped_during_run"] << " during the run, "
        << j["orphans"]["exited_within_grace"].size() << " after it)\n";
    if (j["wal"].contains("records"))
        out << "  WAL " << j["wal"]["path"].get<std::string>() << ": " << j["wal"]["records"]
            << " records (" << j["wal"]["expected_records"] << " for a complete session), "
            << j["wal"]["answered_calls_in_log"] << " answered calls matched\n";
    for (const auto& f : r.failures)
        out << "  FAILED: " << f << "\n";
    out << (r.failures.empty() ? "airlock-loadgen: ok\n" : "airlock-loadgen: FAILED\n");
    return out.str();
}

}  // namespace airlock::load
