#include "approvals/exec_provider.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "approvals/child_process.hpp"
#include "approvals/exec_protocol.hpp"

namespace airlock::approvals {

namespace {

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
           ::access(path.c_str(), X_OK) == 0;
}

Result<std::string> resolve_program(std::string_view program) {
    const std::string given(program);
    if (given.empty()) return make_error("config", "approval provider \"exec:\" names no program");
    if (given.find('/') != std::string::npos) {
        std::error_code ec;
        const auto absolute = std::filesystem::absolute(given, ec);
        if (ec || !is_executable_file(absolute.string())) {
            return make_error("config", "approval provider \"exec:" + given +
                                            "\": no executable file at " + given);
        }
        return absolute.string();
    }
    const char* path_env = std::getenv("PATH");
    std::string_view search = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
    while (true) {
        const auto colon = search.find(':');
        std::string dir(search.substr(0, colon));
        if (!dir.empty() && dir.front() == '/') {  // relative PATH entries are ignored
            const std::string candidate = dir + "/" + given;
            if (is_executable_file(candidate)) return candidate;
        }
        if (colon == std::string_view::npos) break;
        search.remove_prefix(colon + 1);
    }
    return make_error("config", "approval provider \"exec:" + given + "\": program \"" + given +
                                    "\" not found in PATH");
}

std::string seconds_text(std::chrono::milliseconds ms) {
    if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
    return std::to_string(ms.count()) + " ms";
}

class ExecProvider final : public Provider {
  public:
    ExecProvider(std::string spec, std::string program, std::chrono::milliseconds timeout)
        : spec_(std::move(spec)), program_(std::move(program)), timeout_(timeout) {}

    std::string name() const override { return spec_; }

    ApprovalAnswer ask(const ApprovalRequest& request) override {
        const std::string input = request_document(request).dump(
                                      -1, ' ', false, nlohmann::json::error_handler_t::replace) +
                                  "\n";
        auto run = run_child(program_, input, timeout_, kMaxAnswerBytes);
        const std::string who = "approval program " + program_;
        if (!run) return deny(who + " could not be started: " + run.error().describe());
        switch (run->end) {
            case ChildRun::End::timed_out:
                return {ApprovalDecision::timed_out,
                        who + " did not answer within " + seconds_text(timeout_) + " (killed)",
                        spec_, 0};
            case ChildRun::End::too_much_output:
                return deny(who + " wrote more than " + std::to_string(kMaxAnswerBytes) +
                            " bytes (killed)");
            case ChildRun::End::signalled:
                return deny(who + " was killed by signal " + std::to_string(run->term_signal) +
                            " (" + ::strsignal(run->term_signal) + ")");
            case ChildRun::End::exited:
                if (run->exit_code != 0) {
                    return deny(who + " exited with status " + std::to_string(run->exit_code) +
                                " (an answer counts only with status 0)");
                }
                return parse_exec_answer(run->output, spec_);
        }
        return deny(who + ": unknown end");
    }

  private:
    ApprovalAnswer deny(std::string reason) const {
        return {ApprovalDecision::denied, std::move(reason), spec_, 0};
    }

    std::string spec_;
    std::string program_;
    std::chrono::milliseconds timeout_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_exec_provider(std::string_view program,
                                                     std::chrono::milliseconds timeout) {
    auto resolved = resolve_program(program);
    if (!resolved) return resolved.error();
    return std::unique_ptr<Provider>(
        std::make_unique<ExecProvider>("exec:" + std::string(program), *resolved, timeout));
}

}  // namespace airlock::approvals
