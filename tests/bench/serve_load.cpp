// A minimal MCP load driver for `airlock serve` (benchmarks only; tests/load has the full load
// client): keeps P tools/call requests in flight over stdio and reports sustained calls/s,
// latency percentiles and the server's RSS.
//   serve_load --airlock BIN --workspace DIR --parallel P --calls N [--warmup W]
//              [--kind allowed|denied] [--policy FILE]
// allowed: shell_exec ["true"] (sandboxed, must succeed); denied: shell_exec
// ["airlock-bench-denied", "<n>"], which the --policy layer must deny (nothing runs; distinct
// arguments, so that the loop guard never sees the same request twice).
// Prints one JSON object: parallel, calls, failures, seconds, calls_per_s, p50_ms, p99_ms,
// rss_kib_after_warmup, rss_kib_end.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
    std::string airlock, workspace, policy, kind = "allowed";
    int parallel = 1;
    long calls = 100, warmup = 20;
};

[[noreturn]] void die(const std::string& why) {
    std::fprintf(stderr, "serve_load: %s\n", why.c_str());
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; i += 2) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) die("missing value after " + arg);
        const std::string v = argv[i + 1];
        if (arg == "--airlock")
            o.airlock = v;
        else if (arg == "--workspace")
            o.workspace = v;
        else if (arg == "--policy")
            o.policy = v;
        else if (arg == "--kind")
            o.kind = v;
        else if (arg == "--parallel")
            o.parallel = std::atoi(v.c_str());
        else if (arg == "--calls")
            o.calls = std::atol(v.c_str());
        else if (arg == "--warmup")
            o.warmup = std::atol(v.c_str());
        else
            die("unknown option " + arg);
    }
    if (o.airlock.empty() || o.workspace.empty()) die("--airlock and --workspace are required");
    if (o.kind != "allowed" && o.kind != "denied") die("--kind is allowed or denied");
    if (o.parallel < 1 || o.calls < 1 || o.warmup < 0) die("bad --parallel/--calls/--warmup");
    return o;
}

long rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

class Server {
  public:
    explicit Server(const Options& o) {
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) die("pipe failed");
        std::vector<std::string> args = {
            o.airlock, "serve", "--workspace", o.workspace, "--approve-fallback", "deny"};
        if (!o.policy.empty()) {
            args.push_back("--policy");
            args.push_back(o.policy);
        }
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) die("fork failed");
        if (pid_ == 0) {
            ::dup2(in[0], 0);
            ::dup2(out[1], 1);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        to_ = ::fdopen(in[1], "w");
        from_ = ::fdopen(out[0], "r");
    }
    ~Server() {
        if (to_) std::fclose(to_);  // stdin closes: the server finishes and exits
        int status = 0;
        ::waitpid(pid_, &status, 0);
        if (from_) std::fclose(from_);
    }
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    void send(const json& message) {
        const std::string line = message.dump() + "\n";
        if (std::fwrite(line.data(), 1, line.size(), to_) != line.size() || std::fflush(to_) != 0)
            die("the server stopped reading");
    }
    json receive() {
        std::string line;
        for (int c; (c = std::fgetc(from_)) != EOF && c != '\n';)
            line.push_back(static_cast<char>(c));
        if (line.empty()) die("the server closed its output");
        return json::parse(line);
    }
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
    FILE* to_ = nullptr;
    FILE* from_ = nullptr;
};

json call_request(const Options& o, long id) {
    json args = o.kind == "allowed" ? json{{"argv", {"true"}}}
                                    : json{{"argv", {"airlock-bench-denied", std::to_string(id)}}};
    return {{"jsonrpc", "2.0"},
            {"id", id},
            {"method", "tools/call"},
            {"params", {{"name", "shell_exec"}, {"arguments", args}}}};
}

bool as_expected(const Options& o, const json& response) {
    if (!response.contains("result")) return false;
    const json& r = response["result"];
    const std::string status = r.value("structuredContent", json::object()).value("status", "");
    return o.kind == "allowed" ? status == "ok" : status == "denied";
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const Options o = parse(argc, argv);
    Server server(o);
    server.send({{"jsonrpc", "2.0"},
                 {"id", 0},
                 {"method", "initialize"},
                 {"params",
                  {{"protocolVersion", "2025-06-18"},
                   {"capabilities", json::object()},
                   {"clientInfo", {{"name", "serve_load"}, {"version", "1"}}}}}});
    if (!server.receive().contains("result")) die("initialize failed");
    server.send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});

    const long total = o.warmup + o.calls;
    std::map<long, Clock::time_point> in_flight;
    std::vector<double> latencies_ms;
    long next = 1, done = 0, failures = 0, rss_warm = -1;
    Clock::time_point start = Clock::now();
    while (done < total) {
        while (next <= total && static_cast<long>(in_flight.size()) < o.parallel) {
            in_flight[next] = Clock::now();
            server.send(call_request(o, next++));
        }
        const json response = server.receive();
        if (!response.contains("id")) continue;  // a notification
        const auto it = in_flight.find(response["id"].get<long>());
        if (it == in_flight.end()) die("an answer to an unknown id: " + response.dump());
        const double ms =
            std::chrono::duration<double, std::milli>(Clock::now() - it->second).count();
        in_flight.erase(it);
        ++done;
        if (done <= o.warmup) {
            if (done == o.warmup) {
                rss_warm = rss_kib(server.pid());
                start = Clock::now();
            }
            continue;
        }
        if (!as_expected(o, response)) {
            if (failures++ == 0)
                std::fprintf(stderr, "serve_load: unexpected %s\n", response.dump().c_str());
        }
        latencies_ms.push_back(ms);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const long rss_end = rss_kib(server.pid());
    if (o.warmup == 0) rss_warm = -1;
    std::sort(latencies_ms.begin(), latencies_ms.end());
    const auto at = [&](double q) {
        return latencies_ms[static_cast<std::size_t>(q *
                                                     static_cast<double>(latencies_ms.size() - 1))];
    };
    std::printf(
        "{\"parallel\": %d, \"calls\": %zu, \"failures\": %ld, \"seconds\": %.3f, "
        "\"calls_per_s\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f, "
        "\"rss_kib_after_warmup\": %ld, \"rss_kib_end\": %ld}\n",
        o.parallel, latencies_ms.size(), failures, seconds,
        static_cast<double>(latencies_ms.size()) / seconds, at(0.5), at(0.99), rss_warm, rss_end);
    return failures == 0 ? 0 : 1;
}
