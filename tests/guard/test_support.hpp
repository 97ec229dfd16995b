// Helpers shared by the guard tests.
#pragma once

#include <algorithm>
#include <string>

#include "guard/guard.hpp"

namespace airlock::guard::test {

inline const Guard& builtin_guard() {
    static const Guard guard = [] {
        auto g = Guard::create();
        if (!g) throw std::runtime_error(g.error().describe());
        return std::move(*g);
    }();
    return guard;
}

inline Assessment score_shell(const std::string& command, const Guard& guard = builtin_guard()) {
    ToolCall call;
    call.tool = Tool::shell_exec;
    call.shell = command;
    return guard.assess(call, "/ws");
}

inline Assessment score_argv(std::vector<std::string> argv) {
    ToolCall call;
    call.tool = Tool::shell_exec;
    call.argv = std::move(argv);
    return builtin_guard().assess(call, "/ws");
}

inline bool has_reason(const Assessment& a, const std::string& id) {
    return std::any_of(a.reasons.begin(), a.reasons.end(),
                       [&](const Reason& r) { return r.id == id; });
}

}  // namespace airlock::guard::test
