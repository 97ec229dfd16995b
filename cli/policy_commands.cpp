// `airlock policy check | lint | test | diff | floor`: see docs/POLICY.md.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "policy/call_json.hpp"
#include "policy/lint.hpp"
#include "policy/policy.hpp"
#include "policy/replay.hpp"
#include "sandbox/floor.hpp"

namespace airlock::cli {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using policy::Decision;
using policy::PolicyStack;

constexpr int kOk = 0;
constexpr int kFindings = 1;  // lint findings, failing test cases, decisions that change
constexpr int kError = 125;   // the policy or an input file cannot be used

int report_error(const Error& e) {
    std::cerr << "airlock: " << e.stage << ": " << e.describe() << "\n";
    return kError;
}

Result<std::string> read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return sys_error("policy", file.string() + ": cannot be read", "open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Result<PolicyStack> load_files(const std::vector<std::string>& files, bool builtin,
                               const fs::path& workspace) {
    policy::LoadOptions o;
    o.builtin = builtin;
    o.workspace = workspace;
    for (const auto& f : files)
        o.files.emplace_back(f);
    return PolicyStack::load(o);
}

// Unreadable lines stop the command unless --keep-going; either way they are reported.
bool report_problems(const std::vector<std::string>& problems, bool keep_going) {
    for (const auto& p : problems)
        std::cerr << "airlock: " << p << (keep_going ? " (skipped)" : "") << "\n";
    return problems.empty() || keep_going;
}

std::string segment_text(const guard::Segment& s) {
    ToolCall c;
    c.argv = s.argv;
    return policy::describe_call(c);
}

void print_verdict(const ToolCall& call, const guard::Assessment& a, const policy::Verdict& v) {
    std::cout << "decision: " << policy::decision_name(v.decision) << "\n"
              << "rule:     " << v.rule << "\n"
              << "reason:   " << v.reason << "\n";
    if (v.always_ask)
        std::cout << "note:     a matched rule has require_escalated: asked every time\n";
    auto print_matches = [&](int segment) {
        for (const auto& m : v.matched) {
            if (m.segment != segment) continue;
            std::cout << "    " << policy::decision_name(m.decision) << "\t" << m.rule << " ["
                      << (m.layer.empty() ? "-" : m.layer) << "]: " << m.reason << "\n";
        }
    };
    if (call.tool == Tool::shell_exec && !a.parse.segments.empty()) {
        std::cout << "segments:\n";
        for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
            std::cout << "  [" << i << "] " << segment_text(a.parse.segments[i]) << "\n";
            print_matches(static_cast<int>(i));
        }
    } else {
        std::cout << "matched:\n";
        print_matches(-1);
    }
    std::cout << "risk:     " << guard::level_name(a.level) << "\n";
    for (const auto& r : a.reasons)
        std::cout << "    " << guard::level_name(r.level) << "\t" << r.id << ": " << r.message
                  << (r.segment >= 0 ? " (segment " + std::to_string(r.segment) + ")" : "") << "\n";
    if (!a.parse.complete)
        for (const auto& p : a.parse.problems)
            std::cout << "    not understood: " << p << "\n";
}

