#include "cli/hooks/hook_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/hooks/hook_server_wire.hpp"
#include "platform/approval_socket.hpp"

extern char** environ;

namespace airlock::hooks {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kRequestSeconds = 5;  // a caller that sends its call slower is dropped
constexpr int kWakeSeconds = 10;    // how often an idle server looks at its surroundings

struct Server {
    HookServerAddress address;
    std::unique_ptr<Adapter> adapter;
    HookOptions options;
    struct stat socket_identity {};
    std::chrono::seconds idle_limit{600};
};

std::chrono::seconds idle_limit_from_environment() {
    const char* text = std::getenv("AIRLOCK_HOOK_SERVER_IDLE");
    if (text == nullptr || *text == '\0') return std::chrono::seconds(600);
    char* end = nullptr;
    const long seconds = std::strtol(text, &end, 10);
    if (*end != '\0' || seconds < 1 || seconds > 86'400) return std::chrono::seconds(600);
    return std::chrono::seconds(seconds);
}

bool single_threaded() {
    std::error_code ec;
    auto it = fs::directory_iterator("/proc/self/task", ec);
    if (ec) return false;
    int threads = 0;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) return false;
        ++threads;
    }
    return threads == 1;
}

// The server's socket is still the file it bound, and its working directory still exists.
bool still_in_place(const Server& s) {
    struct stat now {
    }, here{};
    return ::lstat(s.address.socket.c_str(), &now) == 0 && now.st_dev == s.socket_identity.st_dev &&
           now.st_ino == s.socket_identity.st_ino && ::stat(".", &here) == 0 && here.st_nlink > 0;
}

// The call's environment and umask for the length of one decision (getenv reads `environ`).
class CallerContext {
  public:
    explicit CallerContext(wire::Call& call) : saved_env_(environ) {
        for (auto& entry : call.environment)
            env_.push_back(entry.data());
        env_.push_back(nullptr);
        environ = env_.data();
        saved_umask_ = ::umask(call.umask);
    }
    CallerContext(const CallerContext&) = delete;
    CallerContext& operator=(const CallerContext&) = delete;
    ~CallerContext() {
        environ = saved_env_;
        ::umask(saved_umask_);
    }

  private:
    char** saved_env_;
    std::vector<char*> env_;
    mode_t saved_umask_ = 022;
};

void serve_call(const Server& s, int fd) {
    const timeval tv{kRequestSeconds, 0};
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const char not_served = wire::kNotServed;
    if (!unconfined_peer(fd)) {
        (void)send_all(fd, std::string_view(&not_served, 1));
        return;
    }
    auto call = wire::read_call(fd);
    if (!call || call->key != s.address.key) {
        (void)send_all(fd, std::string_view(&not_served, 1));
        return;
    }
    // Past this byte the call is the server's to answer; a caller gone by now gets nothing.
    const char accepted = wire::kAccepted;
    if (!send_all(fd, std::string_view(&accepted, 1))) return;
    Rendered answer;
    {
        CallerContext context(*call);
        answer = run_hook(*s.adapter, s.options, call->event);
    }
    (void)send_all(fd, wire::encode_answer(answer));
}

volatile sig_atomic_t stop_requested = 0;
void request_stop(int) {
    stop_requested = 1;
}

// SIGTERM, SIGINT and SIGHUP end the server as its idle limit does, its files removed. They are
// blocked except while it waits for a call, so that a call in hand is answered first. Returns
// the mask to wait with.
sigset_t stop_on_signals() {
    constexpr int kStops[] = {SIGTERM, SIGINT, SIGHUP};
    sigset_t stops, waiting;
    sigemptyset(&stops);
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    for (const int signal : kStops) {
        sigaddset(&stops, signal);
        (void)::sigaction(signal, &action, nullptr);
    }
    (void)::sigprocmask(SIG_BLOCK, &stops, &waiting);
    for (const int signal : kStops)
        sigdelset(&waiting, signal);
    return waiting;
}

