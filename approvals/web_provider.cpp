#include "approvals/web_provider.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "approvals/exec_protocol.hpp"
#include "platform/approval_socket.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::approvals {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kMaxAnswerBytes = 64 * 1024;
constexpr int kWebProtocolVersion = 1;

// A connected socket whose peer is this user's `airlock ui`, or why not.
Result<UniqueFd> connect_desk(const fs::path& socket_path) {
    auto address = unix_address(socket_path);
    if (!address) return address.error();
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return sys_error("config", "cannot make a unix socket", "socket");
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address->address),
                  sizeof address->address) != 0)
        return sys_error("config", "no airlock ui answers approvals at " + socket_path.string(),
                         "connect");
    if (!peer_is_same_user(fd.get()))
        return make_error("config", "the approvals socket " + socket_path.string() +
                                        " belongs to a process of another user");
    return fd;
}

bool send_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

class WebProvider final : public Provider {
  public:
    WebProvider(fs::path socket_path, std::chrono::seconds timeout)
        : socket_path_(std::move(socket_path)), timeout_(timeout) {}

    std::string name() const override { return "web"; }

    ApprovalAnswer ask(const ApprovalRequest& request) override {
        const auto deadline = Clock::now() + timeout_;
        auto fd = connect_desk(socket_path_);
        if (!fd) return deny("the page cannot be asked: " + fd.error().describe());
        const nlohmann::json line = {{"version", kWebProtocolVersion},
                                     {"type", "ask"},
                                     {"timeout_seconds", timeout_.count()},
                                     {"pid", static_cast<long>(::getpid())},
                                     {"ask", request_document(request)}};
        if (!send_all(fd->get(),
                       line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"))
            return deny("the page cannot be asked: airlock ui closed the connection");
        std::string answer;
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0) return timed_out();
            pollfd p{fd->get(), POLLIN, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) return deny("waiting for the page failed: poll: " + errno_text());
            if (ready == 0) return timed_out();
            char buf[4096];
            const ssize_t n = ::read(fd->get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return deny("reading the page's answer failed: read: " + errno_text());
            if (n == 0) return deny("airlock ui went away before the ask was answered");
            answer.append(buf, static_cast<std::size_t>(n));
            if (answer.size() > kMaxAnswerBytes)
                return deny("airlock ui sent more than " + std::to_string(kMaxAnswerBytes) +
                            " bytes");
            if (const auto nl = answer.find('\n'); nl != std::string::npos)
                return parse_exec_answer(std::string_view(answer).substr(0, nl), "web");
        }
    }

  private:
    static std::string errno_text() { return std::strerror(errno); }
    ApprovalAnswer deny(std::string reason) const {
        return {ApprovalDecision::denied, std::move(reason), "web", 0};
    }
    ApprovalAnswer timed_out() const {
        // Closing the connection withdraws the card from the page.
        return {ApprovalDecision::timed_out,
                "nobody answered on the page within " + std::to_string(timeout_.count()) + " s",
                "web", 0};
    }

    fs::path socket_path_;
    std::chrono::seconds timeout_;
};

}  // namespace

Result<std::unique_ptr<Provider>> make_web_provider(const fs::path& workspace,
                                                    std::chrono::seconds timeout) {
    if (workspace.empty())
        return make_error("config", "approval provider \"web\" needs the workspace it serves");
    const fs::path socket_path = approval_socket_path(workspace);
    // Probed now: with no page to answer, every ask would only wait for its timeout.
    auto probe = connect_desk(socket_path);
    if (!probe)
        return make_error("config", "approval provider \"web\": " + probe.error().describe() +
                                        "; start `airlock ui --workspace " + workspace.string() +
                                        "` first");
    return std::unique_ptr<Provider>(std::make_unique<WebProvider>(socket_path, timeout));
}

}  // namespace airlock::approvals
