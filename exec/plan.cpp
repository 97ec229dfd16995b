#include "exec/plan.hpp"

#include <set>

#include "exec/file_tools.hpp"
#include "exec/tool_schema.hpp"
#include "platform/canonical_json.hpp"
#include "platform/located_json.hpp"
#include "platform/sha256.hpp"
#include "platform/workspace_path.hpp"

namespace airlock::exec {

namespace fs = std::filesystem;
using nlohmann::json;

std::string PlanRejection::describe() const {
    std::string out = where.empty() ? "" : where + ": ";
    if (!step.empty()) out += "step " + std::to_string(index) + " \"" + step + "\": ";
    out += message;
    if (!pointer.empty()) out += " (at " + pointer + ")";
    return out;
}

json PlanRejection::to_json() const {
    json j = {{"message", message}, {"pointer", pointer}, {"where", where}};
    if (!step.empty()) {
        j["step"] = step;
        j["index"] = index;
    }
    if (!rule.empty()) j["rule"] = rule;
    return j;
}

Result<std::string> step_fingerprint(const std::string& tool, const json& args) {
    auto canonical = canonical_json(json{{"tool", tool}, {"args", args}});
    if (!canonical) return canonical.error();
    return sha256_hex(*canonical);
}

namespace {

const std::set<std::string> kSchemaTypes = {"object",  "array",   "string", "number",
                                            "integer", "boolean", "null"};

bool has_type(const json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "number") return v.is_number();
    if (type == "integer") return v.is_number_integer();
    if (type == "boolean") return v.is_boolean();
    return v.is_null();
}

bool valid_step_id(const std::string& id) {
    if (id.empty() || id.size() > 64) return false;
    for (unsigned char c : id)
        if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
    return true;
}

class Parser {
  public:
    Parser(const LocatedJson& doc, fs::path workspace)
        : doc_(doc), workspace_(std::move(workspace)) {}

    std::optional<PlanRejection> rejection;

    Plan parse() {
        Plan plan;
        const json& root = doc_.value;
        if (!root.is_object()) return fail("", "a plan must be a JSON object"), plan;
        if (!only_keys(root, "", {"steps", "rollback_on_failure"})) return plan;
        if (root.contains("rollback_on_failure")) {
            if (!root["rollback_on_failure"].is_boolean())
                return fail("/rollback_on_failure", "must be true or false"), plan;
            plan.rollback_on_failure = root["rollback_on_failure"].get<bool>();
        }
        if (!root.contains("steps")) return fail("", "missing required field \"steps\""), plan;
        const json& steps = root["steps"];
        if (!steps.is_array() || steps.empty())
            return fail("/steps", "\"steps\" must be a non-empty array"), plan;
        std::set<std::string> ids;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            Step step;
            index_ = i + 1;
            step_id_.clear();
            if (!parse_step(steps[i], "/steps/" + std::to_string(i), step)) return plan;
            if (!ids.insert(step.id).second)
                return fail("/steps/" + std::to_string(i) + "/id",
                            "step id \"" + step.id + "\" is used twice"),
                       plan;
            plan.steps.push_back(std::move(step));
        }
        return plan;
    }

  private:
    bool fail(const std::string& pointer, const std::string& message) {
        PlanRejection r;
        r.step = step_id_;
        r.index = step_id_.empty() ? 0 : index_;
        r.pointer = pointer;
        r.where = doc_.where(pointer);
        r.message = message;
        rejection = std::move(r);
        return false;
    }

    bool only_keys(const json& obj, const std::string& pointer, std::set<std::string> allowed) {
        for (const auto& [key, value] : obj.items())
            if (!allowed.count(key))
                return fail(pointer + "/" + escape_pointer_token(key),
                            "unknown field \"" + key + "\"");
        return true;
    }

    bool check_path(const std::string& path, const std::string& pointer) {
        if (auto ok = validate_file_path(workspace_, path); !ok)
            return fail(pointer, ok.error().message);
        return true;
    }

    // Checks what decode_tool_call does not: paths beneath the workspace, outside .airlock/.
    bool check_call(const ToolCall& call, const std::string& pointer) {
        if (call.tool == Tool::shell_exec) {
            if (!call.cwd.empty())
                if (auto cwd = resolve_in_workspace(workspace_, call.cwd, "cwd"); !cwd)
                    return fail(pointer + "/cwd", cwd.error().message);
            return true;
        }
        return check_path(call.path, pointer + "/path");
    }