[[noreturn]] void serve(const Server& s, UniqueFd listener) {
    const sigset_t waiting = stop_on_signals();
    auto last_call = Clock::now();
    for (;;) {
        const auto idle = Clock::now() - last_call;
        if (stop_requested || idle >= s.idle_limit || !still_in_place(s)) break;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(s.idle_limit - idle);
        const long long wait_ms = std::min<long long>(left.count() + 1, kWakeSeconds * 1000);
        const timespec wait{static_cast<time_t>(wait_ms / 1000),
                            static_cast<long>(wait_ms % 1000) * 1'000'000};
        pollfd p{listener.get(), POLLIN, 0};
        const int ready = ::ppoll(&p, 1, &wait, &waiting);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        UniqueFd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!conn.valid()) continue;
        serve_call(s, conn.get());
        last_call = Clock::now();
    }
    // Callers that connect from here on find no socket, or are closed before 'A': they decide
    // themselves.
    // The lock file goes too, still held: a server started meanwhile on the file just unlinked
    // may bind the socket as well, and the one whose socket is replaced ends at its next wake.
    if (still_in_place(s)) {
        ::unlink(s.address.socket.c_str());
        ::unlink(s.address.lock.c_str());
    }
    std::_Exit(0);
}

// In the forked child, in a session of its own: no terminal, none of the agent's descriptors.
void detach(int keep_a, int keep_b) {
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0)
        for (int fd = 0; fd <= 2; ++fd)
            (void)::dup2(null, fd);
    const int low = std::min(keep_a, keep_b), high = std::max(keep_a, keep_b);
    (void)::close_range(3, static_cast<unsigned>(low - 1), 0);
    (void)::close_range(static_cast<unsigned>(low + 1), static_cast<unsigned>(high - 1), 0);
    (void)::close_range(static_cast<unsigned>(high + 1), ~0U, 0);
}

}  // namespace

void start_hook_server(const HookServerAddress& address, std::string_view agent,
                       const HookOptions& options) {
    // An approval provider other than "deny" may run a program or wait on a page: a server
    // that only decides must not.
    if (!options.approve.empty() && options.approve != "deny") return;
    if (!single_threaded() || !unconfined_self()) return;
    if (!ensure_hook_server_directory(address)) return;
    UniqueFd lock(::open(address.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!lock.valid() || ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) return;
    // The lock is held: no server lives at this address, and none starts meanwhile. A socket
    // left by one that was killed is stale.
    (void)::unlink(address.socket.c_str());
    auto where = unix_address(address.socket);
    if (!where) return;
    UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener.valid()) return;
    const mode_t mask = ::umask(077);
    const bool bound = ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&where->address),
                              sizeof where->address) == 0;
    ::umask(mask);
    Server s;
    if (!bound || ::listen(listener.get(), 64) != 0 ||
        ::lstat(address.socket.c_str(), &s.socket_identity) != 0)
        return;
    s.address = address;
    s.adapter = make_adapter(agent);
    s.options = options;
    s.idle_limit = idle_limit_from_environment();
    if (!s.adapter) return;

    // The caller returns only once the server has left its process group: whoever started
    // the hook may kill that group as soon as the hook exits (as agents and timeout(1) do).
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) return;
    UniqueFd ready_read(ready[0]), ready_write(ready[1]);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid != 0) {  // the caller (or a failed fork); its copies of the fds close on return
        ready_write.reset();
        char byte;
        while (pid > 0 && ::read(ready_read.get(), &byte, 1) < 0 && errno == EINTR) {
        }
        return;
    }
    (void)::setsid();
    (void)!::write(ready_write.get(), "s", 1);
    detach(listener.get(), lock.get());
    const std::string self = std::to_string(::getpid()) + "\n";
    (void)!::ftruncate(lock.get(), 0);
    (void)!::pwrite(lock.get(), self.data(), self.size(), 0);
    (void)lock.release();  // held until the server exits
    serve(s, std::move(listener));
}

}  // namespace airlock::hooks
