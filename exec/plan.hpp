// A plan: several tool calls an agent hands over at once, validated as a whole before any of
// them runs. The format is documented in docs/PLANS.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/result.hpp"
#include "platform/tool_call.hpp"

namespace airlock::exec {

struct Expect {
    std::optional<int> exit_code;  // default: the call must succeed (exit 0)
    std::optional<std::string> stdout_contains;
    bool stdout_json = false;              // stdout must parse as JSON
    std::optional<nlohmann::json> schema;  // ...and match this schema subset
};

struct Check {
    enum class Kind { file_exists, file_contains, command };
    Kind kind = Kind::file_exists;
    std::string path;   // file_exists, file_contains
    std::string text;   // file_contains
    ToolCall call;      // command: a shell_exec call
    int exit_code = 0;  // command: the exit status that passes
};

struct Step {
    std::string id;
    std::string tool;
    nlohmann::json args;
    ToolCall call;
    Expect expect;
    std::vector<Check> checks;
    std::string fingerprint;  // sha256 of canonical {"args", "tool"}
};

struct Plan {
    std::vector<Step> steps;
    bool rollback_on_failure = false;
    std::string sha256;  // of the plan file's bytes
};

// Why a plan was refused before anything ran.
struct PlanRejection {
    std::string step;       // step id, empty when the plan as a whole is at fault
    std::size_t index = 0;  // 1-based step number, 0 for the plan as a whole
    std::string pointer;    // JSON pointer of the offending value
    std::string where;      // "FILE:LINE:COL"
    std::string message;
    std::string rule;  // policy preflight: the denying rule

    std::string describe() const;
    nlohmann::json to_json() const;
};

// Parses and validates the whole plan: its shape (unknown fields are errors), every step's
// args against its tool's input schema, every path inside the workspace and outside .airlock/,
// every expectation and check. `workspace` is canonical.
struct ParsedPlan {
    std::optional<Plan> plan;
    std::optional<PlanRejection> rejection;
};
ParsedPlan parse_plan(std::string_view text, std::string_view source,
                      const std::filesystem::path& workspace);

// sha256 of the canonical JSON {"args": ARGS, "tool": TOOL}.
Result<std::string> step_fingerprint(const std::string& tool, const nlohmann::json& args);

// The JSON-schema subset an `expect.stdout_json` may use: type, required, properties.
// Returns a description of the first mismatch, at its JSON pointer; nullopt when it matches.
std::optional<std::string> schema_mismatch(const nlohmann::json& schema,
                                           const nlohmann::json& value,
                                           const std::string& pointer = "");

}  // namespace airlock::exec
