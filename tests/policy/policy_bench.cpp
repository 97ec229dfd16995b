// Policy benchmark (not run by ctest): evaluation throughput at 10..10,000 rules and the time
// to load a 10,000-rule policy. Usage: policy_bench
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "policy/policy.hpp"

using airlock::ToolCall;
using airlock::policy::PolicyStack;
using Clock = std::chrono::steady_clock;

namespace {

// A realistic mix: mostly literal-prefix rules (indexed by program), some alternatives, a few
// wildcard-program and path rules that every call has to look at.
std::string make_policy(int n) {
    std::string out = "{\"version\": 1, \"default\": \"ask\", \"rules\": [\n";
    out += R"({"id": "deny-critical", "decision": "deny", "risk_at_least": "critical"},)";
    out += R"({"id": "ask-high", "decision": "ask", "risk_at_least": "high"},)";
    out += R"({"id": "any-force", "decision": "ask", "argv": ["*", "**", "--force"]},)";
    out += R"({"id": "env-files", "decision": "deny", "path": "**/.env"})";
    for (int i = 0; i < n - 4; ++i) {
        const char* decision = i % 3 == 0 ? "deny" : i % 3 == 1 ? "ask" : "allow";
        out += ",\n{\"id\": \"r" + std::to_string(i) + "\", \"decision\": \"" + decision +
               "\", \"argv\": [\"tool" + std::to_string(i % (n / 4 + 1)) + "\", [\"sub" +
               std::to_string(i % 7) + "\", \"alt" + std::to_string(i % 5) + "\"], \"**\"], " +
               "\"reason\": \"generated rule " + std::to_string(i) + "\"}";
    }
    return out + "\n]}\n";
}

double seconds_since(Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main() {
    std::printf("%-8s %-14s %-12s %s\n", "rules", "decisions/s", "ns/decision", "load ms");
    for (int n : {10, 100, 1000, 10000}) {
        const std::string text = make_policy(n);
        const auto t0 = Clock::now();
        auto stack = PolicyStack::from_texts({{"bench.json", text}}, "/tmp");
        const double load_ms = seconds_since(t0) * 1e3;
        if (!stack) {
            std::fprintf(stderr, "load failed: %s\n", stack.error().message.c_str());
            return 1;
        }
        // A typical call: one segment, a program that has a few rules of its own.
        ToolCall call;
        call.argv = {"tool3", "sub3", "--verbose", "src/main.c"};
        const auto assessment = stack->guard().assess(call, stack->workspace());
        std::size_t sink = 0;
        const int iterations = 2'000'000;
        const auto t1 = Clock::now();
        for (int i = 0; i < iterations; ++i)
            sink += stack->evaluate(call, assessment).matched.size();
        const double s = seconds_since(t1);
        std::printf("%-8d %-14.0f %-12.0f %.1f%s\n", n, iterations / s, s / iterations * 1e9,
                    load_ms, sink == 0 ? " (no match?)" : "");
    }
    return 0;
}
