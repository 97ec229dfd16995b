// `airlock guard score` and `airlock guard rules`: the guard on its own, for people and scripts.
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "guard/guard.hpp"
#include "platform/shell_quote.hpp"

namespace airlock::cli {
namespace {

std::string join_quoted(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) {
        if (!out.empty()) out += ' ';
        out += shell_quote(w);
    }
    return out;
}

void print_human(const guard::Assessment& a) {
    std::cout << "level: " << guard::level_name(a.level) << " (score " << a.score << ")\n";
    if (!a.parse.complete) {
        std::cout << "parse: incomplete";
        for (const auto& p : a.parse.problems)
            std::cout << "; " << p;
        std::cout << "\n";
    }
    std::cout << "segments:" << (a.parse.segments.empty() ? " none\n" : "\n");
    for (std::size_t i = 0; i < a.parse.segments.size(); ++i) {
        const auto& s = a.parse.segments[i];
        std::cout << "  [" << i << "] "
                  << (s.argv.empty() ? std::string("(redirections only)") : join_quoted(s.argv))
                  << "\n      depth " << s.depth << ", pipeline " << s.pipeline << "."
                  << s.pipe_position;
        if (!s.program_path.empty() && s.program_path != (s.argv.empty() ? "" : s.argv[0]))
            std::cout << ", program " << shell_quote(s.program_path);
        if (!s.wrappers.empty()) std::cout << ", wrappers " << join_quoted(s.wrappers);
        if (s.dynamic) std::cout << ", dynamic";
        if (s.background) std::cout << ", background";
        if (s.parent >= 0) std::cout << ", inside [" << s.parent << "]";
        std::cout << "\n";
        for (const auto& r : s.redirects)
            std::cout << "      redirect " << r.op << " " << shell_quote(r.target) << "\n";
    }
    std::cout << "reasons:" << (a.reasons.empty() ? " none\n" : "\n");
    for (const auto& r : a.reasons) {
        std::cout << "  " << guard::level_name(r.level) << "  " << r.id;
        if (r.segment >= 0) std::cout << " [" << r.segment << "]";
        std::cout << ": " << r.message << "\n";
    }
}

}  // namespace

void add_guard_commands(CLI::App& app, int& exit_status) {
    auto* guard_cmd = app.add_subcommand("guard", "Score commands with the guard; list its rules");
    guard_cmd->require_subcommand(1);

    struct ScoreOptions {
        bool json = false;
        std::string shell;
        std::vector<std::string> argv;
        std::string workspace;
    };
    auto score_opts = std::make_shared<ScoreOptions>();
    auto* score = guard_cmd->add_subcommand(
        "score", "Score one shell_exec call: `-- ARGV...` (run directly) or `-c 'SHELL STRING'`");
    score->add_flag("--json", score_opts->json, "Print the assessment as JSON");
    auto* shell_opt =
        score->add_option("-c", score_opts->shell, "A shell string, as sh -c runs it");
    auto* argv_opt = score->add_option("argv", score_opts->argv, "The argv, after --");
    score->add_option("--workspace", score_opts->workspace,
                      "Workspace root used by path rules (default: the current directory)");
    shell_opt->excludes(argv_opt);
    score->callback([score_opts, shell_opt, &exit_status] {
        if (shell_opt->count() == 0 && score_opts->argv.empty())
            throw CLI::ValidationError("guard score", "give `-- ARGV...` or `-c 'SHELL STRING'`");
        auto guard = guard::Guard::create();
        if (!guard) {
            std::cerr << "airlock: " << guard.error().describe() << "\n";
            exit_status = 1;
            return;
        }
        ToolCall call;
        call.tool = Tool::shell_exec;
        if (shell_opt->count() > 0)
            call.shell = score_opts->shell;
        else
            call.argv = score_opts->argv;
        std::error_code ec;
        const std::filesystem::path ws = score_opts->workspace.empty()
                                             ? std::filesystem::current_path(ec)
                                             : std::filesystem::path(score_opts->workspace);
        const auto assessment = guard->assess(call, ws);
        if (score_opts->json)
            std::cout << guard::to_json(assessment).dump() << "\n";
        else
            print_human(assessment);
        exit_status = 0;
    });

    auto rules_json = std::make_shared<bool>(false);
    auto* rules = guard_cmd->add_subcommand("rules", "List the built-in rule catalog");
    rules->add_flag("--json", *rules_json, "Print the catalog as JSON");
    rules->callback([rules_json, &exit_status] {
        auto guard = guard::Guard::create();
        if (!guard) {
            std::cerr << "airlock: " << guard.error().describe() << "\n";
            exit_status = 1;
            return;
        }
        if (*rules_json) {
            nlohmann::json out = nlohmann::json::array();
            for (const auto& r : guard->rules())
                out.push_back(
                    {{"id", r.id},
                     {"level", guard::level_name(r.level)},
                     {"message", r.message},
                     {"tool", tool_name(r.tool)},
                     {"examples", {{"trigger", r.trigger_examples}, {"pass", r.pass_examples}}}});
            std::cout << out.dump(2) << "\n";
        } else {
            for (const auto& r : guard->rules()) {
                std::string level(guard::level_name(r.level));
                level.resize(9, ' ');
                std::string id = r.id;
                if (id.size() < 26) id.resize(26, ' ');
                std::cout << level << id << " " << (r.tool == Tool::shell_exec ? "" : "[")
                          << (r.tool == Tool::shell_exec ? ""
                                                         : std::string(tool_name(r.tool)) + "] ")
                          << r.message << "\n";
            }
        }
        exit_status = 0;
    });
}

}  // namespace airlock::cli
