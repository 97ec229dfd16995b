// The runs list behind `airlock ui`: summaries, outcomes, chain status, and that a run is read
// again only when its log changed.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>

#include "../wal/wal_files.hpp"
#include "platform/sha256.hpp"
#include "ui/api.hpp"
#include "ui/report.hpp"
#include "ui/run_index.hpp"

using namespace airlock;
using namespace airlock::test;

namespace {

// The CSP source a browser computes for an inline element's text: 'sha256-<base64>'.
std::string csp_source_of(std::string_view text) {
    static constexpr char kBase64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const Sha256Digest d = sha256(text);
    std::string out = "'sha256-";
    for (std::size_t i = 0; i < d.size(); i += 3) {
        unsigned v = static_cast<unsigned>(d[i]) << 16;
        if (i + 1 < d.size()) v |= static_cast<unsigned>(d[i + 1]) << 8;
        if (i + 2 < d.size()) v |= d[i + 2];
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += i + 1 < d.size() ? kBase64[(v >> 6) & 63] : '=';
        out += i + 2 < d.size() ? kBase64[v & 63] : '=';
    }
    return out + "'";
}

// The text between `open` and the next `close` after it, or nothing.
std::string element_text(const std::string& html, const std::string& open,
                         const std::string& close) {
    const auto start = html.find(open);
    if (start == std::string::npos) return {};
    const auto end = html.find(close, start + open.size());
    if (end == std::string::npos) return {};
    return html.substr(start + open.size(), end - start - open.size());
}

// A run with one denied call and one that asked, as a session writes them.
fs::path write_denied_run(const fs::path& ws, const std::string& id) {
    auto w = wal::Writer::create(ws, id);
    REQUIRE(w.ok());
    REQUIRE(w->append("run_started", "", {{"airlock_version", "0.1.0"}, {"workspace", ws.string()}})
                .ok());
    REQUIRE(w->append("call_received", "c1", {{"tool", "shell_exec"}, {"shell", "rm -rf /"}}).ok());
    REQUIRE(w->append("policy_decided", "c1", {{"decision", "ask"}, {"rule", "ask-high"}}).ok());
    REQUIRE(w->append("approval_requested", "c1", {{"provider", "deny"}, {"key", "k"}}).ok());
    REQUIRE(
        w->append("approval_answered", "c1", {{"provider", "deny"}, {"decision", "deny"}}).ok());
    REQUIRE(
        w->append("call_finished", "c1", {{"status", "approval_denied"}, {"exit_code", 126}}).ok());
    REQUIRE(w->append("run_finished", "", {{"calls", 1}, {"blocked_or_failed", 1}}).ok());
    return w->path();
}

ui::RunInfo find(const std::vector<ui::RunInfo>& runs, const std::string& id) {
    for (const auto& r : runs)
        if (r.run_id == id) return r;
    FAIL("no run " << id);
    return {};
}

}  // namespace

TEST_CASE("run index: summaries, newest first") {
    TempDir dir;
    write_run(dir.path(), "20260101T000000Z-aaaaaa", 2);
    write_denied_run(dir.path(), "20260101T000001Z-bbbbbb");
    write_run(dir.path(), "20260101T000002Z-cccccc", 1, "");  // still running
    ui::RunIndex index({dir.path()});
    const auto runs = index.runs();
    REQUIRE(runs.size() == 3);
    // Written one after the other: the last one started last.
    CHECK(runs[0].run_id == "20260101T000002Z-cccccc");
    CHECK(runs[2].run_id == "20260101T000000Z-aaaaaa");

    const auto ok = find(runs, "20260101T000000Z-aaaaaa");
    CHECK(ok.calls == 2);
    CHECK(ok.outcome == "ok");
    CHECK(ok.chain == "intact");
    CHECK(ok.records == 15);
    CHECK(ok.commands.find("echo 'call c2'") != std::string::npos);
    CHECK_FALSE(ok.denied);

    const auto denied = find(runs, "20260101T000001Z-bbbbbb");
    CHECK(denied.outcome == "denied");
    CHECK(denied.denied);
    CHECK(denied.asked);
    CHECK(denied.commands == "rm -rf /");

    const auto running = find(runs, "20260101T000002Z-cccccc");
    CHECK(running.outcome == "running");
    CHECK(running.chain == "incomplete");
}

TEST_CASE("run index: a tampered run names its first bad line, a torn one is truncated") {
    TempDir dir;
    const auto file = write_run(dir.path(), "20260101T000000Z-aaaaaa", 2);
    auto lines = lines_of(file);
    lines[3].replace(lines[3].find("allow"), 5, "ALLOW");  // line 4 altered: line 5 stops linking
    write_lines(file, lines);
    const auto torn = write_run(dir.path(), "20260101T000001Z-bbbbbb", 1, "");
    std::ofstream(torn, std::ios::app) << "{\"v\":1,\"seq\":";
    ui::RunIndex index({dir.path()});
    const auto runs = index.runs();
    const auto t = find(runs, "20260101T000000Z-aaaaaa");
    CHECK(t.chain == "tampered");
    CHECK(t.outcome == "unknown");  // its verified part has no end
    REQUIRE(t.bad_line.has_value());
    CHECK(*t.bad_line == 5);
    CHECK(t.chain_message.find("line 5") != std::string::npos);
    const auto tr = find(runs, "20260101T000001Z-bbbbbb");
    CHECK(tr.chain == "truncated");
    CHECK(tr.bad_line == 9);
}

