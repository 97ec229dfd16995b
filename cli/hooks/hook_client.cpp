#include "cli/hooks/hook_client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/hooks/adapter.hpp"
#include "cli/hooks/fixed_text.hpp"
#include "platform/approval_socket.hpp"
#include "platform/write_all.hpp"

namespace airlock::hooks {

namespace {

// Constant-initialised: static initialisation, which runs after the early client, leaves it.
constinit EarlyHookCall early_state{};

mode_t current_umask() noexcept {
    const mode_t mask = ::umask(022);
    ::umask(mask);
    return mask;
}

static_assert(sizeof(EarlyHookCall::reason) == sizeof(CallOutcome::reason));

// The reason starts with what names the server; the caller adds the rest.
FixedText fail(CallOutcome& outcome, const char* socket) noexcept {
    outcome.kind = CallOutcome::Kind::failed;
    FixedText reason(outcome.reason, sizeof outcome.reason);
    reason.append("airlock: the hook server (");
    reason.append(socket);
    reason.append(") ");
    return reason;
}

bool read_all(int fd, MappedBuffer& out) noexcept {
    for (;;) {
        if (out.capacity() - out.size() < 4096 && !out.reserve(out.capacity() * 2 + 65536))
            return false;
        const ssize_t n = ::read(fd, out.data() + out.size(), out.capacity() - out.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        out.resize(out.size() + static_cast<std::size_t>(n));
    }
}

// `airlock hook AGENT ...` from an agent: a known agent, no help asked for, and the event not
// typed at a terminal (a person there gets the usual answers without a read of stdin).
bool is_agent_hook_call(int argc, char** argv) noexcept {
    if (argc < 3 || std::string_view(argv[1]) != "hook") return false;
    bool known = false;
    for (std::string_view name : kAgentNames)
        known = known || name == argv[2];
    if (!known) return false;
    for (int i = 1; i < argc; ++i)
        if (std::string_view a = argv[i]; a == "-h" || a.starts_with("--help")) return false;
    return ::isatty(STDIN_FILENO) == 0;
}

}  // namespace

UniqueFd connect_hook_server(const char* socket) noexcept {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::size_t length = std::strlen(socket);
    if (length >= sizeof address.sun_path) return UniqueFd();
    std::memcpy(address.sun_path, socket, length + 1);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid() ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        return UniqueFd();
    // The directory is this user's alone; the peer's user is checked as well, cheaply.
    if (!peer_is_same_user(fd.get())) return UniqueFd();
    return fd;
}

CallOutcome exchange_with_hook_server(int fd, const char* socket, std::string_view key,
                                      std::string_view event, char** environment) noexcept {
    CallOutcome outcome;
    MappedBuffer call;
    if (!wire::encode_call(call, key, current_umask(), environment, event)) return outcome;
    // Until the server says it accepted the call, it has done nothing: any failure up to then
    // is "not served" and the call decides itself.
    // A server that stalls is not "not served": it may still take the call after this one gave
    // up, and a call is never decided twice.
    const timeval wait{kServerAnswerSeconds, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    if (!send_all(fd, call.view())) return outcome;
    errno = 0;
    const auto first = wire::read_byte(fd);
    if (!first && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        FixedText reason = fail(outcome, socket);
        reason.append("did not take this call within ");
        reason.decimal(kServerAnswerSeconds);
        reason.append(" s; nothing was decided");
        reason.c_str();
        return outcome;
    }
    if (!first || *first != wire::kAccepted) return outcome;
    if (wire::read_message(fd, outcome.message))
        if (const auto answer = wire::parse_answer(outcome.message.view())) {
            outcome.kind = CallOutcome::Kind::answered;
            outcome.answer = *answer;
            return outcome;
        }
    FixedText reason = fail(outcome, socket);
    reason.append(
        "accepted this call and ended or stalled before answering; it may have been recorded, "
        "and was not decided again");
    reason.c_str();
    return outcome;
}

CallOutcome call_hook_server(const char* socket, std::string_view key, std::string_view event,
                             char** environment) noexcept {
    const UniqueFd fd = connect_hook_server(socket);
    if (!fd.valid()) return CallOutcome{};
    return exchange_with_hook_server(fd.get(), socket, key, event, environment);
}

const EarlyHookCall& early_hook_call() noexcept {
    return early_state;
}

void answer_hook_early(int argc, char** argv, char** environment) noexcept {
    if (early_state.ran) return;
    early_state.ran = true;
    early_state.agent_call = is_agent_hook_call(argc, argv);
    if (!early_state.agent_call) return;
    RawHookServerAddress address;
    if (!raw_hook_server_address(argc, argv, environment, address)) return;
    // No server (none yet, or a stale socket): main reads the event and decides.
    const UniqueFd fd = connect_hook_server(address.socket);
    if (!fd.valid()) return;
    // An unreadable event is an empty one, which fails closed as any bad input does.
    MappedBuffer event;
    if (!read_all(STDIN_FILENO, event)) event.resize(0);
    const std::string_view key(address.key, address.key_size);
    CallOutcome outcome =
        exchange_with_hook_server(fd.get(), address.socket, key, event.view(), environment);
    if (outcome.kind == CallOutcome::Kind::answered) {
        (void)write_all(STDOUT_FILENO, outcome.answer.out);
        (void)write_all(STDERR_FILENO, outcome.answer.err);
        ::_exit(outcome.answer.exit_code);
    }
    early_state.event_read = true;
    early_state.event = event.release();
    if (outcome.kind == CallOutcome::Kind::failed) {
        early_state.failed = true;
        std::memcpy(early_state.reason, outcome.reason, sizeof early_state.reason);
    }
}

}  // namespace airlock::hooks