// `policy check --host HOST[:PORT] [--address IP]`: the network matcher's answer, as the proxy
// would get it (without resolving anything).
template <class Options>
int check_host(const Options& o, const std::string& target, const std::string& address_text) {
    std::string host = target;
    std::uint16_t port = 443;
    auto split_port = [&](std::size_t colon) {
        const std::string p = host.substr(colon + 1);
        host = host.substr(0, colon);
        const auto n = std::strtoul(p.c_str(), nullptr, 10);
        if (p.empty() || p.find_first_not_of("0123456789") != std::string::npos || n == 0 ||
            n > 65535)
            return false;
        port = static_cast<std::uint16_t>(n);
        return true;
    };
    bool ok = true;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        ok = close != std::string::npos;
        if (ok && close + 1 < host.size()) ok = host[close + 1] == ':' && split_port(close + 1);
        if (ok) host = host.substr(1, close - 1);
    } else if (std::count(host.begin(), host.end(), ':') == 1) {
        ok = split_port(host.find(':'));
    }
    if (!ok || host.empty()) {
        std::cerr << "airlock: policy check: --host " << target
                  << ": expected HOST, HOST:PORT or [IPV6]:PORT (port 1 to 65535)\n";
        return kError;
    }
    policy::NetworkQuery q{host, port, std::nullopt, false};
    if (!address_text.empty()) {
        q.address = policy::IpAddress::parse(address_text);
        if (!q.address) {
            std::cerr << "airlock: policy check: --address " << address_text
                      << ": not an IP address\n";
            return kError;
        }
    }
    const fs::path workspace = fs::absolute(o.workspace);
    std::vector<fs::path> files(o.policies.begin(), o.policies.end());
    auto stack = PolicyStack::load(policy::standard_load_options(workspace, files, !o.no_builtin));
    if (!stack) return report_error(stack.error());
    const auto& np = stack->sandbox().network_policy;
    const policy::NetworkDecision d = policy::decide_network(np, q);
    if (o.json) {
        json out = policy::to_json(d);
        out["host"] = host;
        out["port"] = port;
        if (q.address) out["address"] = q.address->str();
        out["network"] = policy::to_json(np);
        out["layers"] = stack->layer_names();
        std::cout << out.dump(2) << "\n";
    } else {
        std::cout << host << ":" << port << (q.address ? " (" + q.address->str() + ")" : "") << ": "
                  << policy::decision_name(d.decision) << "\n  rule: " << d.rule
                  << (d.layer.empty() ? "" : " (" + d.layer + ")") << "\n  reason: " << d.reason
                  << "\n";
        if (!q.address && np.mode == policy::NetworkPolicy::Mode::proxy)
            std::cout << "  (the resolved address is not checked here; give --address to check "
                         "it)\n";
    }
    return kOk;
}

void add_check(CLI::App& policy_app, int& exit_status) {
    struct Options {
        bool json = false, no_builtin = false;
        std::vector<std::string> policies;
        std::string workspace = ".", shell, tool, path, host, address;
        std::vector<std::string> argv;
    };
    auto o = std::make_shared<Options>();
    auto* sub = policy_app.add_subcommand("check",
                                          "Show the decision for one call: the winning rule, every "
                                          "match per segment, the guard's reasons");
    sub->add_flag("--json", o->json, "print one JSON object");
    sub->add_option("--policy", o->policies, "policy file layered on top (repeatable)");
    sub->add_flag("--no-builtin-policy", o->no_builtin, "start from an empty base");
    sub->add_option("--workspace", o->workspace, "workspace directory (default: .)");
    sub->add_option("-c", o->shell, "a shell command string");
    sub->add_option("--tool", o->tool, "file_write or file_read (with --path)");
    sub->add_option("--path", o->path, "path of a file call, relative to the workspace");
    sub->add_option("--host", o->host,
                    "a network destination HOST[:PORT] (port 443 when omitted; [v6]:PORT)");
    sub->add_option("--address", o->address,
                    "with --host: the address it resolves to (checked like the proxy does)");
    sub->add_option("argv", o->argv, "the command (after --)");
    sub->callback([o, &exit_status] {
        ToolCall call;
        const int forms =
            !o->argv.empty() + !o->shell.empty() + !o->tool.empty() + !o->host.empty();
        if (forms != 1) {
            std::cerr << "airlock: policy check: give exactly one of -- ARGV, -c STRING, --tool T "
                         "--path P, --host HOST[:PORT]\n";
            exit_status = kError;
            return;
        }
        if (!o->host.empty()) {
            exit_status = check_host(*o, o->host, o->address);
            return;
        }
        if (!o->address.empty()) {
            std::cerr << "airlock: policy check: --address goes with --host\n";
            exit_status = kError;
            return;
        }
        if (!o->tool.empty()) {
            auto t = parse_tool(o->tool);
            if (!t || *t == Tool::shell_exec || o->path.empty()) {
                std::cerr
                    << "airlock: policy check: --tool takes file_write or file_read, with --path\n";
                exit_status = kError;
                return;
            }
            call.tool = *t;
            call.path = o->path;
        } else if (!o->shell.empty()) {
            call.shell = o->shell;
        } else {
            call.argv = o->argv;
        }
        const fs::path workspace = fs::absolute(o->workspace);
        std::vector<fs::path> files(o->policies.begin(), o->policies.end());
        auto stack =
            PolicyStack::load(policy::standard_load_options(workspace, files, !o->no_builtin));
        if (!stack) {
            exit_status = report_error(stack.error());
            return;
        }
        const guard::Assessment a = stack->guard().assess(call, stack->workspace());
        const policy::Verdict v = stack->evaluate(call, a);
        if (o->json) {
            json out = policy::to_json(v);
            json segments = json::array();
            for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
                const auto& s = a.parse.segments[i];
                segments.push_back({{"index", i},
                                    {"argv", s.argv},
                                    {"program_path", s.program_path},
                                    {"wrappers", s.wrappers}});
            }
            out["segments"] = segments;
            out["risk"] = guard::to_json(a);
            out["layers"] = stack->layer_names();
            std::cout << out.dump(2) << "\n";
        } else {
            print_verdict(call, a, v);
        }
        exit_status = kOk;
    });
}