    bool parse_step(const json& s, const std::string& ptr, Step& step) {
        if (!s.is_object()) return fail(ptr, "a step must be a JSON object");
        if (s.contains("id") && s["id"].is_string()) step_id_ = s["id"].get<std::string>();
        if (!only_keys(s, ptr, {"id", "tool", "args", "expect", "checks"})) return false;
        if (!s.contains("id")) return fail(ptr, "missing required field \"id\"");
        if (!s["id"].is_string() || !valid_step_id(s["id"].get<std::string>()))
            return fail(ptr + "/id", "\"id\" must be 1-64 characters of A-Z a-z 0-9 _ - .");
        step.id = step_id_;
        if (!s.contains("tool")) return fail(ptr, "missing required field \"tool\"");
        if (!s["tool"].is_string()) return fail(ptr + "/tool", "\"tool\" must be a string");
        step.tool = s["tool"].get<std::string>();
        if (!s.contains("args")) return fail(ptr, "missing required field \"args\"");
        step.args = s["args"];
        auto call = decode_tool_call(step.tool, step.args);
        if (!call)
            return fail(ptr + (parse_tool(step.tool) ? "/args" : "/tool"), call.error().message);
        step.call = std::move(call).value();
        if (!check_call(step.call, ptr + "/args")) return false;
        auto fingerprint = step_fingerprint(step.tool, step.args);
        if (!fingerprint) return fail(ptr + "/args", fingerprint.error().message);
        step.fingerprint = *fingerprint;
        if (s.contains("expect") && !parse_expect(s["expect"], ptr + "/expect", step.expect))
            return false;
        if (s.contains("checks") && !parse_checks(s["checks"], ptr + "/checks", step.checks))
            return false;
        return true;
    }

    bool parse_expect(const json& e, const std::string& ptr, Expect& expect) {
        if (!e.is_object()) return fail(ptr, "\"expect\" must be a JSON object");
        if (!only_keys(e, ptr, {"exit_code", "stdout_contains", "stdout_json"})) return false;
        if (e.contains("exit_code")) {
            if (!e["exit_code"].is_number_integer() || e["exit_code"].get<long long>() < 0 ||
                e["exit_code"].get<long long>() > 255)
                return fail(ptr + "/exit_code", "\"exit_code\" must be an integer from 0 to 255");
            expect.exit_code = e["exit_code"].get<int>();
        }
        if (e.contains("stdout_contains")) {
            if (!e["stdout_contains"].is_string())
                return fail(ptr + "/stdout_contains", "\"stdout_contains\" must be a string");
            expect.stdout_contains = e["stdout_contains"].get<std::string>();
        }
        if (e.contains("stdout_json")) {
            const json& j = e["stdout_json"];
            if (j.is_boolean()) {
                expect.stdout_json = j.get<bool>();
            } else if (j.is_object()) {
                if (!check_schema(j, ptr + "/stdout_json")) return false;
                expect.stdout_json = true;
                expect.schema = j;
            } else {
                return fail(ptr + "/stdout_json",
                            "\"stdout_json\" must be true, false or a schema object");
            }
        }
        return true;
    }

    // The schema subset: type, required, properties; anything else is refused, not ignored.
    bool check_schema(const json& schema, const std::string& ptr) {
        if (!schema.is_object()) return fail(ptr, "a schema must be a JSON object");
        if (!only_keys(schema, ptr, {"type", "required", "properties"})) return false;
        if (schema.contains("type") &&
            !(schema["type"].is_string() && kSchemaTypes.count(schema["type"].get<std::string>())))
            return fail(ptr + "/type",
                        "\"type\" must be one of object, array, string, number, integer, "
                        "boolean, null");
        if (schema.contains("required")) {
            const json& req = schema["required"];
            if (!req.is_array()) return fail(ptr + "/required", "\"required\" must be an array");
            for (std::size_t i = 0; i < req.size(); ++i)
                if (!req[i].is_string())
                    return fail(ptr + "/required/" + std::to_string(i), "must be a string");
        }
        if (schema.contains("properties")) {
            const json& props = schema["properties"];
            if (!props.is_object())
                return fail(ptr + "/properties", "\"properties\" must be an object");
            for (const auto& [key, sub] : props.items())
                if (!check_schema(sub, ptr + "/properties/" + escape_pointer_token(key)))
                    return false;
        }
        return true;
    }

