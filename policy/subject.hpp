// What rules are matched against: each segment of a shell call, or a file call as a whole,
// with the paths it touches and the risk the guard gave it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "guard/guard.hpp"
#include "platform/tool_call.hpp"
#include "policy/rule.hpp"

namespace airlock::policy::detail {

struct CallPath {
    std::vector<std::string> absolute;                 // components of the absolute path
    std::optional<std::vector<std::string>> relative;  // components under the workspace root
    bool dynamic = false;  // not known statically (an expansion): matches deny/ask rules only
};

struct Subject {
    int segment = -1;  // index into the parse, -1 for the call as a whole
    const std::vector<std::string>* argv = nullptr;  // null for file tools
    std::vector<CallPath> paths;
    guard::Level level = guard::Level::low;
    const guard::Assessment* assessment = nullptr;

    bool has_reason(const std::string& id) const;
};

struct Environment {
    std::filesystem::path workspace;  // absolute, normal
    std::string home;
};

std::vector<Subject> subjects_for(const ToolCall& call, const guard::Assessment& assessment,
                                  const Environment& env);

bool rule_matches(const Rule& rule, Tool tool, const Subject& subject);

}  // namespace airlock::policy::detail