void add_lint(CLI::App& policy_app, int& exit_status) {
    struct Options {
        std::string file, workspace = ".";
        bool json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub =
        policy_app.add_subcommand("lint", "Report errors and suspicious rules in a policy file");
    sub->add_option("file", o->file, "policy file")->required();
    sub->add_flag("--json", o->json, "print the findings as a JSON array");
    sub->add_option("--workspace", o->workspace, "workspace that path globs resolve against");
    sub->callback([o, &exit_status] {
        auto text = read_text(o->file);
        if (!text) {
            exit_status = report_error(text.error());
            return;
        }
        const auto findings = policy::lint_policy(*text, o->file, fs::absolute(o->workspace));
        if (o->json) {
            json out = json::array();
            for (const auto& f : findings)
                out.push_back(policy::to_json(f));
            std::cout << out.dump(2) << "\n";
        } else {
            for (const auto& f : findings)
                std::cout << (f.severity == policy::Finding::Severity::error ? "error" : "warning")
                          << ": " << f.render() << " [" << f.code << "]\n";
            if (findings.empty()) std::cout << o->file << ": no findings\n";
        }
        exit_status = policy::has_errors(findings) ? kError : findings.empty() ? kOk : kFindings;
    });
}

void add_test(CLI::App& policy_app, int& exit_status) {
    struct Options {
        std::string file, cases, workspace = ".";
        bool builtin = false, keep_going = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub =
        policy_app.add_subcommand("test", "Check a policy against expected decisions (JSON lines)");
    sub->add_option("file", o->file, "policy file")->required();
    sub->add_option("--cases", o->cases, "cases file: one call and its \"expect\" per line")
        ->required();
    sub->add_flag("--builtin", o->builtin, "layer the file on top of the built-in policy");
    sub->add_flag("--keep-going", o->keep_going, "skip unreadable case lines (still reported)");
    sub->add_option("--workspace", o->workspace, "workspace that path globs resolve against");
    sub->callback([o, &exit_status] {
        auto stack = load_files({o->file}, o->builtin, fs::absolute(o->workspace));
        if (!stack) {
            exit_status = report_error(stack.error());
            return;
        }
        auto cases = policy::read_cases(o->cases);
        if (!cases) {
            exit_status = report_error(cases.error());
            return;
        }
        if (!report_problems(cases->problems, o->keep_going)) {
            exit_status = kError;
            return;
        }
        std::size_t failures = 0, checked = 0;
        for (const auto& rc : cases->calls) {
            if (!rc.expect) {
                std::cerr << "airlock: " << rc.origin << ": no \"expect\"; not checked\n";
                continue;
            }
            ++checked;
            const auto v =
                stack->evaluate(rc.call, stack->guard().assess(rc.call, stack->workspace()));
            if (v.decision == *rc.expect) continue;
            ++failures;
            std::cout << "FAIL " << rc.origin << (rc.name.empty() ? "" : " (" + rc.name + ")")
                      << ": " << policy::describe_call(rc.call) << "\n     expected "
                      << policy::decision_name(*rc.expect) << ", got "
                      << policy::decision_name(v.decision) << " by rule " << v.rule << ": "
                      << v.reason << "\n";
        }
        std::cout << checked - failures << " of " << checked << " cases pass";
        if (!cases->problems.empty())
            std::cout << ", " << cases->problems.size() << " lines skipped";
        std::cout << "\n";
        exit_status = failures == 0 && checked > 0 ? kOk : kFindings;
    });
}

void add_diff(CLI::App& policy_app, int& exit_status) {
    struct Options {
        std::string before, after, cases, wal, workspace = ".";
        bool builtin = false, keep_going = false, json = false;
    };
    auto o = std::make_shared<Options>();
    auto* sub = policy_app.add_subcommand(
        "diff", "Replay recorded calls against two policies and list every decision that changes");
    sub->add_option("old", o->before, "current policy file")->required();
    sub->add_option("new", o->after, "proposed policy file")->required();
    auto* cases = sub->add_option("--cases", o->cases, "cases file (JSON lines)");
    auto* wal = sub->add_option("--wal", o->wal, "directory searched for */events.jsonl");
    cases->excludes(wal);
    sub->add_flag("--builtin", o->builtin, "layer both files on top of the built-in policy");
    sub->add_flag("--keep-going", o->keep_going, "skip unreadable lines (still reported)");
    sub->add_flag("--json", o->json, "print one JSON object");
    sub->add_option("--workspace", o->workspace, "workspace that path globs resolve against");
    sub->callback([o, &exit_status] {
        if (o->cases.empty() == o->wal.empty()) {
            std::cerr << "airlock: policy diff: give --cases FILE or --wal DIR\n";
            exit_status = kError;
            return;
        }
        const fs::path workspace = fs::absolute(o->workspace);
        auto before = load_files({o->before}, o->builtin, workspace);
        if (!before) {
            exit_status = report_error(before.error());
            return;
        }
        auto after = load_files({o->after}, o->builtin, workspace);
        if (!after) {
            exit_status = report_error(after.error());
            return;
        }
        auto input =
            o->cases.empty() ? policy::read_wal_calls(o->wal) : policy::read_cases(o->cases);
        if (!input) {
            exit_status = report_error(input.error());
            return;
        }
        if (!report_problems(input->problems, o->keep_going)) {
            exit_status = kError;
            return;
        }
        const auto d = policy::diff_policies(*before, *after, input->calls);
        if (o->json) {
            json changes = json::array();
            for (const auto& c : d.changes)
                changes.push_back({{"origin", c.recorded.origin},
                                   {"call", policy::call_to_json(c.recorded.call)},
                                   {"old", policy::to_json(c.before)},
                                   {"new", policy::to_json(c.after)}});
            std::cout << json{{"total", d.total},
                              {"changed", d.changes.size()},
                              {"stricter", d.stricter},
                              {"looser", d.looser},
                              {"skipped", input->problems.size()},
                              {"changes", changes}}
                             .dump(2)
                      << "\n";
        } else {
            for (const auto& c : d.changes) {
                std::cout << c.recorded.origin << ": " << policy::describe_call(c.recorded.call)
                          << "\n    " << policy::decision_name(c.before.decision) << " -> "
                          << policy::decision_name(c.after.decision) << "  (old: " << c.before.rule
                          << "; new: " << c.after.rule << ": " << c.after.reason << ")\n";
            }
            std::cout << d.changes.size() << " of " << d.total << " calls change: " << d.stricter
                      << " stricter, " << d.looser << " looser";
            if (!input->problems.empty())
                std::cout << "; " << input->problems.size() << " lines skipped";
            std::cout << "\n";
        }
        exit_status = d.changes.empty() ? kOk : kFindings;
    });
}

// The protection floor is not policy (no layer can change it), but it is what a policy author
// must know about: it is listed here.
void add_floor(CLI::App& policy_app) {
    auto json_out = std::make_shared<bool>(false);
    auto* sub = policy_app.add_subcommand(
        "floor", "List the protection floor: paths no policy can make writable (docs/SANDBOX.md)");
    sub->add_flag("--json", *json_out, "print one JSON object");
    sub->callback([json_out] {
        if (*json_out) {
            json entries = json::array();
            for (const auto& e : sandbox::floor_entries())
                entries.push_back({{"path", e.path}, {"why", e.why}});
            std::cout << json{{"entries", entries}, {"nested_scan_depth", sandbox::kFloorScanDepth}}
                             .dump(2)
                      << "\n";
            return;
        }
        for (const auto& e : sandbox::floor_entries())
            std::cout << e.path << "\t" << e.why << "\n";
    });
}

}  // namespace

void add_policy_commands(CLI::App& app, int& exit_status) {
    auto* policy_app =
        app.add_subcommand("policy", "Check, lint, test and diff allow/ask/deny policies");
    policy_app->require_subcommand(1);
    add_check(*policy_app, exit_status);
    add_lint(*policy_app, exit_status);
    add_test(*policy_app, exit_status);
    add_diff(*policy_app, exit_status);
    add_floor(*policy_app);
}

}  // namespace airlock::cli
