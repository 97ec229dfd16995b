#include "cli/mcp/server.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "cli/mcp/call_registry.hpp"
#include "cli/mcp/call_workers.hpp"
#include "cli/mcp/client_requests.hpp"
#include "cli/mcp/client_state.hpp"
#include "cli/mcp/dispatcher.hpp"
#include "cli/mcp/input_required.hpp"
#include "cli/mcp/line_reader.hpp"
#include "cli/mcp/message_writer.hpp"
#include "exec/call_result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::mcp {

namespace {

// file_write content arrives inside one line; anything larger is refused, not buffered forever.
constexpr std::size_t kMaxLineBytes = 64u << 20;

// Termination signals are read from a signalfd so that shutdown runs the same orderly path as
// stdin closing; SIGPIPE stays blocked so a vanished client is a write error, not a crash.
// Children get a clean signal mask from the process runner.
class SignalGuard {
  public:
    SignalGuard() {
        sigset_t set;
        sigemptyset(&set);
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE})
            sigaddset(&set, sig);
        ::pthread_sigmask(SIG_BLOCK, &set, &previous_);
        sigdelset(&set, SIGPIPE);
        fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    }
    ~SignalGuard() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
    int fd() const { return fd_.get(); }

  private:
    sigset_t previous_{};
    UniqueFd fd_;
};

std::string instructions(const exec::Session& session, const std::filesystem::path& workspace) {
    return "airlock runs every tool call through a risk guard, a policy (allow / ask / deny), "
           "approvals and an OS sandbox. Paths and cwd are relative to the workspace " +
           workspace.string() +
           ". A result with isError says which stage stopped the call and why; do not repeat a "
           "denied call unchanged. Run log: " +
           session.wal_path().string();
}

// Why the loop ended.
enum class Stop { input_closed, signalled, read_error };

Stop read_loop(int in_fd, int signal_fd, Dispatcher& dispatcher) {
    LineReader lines(kMaxLineBytes);
    const auto on_line = [&](std::string_view line) { dispatcher.dispatch(parse_message(line)); };
    const auto on_oversized = [&] {
        Message m;
        m.error_code = rpc_error::kInvalidRequest;
        m.error_message = "message larger than " + std::to_string(kMaxLineBytes) + " bytes";
        dispatcher.dispatch(m);
    };
    std::string buf(1 << 16, '\0');
    for (;;) {
        pollfd fds[2] = {{in_fd, POLLIN, 0}, {signal_fd, POLLIN, 0}};
        const int n = ::poll(fds, signal_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Stop::read_error;
        if (signal_fd >= 0 && (fds[1].revents & POLLIN)) {
            // Consumed here: a signal left pending would kill airlock once the mask is restored.
            signalfd_siginfo info{};
            [[maybe_unused]] const ssize_t r = ::read(signal_fd, &info, sizeof info);
            return Stop::signalled;
        }
        if (fds[0].revents == 0) continue;
        const ssize_t got = ::read(in_fd, buf.data(), buf.size());
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got < 0) return Stop::read_error;
        if (got == 0) {
            lines.finish([&](std::size_t bytes) {
                Message m;
                m.error_code = rpc_error::kParseError;
                m.error_message = "stdin closed in the middle of a message: its last " +
                                  std::to_string(bytes) +
                                  " bytes had no newline and were not read as a message";
                std::cerr << "airlock serve: " << m.error_message << "\n";
                dispatcher.dispatch(m);
            });
            return Stop::input_closed;
        }
        lines.feed(std::string_view(buf.data(), static_cast<std::size_t>(got)), on_line,
                   on_oversized);
    }
}

}  // namespace

int serve(ServerOptions options) {
    SignalGuard signals;
    MessageWriter out(options.out_fd);
    ClientState client;
    ClientRequests requests(out);
    PendingInputs inputs;
    CallRegistry calls(out, options.progress_interval, [&requests, &inputs] {
        requests.wake_all();
        inputs.wake_all();
    });
    InputChannel input{out, calls, inputs, nullptr};

    exec::SessionOptions session_options = options.session;
    session_options.passthrough = false;  // a child's output must never reach the protocol stream
    session_options.dry_run = false;
    const ElicitationOptions elicitation = options.elicitation;
    session_options.make_provider = [&client, &requests, &input,
                                     elicitation](const approvals::ProviderOptions& po) {
        ElicitationOptions e = elicitation;
        e.timeout_seconds = po.timeout_seconds;
        e.workspace = po.workspace;
        return make_elicitation_provider(client, requests, input, e);
    };
    auto session = exec::Session::open(session_options);
    if (session->startup_error()) {
        std::cerr << "airlock serve: " << session->startup_error()->describe() << "\n";
        return exec::kExitError;
    }
    std::cerr << "airlock serve: run " << session->run_id() << ", log "
              << session->wal_path().string() << "\n";
    input.record = [&session](const std::string& type, const std::string& call_id, json data) {
        session->record_event(type, call_id, std::move(data));
    };

    CallWorkers workers;
    Dispatcher dispatcher(ServerParts{out, client, requests, calls, workers, inputs, *session,
                                      instructions(*session, options.session.workspace),
                                      options.result_text});

    const Stop stop = read_loop(options.in_fd, signals.fd(), dispatcher);
    std::cerr << "airlock serve: "
              << (stop == Stop::input_closed ? "stdin closed"
                  : stop == Stop::signalled  ? "terminated by a signal"
                                             : "cannot read stdin")
              << "; cancelling the calls in flight\n";
    calls.cancel_all();
    requests.disconnect();
    inputs.disconnect();
    workers.join_all();
    (void)session->finish();  // each call synced its own records already
    return stop == Stop::read_error ? exec::kExitError : 0;
}

}  // namespace airlock::mcp