TEST_CASE("run index: an unchanged log is not read again, an appended one is") {
    TempDir dir;
    const auto file = write_run(dir.path(), "20260101T000000Z-aaaaaa", 1);
    ui::RunIndex index({dir.path()});
    CHECK(index.runs().at(0).chain == "intact");
    // Damage the file without changing its size or time: the cached summary stands, which
    // shows the second listing did not read it.
    struct stat before {};
    REQUIRE(::stat(file.c_str(), &before) == 0);
    auto text = read_text(file);
    text[text.find("policy_loaded")] = 'P';
    write_text(file, text);
    const timespec times[2] = {before.st_atim, before.st_mtim};
    REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
    CHECK(index.runs().at(0).chain == "intact");
    // An append changes the size: read again, and now the damage shows.
    std::ofstream(file, std::ios::app) << "x\n";
    CHECK(index.runs().at(0).chain == "tampered");
}

TEST_CASE("run index: several workspaces, run ids are never paths") {
    TempDir a, b;
    write_run(a.path(), "20260101T000000Z-aaaaaa", 1);
    write_run(b.path(), "20260101T000001Z-bbbbbb", 1);
    ui::RunIndex index({a.path(), b.path()});
    const auto runs = index.runs();
    REQUIRE(runs.size() == 2);
    CHECK(find(runs, "20260101T000001Z-bbbbbb").workspace == 1);
    CHECK(index.log(1, "20260101T000001Z-bbbbbb").ok());
    CHECK_FALSE(index.log(0, "20260101T000001Z-bbbbbb").ok());
    CHECK_FALSE(index.log(2, "20260101T000001Z-bbbbbb").ok());
    CHECK_FALSE(index.log(0, "../../etc").ok());
    CHECK_FALSE(index.log(0, "..").ok());
    CHECK_FALSE(index.log(0, "last").ok());
    CHECK_FALSE(index.log(0, "x.jsonl").ok());
}

TEST_CASE("api: a run's records come in pages") {
    TempDir dir;
    write_run(dir.path(), "20260101T000000Z-aaaaaa", 3);  // 21 records
    ui::RunIndex index({dir.path()});
    auto page = nlohmann::json::parse(
        ui::run_response(index, "ws=0&id=20260101T000000Z-aaaaaa&from=0&limit=10").body);
    CHECK(page["total"] == 21);
    CHECK(page["records"].size() == 10);
    CHECK(page["next"] == 10);
    page = nlohmann::json::parse(
        ui::run_response(index, "ws=0&id=20260101T000000Z-aaaaaa&from=20&limit=10").body);
    CHECK(page["records"].size() == 1);
    CHECK(page["next"].is_null());
    CHECK(ui::run_response(index, "ws=0&id=nope").status == 404);
    CHECK(ui::run_response(index, "ws=0&id=20260101T000000Z-aaaaaa&limit=0").status == 400);
    auto call = nlohmann::json::parse(
        ui::call_response(index, "ws=0&id=20260101T000000Z-aaaaaa&call=c2").body);
    REQUIRE(call["records"].size() == 6);
    CHECK(call["records"][0]["hash"].get<std::string>().size() == 64);
    CHECK(call["records"][0]["call_id"] == "c2");
}

TEST_CASE("report: data cannot close its script element") {
    CHECK(ui::script_safe_json(R"({"a":"</script><script>x()</script>&"})") ==
          R"({"a":"\u003c/script\u003e\u003cscript\u003ex()\u003c/script\u003e\u0026"})");
    TempDir dir;
    auto w = wal::Writer::create(dir.path(), "20260101T000000Z-aaaaaa");
    REQUIRE(w.ok());
    REQUIRE(
        w->append("run_started", "", {{"workspace", "</script><script>alert(1)</script>"}}).ok());
    REQUIRE(w->append("run_finished", "", {{"calls", 0}, {"blocked_or_failed", 0}}).ok());
    auto log = wal::read_log(w->path());
    REQUIRE(log.ok());
    auto html = ui::render_report(ui::summarize_run(0, "20260101T000000Z-aaaaaa", *log), *log);
    REQUIRE(html.ok());
    // Exactly the report's own two script elements close; the data's never does.
    std::size_t closes = 0;
    for (std::size_t p = 0; (p = html->find("</script", p)) != std::string::npos; ++p)
        ++closes;
    CHECK(closes == 2);
    CHECK(html->find("alert(1)") != std::string::npos);
    CHECK(html->find("http://") == std::string::npos);
    CHECK(html->find("https://") == std::string::npos);
    CHECK(html->find("script-src 'sha256-") != std::string::npos);
    // The policy's hashes are those of the inline script and style, so a browser runs them.
    const std::string script = element_text(*html, "<script>", "</script>");
    const std::string style = element_text(*html, "<style>", "</style>");
    REQUIRE(!script.empty());
    REQUIRE(!style.empty());
    CHECK(html->find("script-src " + csp_source_of(script) + ";") != std::string::npos);
    CHECK(html->find("style-src " + csp_source_of(style) + ";") != std::string::npos);
}
