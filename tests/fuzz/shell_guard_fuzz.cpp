// The shell parser and the guard on arbitrary text, as `sh -c` and as an argv call.
// Invariants: never throws; the score stays in 0..100; what was not understood is never scored
// below high; every reason and every segment's parent points at a segment that exists; the
// same input gives the same assessment twice.
#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_target.hpp"
#include "guard/guard.hpp"

namespace {

using airlock::Tool;
using airlock::ToolCall;
using namespace airlock::guard;

const Guard& builtin_guard() {
    static const Guard guard = [] {
        auto g = Guard::create();
        if (!g) airlock::fuzz::invariant_failed("the built-in guard loads", __FILE__, __LINE__);
        return std::move(*g);
    }();
    return guard;
}

void check_assessment(const Assessment& a) {
    FUZZ_CHECK(a.score >= 0 && a.score <= 100);
    FUZZ_CHECK(a.level >= Level::low && a.level <= Level::critical);
    if (!a.parse.complete) FUZZ_CHECK(a.level >= Level::high);
    if (!a.parse.complete) FUZZ_CHECK(!a.parse.problems.empty());
    const int segments = static_cast<int>(a.parse.segments.size());
    FUZZ_CHECK(a.parse.segments.size() <= kMaxSegments);
    for (const auto& r : a.reasons) {
        FUZZ_CHECK(r.segment >= -1 && r.segment < segments);
        FUZZ_CHECK(r.level <= a.level);
        FUZZ_CHECK(!r.id.empty());
    }
    for (int i = 0; i < segments; ++i) {
        const Segment& s = a.parse.segments[static_cast<std::size_t>(i)];
        FUZZ_CHECK(s.parent >= -1 && s.parent < segments && s.parent != i);
        FUZZ_CHECK(s.depth >= 0 && s.depth <= kMaxDepth);
    }
}

Assessment assess(const ToolCall& call) {
    return builtin_guard().assess(call, "/fuzz/workspace");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(airlock::fuzz::as_text(data, size));

    ToolCall shell;
    shell.shell = text;
    const Assessment a = assess(shell);
    check_assessment(a);
    FUZZ_CHECK(to_json(a) == to_json(assess(shell)));

    // The same bytes as an argv, one element per line (the parser unwraps sh -c and friends).
    ToolCall argv;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        argv.argv.push_back(text.substr(start, nl - start));
    argv.argv.push_back(text.substr(start));
    const Assessment b = assess(argv);
    check_assessment(b);
    FUZZ_CHECK(to_json(b) == to_json(assess(argv)));

    // As a file tool: the first line is the path, the rest the content.
    ToolCall file;
    file.tool = Tool::file_write;
    file.path = argv.argv.front();
    file.content = text.substr(std::min(text.size(), file.path.size() + 1));
    const Assessment c = assess(file);
    check_assessment(c);
    if (file.path.empty()) FUZZ_CHECK(c.level >= Level::high);
    return 0;
}
