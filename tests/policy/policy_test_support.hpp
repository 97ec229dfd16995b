// Helpers shared by the policy tests: load texts, build calls, evaluate.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "guard/shell_parse.hpp"
#include "policy/policy.hpp"

namespace policy_test {

using airlock::Tool;
using airlock::ToolCall;
using airlock::policy::Decision;
using airlock::policy::PolicyStack;

inline std::filesystem::path test_workspace() {
    return "/work-space/project";
}

inline PolicyStack load(std::vector<std::pair<std::string, std::string>> layers) {
    auto r = PolicyStack::from_texts(layers, test_workspace());
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(*r);
}

inline std::string load_error(std::vector<std::pair<std::string, std::string>> layers) {
    auto r = PolicyStack::from_texts(layers, test_workspace());
    if (r) return "<loaded>";
    return r.error().message;
}

inline ToolCall argv_call(std::vector<std::string> argv) {
    ToolCall c;
    c.argv = std::move(argv);
    return c;
}

inline ToolCall shell_call(std::string s) {
    ToolCall c;
    c.shell = std::move(s);
    return c;
}

inline ToolCall file_call(Tool tool, std::string path) {
    ToolCall c;
    c.tool = tool;
    c.path = std::move(path);
    return c;
}

// Runs the stack's own guard, as the pipeline does.
inline airlock::policy::Verdict check(const PolicyStack& p, const ToolCall& call) {
    return p.evaluate(call, p.guard().assess(call, p.workspace()));
}

// A hand-made parse: lets the policy semantics be tested independently of the shell parser.
inline airlock::guard::Segment segment(std::vector<std::string> argv) {
    airlock::guard::Segment s;
    s.program_path = argv.empty() ? "" : argv[0];
    s.argv = std::move(argv);
    return s;
}

inline airlock::guard::Assessment assessment(std::vector<airlock::guard::Segment> segments) {
    airlock::guard::Assessment a;
    a.parse.segments = std::move(segments);
    return a;
}

// True once the guard's real shell parser is in: tests that need it are skipped before.
inline bool guard_parses_shell() {
    return airlock::guard::parse_shell("true").complete;
}

}  // namespace policy_test