    bool parse_checks(const json& checks, const std::string& ptr, std::vector<Check>& out) {
        if (!checks.is_array()) return fail(ptr, "\"checks\" must be an array");
        for (std::size_t i = 0; i < checks.size(); ++i) {
            const std::string p = ptr + "/" + std::to_string(i);
            const json& c = checks[i];
            if (!c.is_object() || c.size() != 1)
                return fail(p,
                            "a check is an object with exactly one of file_exists, "
                            "file_contains, command");
            Check check;
            if (c.contains("file_exists")) {
                check.kind = Check::Kind::file_exists;
                if (!c["file_exists"].is_string())
                    return fail(p + "/file_exists", "\"file_exists\" must be a path");
                check.path = c["file_exists"].get<std::string>();
                if (!check_path(check.path, p + "/file_exists")) return false;
            } else if (c.contains("file_contains")) {
                check.kind = Check::Kind::file_contains;
                const json& fc = c["file_contains"];
                const std::string fp = p + "/file_contains";
                if (!fc.is_object()) return fail(fp, "\"file_contains\" must be {path, text}");
                if (!only_keys(fc, fp, {"path", "text"})) return false;
                if (!fc.contains("path") || !fc["path"].is_string())
                    return fail(fp, "\"path\" is required and must be a string");
                if (!fc.contains("text") || !fc["text"].is_string())
                    return fail(fp, "\"text\" is required and must be a string");
                check.path = fc["path"].get<std::string>();
                check.text = fc["text"].get<std::string>();
                if (!check_path(check.path, fp + "/path")) return false;
            } else if (c.contains("command")) {
                check.kind = Check::Kind::command;
                const std::string cp = p + "/command";
                json args = c["command"];
                if (!args.is_object())
                    return fail(cp, "\"command\" must be shell_exec arguments (+ exit_code)");
                if (args.contains("exit_code")) {
                    if (!args["exit_code"].is_number_integer() ||
                        args["exit_code"].get<long long>() < 0 ||
                        args["exit_code"].get<long long>() > 255)
                        return fail(cp + "/exit_code", "\"exit_code\" must be from 0 to 255");
                    check.exit_code = args["exit_code"].get<int>();
                    args.erase("exit_code");
                }
                auto call = decode_tool_call("shell_exec", args);
                if (!call) return fail(cp, call.error().message);
                check.call = std::move(call).value();
                if (!check_call(check.call, cp)) return false;
            } else {
                return fail(p + "/" + escape_pointer_token(c.begin().key()),
                            "unknown check \"" + c.begin().key() +
                                "\" (expected file_exists, file_contains or command)");
            }
            out.push_back(std::move(check));
        }
        return true;
    }

    const LocatedJson& doc_;
    fs::path workspace_;
    std::string step_id_;
    std::size_t index_ = 0;
};

}  // namespace

ParsedPlan parse_plan(std::string_view text, std::string_view source, const fs::path& workspace) {
    ParsedPlan out;
    auto doc = parse_located_json(text, source);
    if (!doc) {
        PlanRejection r;
        r.message = "not a valid plan file: " + doc.error().describe();
        out.rejection = std::move(r);
        return out;
    }
    Parser parser(*doc, workspace);
    Plan plan = parser.parse();
    if (parser.rejection) {
        out.rejection = std::move(parser.rejection);
        return out;
    }
    plan.sha256 = sha256_hex(text);
    out.plan = std::move(plan);
    return out;
}

std::optional<std::string> schema_mismatch(const json& schema, const json& value,
                                           const std::string& pointer) {
    const std::string at = pointer.empty() ? "/" : pointer;
    if (schema.contains("type")) {
        const std::string type = schema["type"].get<std::string>();
        if (!has_type(value, type))
            return at + ": expected " + type + ", got " + std::string(value.type_name());
    }
    if (!value.is_object()) return std::nullopt;
    if (schema.contains("required"))
        for (const auto& key : schema["required"])
            if (!value.contains(key.get<std::string>()))
                return at + ": missing required property \"" + key.get<std::string>() + "\"";
    if (schema.contains("properties"))
        for (const auto& [key, sub] : schema["properties"].items())
            if (value.contains(key))
                if (auto bad =
                        schema_mismatch(sub, value[key], pointer + "/" + escape_pointer_token(key)))
                    return bad;
    return std::nullopt;
}

}  // namespace airlock::exec
