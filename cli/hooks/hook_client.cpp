#include "cli/hooks/hook_client.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "cli/hooks/hook_server_wire.hpp"
#include "platform/approval_socket.hpp"

extern char** environ;

namespace airlock::hooks {

namespace {

void receive_timeout(int fd, int seconds) {
    const timeval tv{seconds, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

mode_t current_umask() {
    const mode_t mask = ::umask(022);
    ::umask(mask);
    return mask;
}

}  // namespace

ServedOutcome call_hook_server(const HookServerAddress& address, const std::string& event) {
    auto where = unix_address(address.socket);
    if (!where) return NotServed{};
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return NotServed{};
    const auto* sa = reinterpret_cast<const sockaddr*>(&where->address);
    if (::connect(fd.get(), sa, sizeof where->address) != 0) return NotServed{};
    // The directory is this user's alone; the peer's user is checked as well, cheaply.
    if (!peer_is_same_user(fd.get())) return NotServed{};

    wire::Call call;
    call.key = address.key;
    call.umask = current_umask();
    for (char** e = environ; e && *e; ++e)
        call.environment.emplace_back(*e);
    call.event = event;
    // Until the server says it accepted the call, it has done nothing: any failure up to then
    // is "not served" and the call decides itself.
    // A server that stalls is not "not served": it may still take the call after this one gave
    // up, and a call is never decided twice.
    receive_timeout(fd.get(), kServerAnswerSeconds);
    if (!send_all(fd.get(), wire::encode_call(call))) return NotServed{};
    errno = 0;
    const auto first = wire::read_byte(fd.get());
    if (!first && (errno == EAGAIN || errno == EWOULDBLOCK))
        return ServerFailed{"airlock: the hook server (" + address.socket.string() +
                            ") did not take this call within " +
                            std::to_string(kServerAnswerSeconds) + " s; nothing was decided"};
    if (!first || *first != wire::kAccepted) return NotServed{};
    if (auto answer = wire::read_answer(fd.get())) return std::move(*answer);
    return ServerFailed{"airlock: the hook server (" + address.socket.string() +
                        ") accepted this call and ended or stalled before answering; it may "
                        "have been recorded, and was not decided again"};
}

}  // namespace airlock::hooks
