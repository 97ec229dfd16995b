#include "approvals/tty_provider.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <string_view>

#include "approvals/prompt_text.hpp"
#include "approvals/raw_terminal.hpp"
#include "platform/unique_fd.hpp"
#include "platform/write_all.hpp"

namespace airlock::approvals {

namespace {

constexpr char kCtrlC = 0x03;
constexpr char kCtrlD = 0x04;
constexpr char kCtrlBackslash = 0x1C;
constexpr char kEscape = 0x1B;

// A terminal that cannot be written to still gets its answer read.
void show(int fd, std::string_view text) {
    (void)write_all(fd, text);
}

class TtyProvider final : public Provider {
  public:
    TtyProvider(UniqueFd tty, PromptStyle style) : tty_(std::move(tty)), style_(style) {}

    std::string name() const override { return "tty"; }

    ApprovalAnswer ask(const ApprovalRequest& request) override {
        // One terminal, one prompt at a time; concurrent asks queue here.
        std::lock_guard lock(terminal_);
        auto answer = prompt(request);
        answer.provider = name();
        return answer;
    }

  private:
    ApprovalAnswer prompt(const ApprovalRequest& request) {
        const int fd = tty_.get();
        auto raw = RawTerminal::enter(fd);
        if (!raw) {
            return {ApprovalDecision::denied,
                    "the terminal cannot prompt: " + raw.error().describe(),
                    {},
                    0};
        }
        show(fd, render_summary(request, style_));
        show(fd, render_choices(style_));

        using Clock = std::chrono::steady_clock;
        const auto deadline = Clock::now() + std::chrono::seconds(style_.timeout_seconds);
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) {
                const std::string why = "no answer at the terminal within " +
                                        std::to_string(style_.timeout_seconds) + " s";
                show(fd, "\n  " + why + ": denied\n");
                return {ApprovalDecision::timed_out, why, {}, 0};
            }
            pollfd p{fd, POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) {
                return {
                    ApprovalDecision::denied, "cannot wait for the terminal (poll failed)", {}, 0};
            }
            if (ready == 0) continue;
            char keys[64];
            const ssize_t n = ::read(fd, keys, sizeof keys);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {
                return {ApprovalDecision::denied, "the terminal closed before an answer", {}, 0};
            }
            for (ssize_t i = 0; i < n; ++i) {
                const char key = keys[i];
                // An escape sequence (arrow keys, function keys) is never an answer.
                if (key == kEscape) break;
                if (auto answer = answer_for(key, request)) {
                    show(fd, key_shown(key) + std::string(echo_for(answer->decision)) + "\n");
                    return *answer;
                }
            }
        }
    }

    std::optional<ApprovalAnswer> answer_for(char key, const ApprovalRequest& request) {
        switch (key) {
            case 'y':
                return ApprovalAnswer{
                    ApprovalDecision::approved, "approved once at the terminal", {}, 0};
            case 's':
                return ApprovalAnswer{ApprovalDecision::approved_for_session,
                                      "approved for the session at the terminal",
                                      {},
                                      0};
            case 'n':
                return ApprovalAnswer{ApprovalDecision::denied, "denied at the terminal", {}, 0};
            case kCtrlD:
                return ApprovalAnswer{
                    ApprovalDecision::denied, "denied at the terminal (Ctrl-D)", {}, 0};
            case 'a':
                return ApprovalAnswer{
                    ApprovalDecision::abort, "run aborted at the terminal", {}, 0};
            case kCtrlC:
            case kCtrlBackslash:
                return ApprovalAnswer{
                    ApprovalDecision::abort, "run aborted at the terminal (Ctrl-C)", {}, 0};
            case '?':
                show(tty_.get(), render_details(request, style_));
                show(tty_.get(), render_choices(style_));
                return std::nullopt;
            default:
                return std::nullopt;  // includes Enter: there is no default answer
        }
    }

    static std::string key_shown(char key) {
        switch (key) {
            case kCtrlC:
                return "^C";
            case kCtrlD:
                return "^D";
            case kCtrlBackslash:
                return "^\\";
            default:
                return std::string(1, key);
        }
    }

    static std::string_view echo_for(ApprovalDecision d) {
        switch (d) {
            case ApprovalDecision::approved:
                return "\n  -> approved once";
            case ApprovalDecision::approved_for_session:
                return "\n  -> approved for this session (this exact request)";
            case ApprovalDecision::denied:
                return "\n  -> denied";
            case ApprovalDecision::abort:
                return "\n  -> denied, and the run is aborted";
            case ApprovalDecision::timed_out:
                return "\n  -> timed out";
        }
        return "";
    }

    UniqueFd tty_;
    PromptStyle style_;
    std::mutex terminal_;
};

}  // namespace

bool terminal_wants_colour() {
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color != nullptr && *no_color != '\0') return false;
    const char* term = std::getenv("TERM");
    return term != nullptr && *term != '\0' && std::string_view(term) != "dumb";
}

Result<std::unique_ptr<Provider>> make_tty_provider(const ProviderOptions& options) {
    UniqueFd tty(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!tty.valid()) {
        return sys_error("config",
                         "approval provider \"tty\" needs a terminal, and there is none "
                         "(use --approve deny or --approve exec:PROGRAM)",
                         "open(/dev/tty)");
    }
    if (!::isatty(tty.get())) {
        return sys_error("config", "approval provider \"tty\": /dev/tty is not a terminal",
                         "isatty");
    }
    PromptStyle style{options.color.value_or(terminal_wants_colour()), options.timeout_seconds};
    return std::unique_ptr<Provider>(std::make_unique<TtyProvider>(std::move(tty), style));
}

}  // namespace airlock::approvals
