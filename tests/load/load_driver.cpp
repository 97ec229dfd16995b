#include "tests/load/load_driver.hpp"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>

namespace airlock::load {

namespace {

using Clock = std::chrono::steady_clock;

Sample sample(pid_t pid) {
    Sample s;
    s.rss_kib = rss_kib(pid).value_or(-1);
    s.fds = open_fds(pid).value_or(-1);
    s.tree = descendants(pid);
    return s;
}

// The run log's path, from the instructions of the initialize result ("... Run log: PATH").
std::string wal_from_instructions(const json& response) {
    const json& result = response.value("result", json::object());
    const std::string text = result.is_object() ? result.value("instructions", "") : "";
    const std::string marker = "Run log: ";
    const auto at = text.rfind(marker);
    return at == std::string::npos ? std::string() : text.substr(at + marker.size());
}

class Session {
  public:
    Session(Child& server, const std::vector<Kind>& plan, std::map<std::string, SentCall>& sent,
            const DriverOptions& options)
        : server_(server),
          plan_(plan),
          sent_(sent),
          options_(options),
          sent_at_(plan.size() + 1),
          limit_(options.warmup > 0 ? options.warmup : plan.size()) {}

    DriveResult run() {
        const auto started = Clock::now();
        last_progress_ = started;
        queue({{"jsonrpc", "2.0"},
               {"id", "init"},
               {"method", "initialize"},
               {"params",
                {{"protocolVersion", "2025-11-25"},
                 {"capabilities", json::object()},
                 {"clientInfo", {{"name", "airlock-loadgen"}, {"version", "1"}}}}}});
        while (!done()) {
            if (!step(started)) break;
        }
        return std::move(result_);
    }

  private:
    bool done() const {
        return result_.end.has_value() || (result_.killed && !server_.from_stdout.valid());
    }

    void queue(const json& message) { out_ += message.dump() + "\n"; }

    void send_calls() {
        while (initialized_ && next_ < limit_ && in_flight_ < options_.in_flight) {
            const std::size_t n = ++next_;
            const Kind kind = plan_[n - 1];
            sent_[call_token(n)] = SentCall{kind, false, {}};
            if (n == 1) first_sent_ = Clock::now();
            sent_at_[n] = Clock::now();
            queue({{"jsonrpc", "2.0"},
                   {"id", n},
                   {"method", "tools/call"},
                   {"params", call_params(kind, n)}});
            ++in_flight_;
        }
    }

    // One poll round; false when the loop must stop.
    bool step(Clock::time_point started) {
        result_.orphans_reaped += reap_exited_orphans(server_.pid);
        send_calls();
        std::vector<pollfd> fds;
        fds.push_back({server_.from_stdout.get(), POLLIN, 0});
        if (!out_.empty() && server_.to_stdin.valid())
            fds.push_back({server_.to_stdin.get(), POLLOUT, 0});
        auto wake = last_progress_ + options_.stall_timeout;
        const bool kill_pending = options_.kill_after.count() > 0 && !result_.killed;
        if (kill_pending) wake = std::min(wake, started + options_.kill_after);
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(wake - Clock::now()).count();
        const int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(left, 0)) + 1);
        if (n < 0 && errno != EINTR) {
            result_.problems.push_back("poll failed");
            return false;
        }
        if (kill_pending && Clock::now() >= started + options_.kill_after) {
            ::kill(server_.pid, SIGKILL);
            result_.killed = true;
        }
        if (n > 0 && fds.size() > 1 && (fds[1].revents & (POLLOUT | POLLERR))) write_some();
        if (n > 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) && !read_some()) {
            if (!result_.killed)
                result_.problems.push_back("the server closed its stdout after " +
                                           std::to_string(result_.answered) + " answers");
            server_.from_stdout.reset();
            return false;
        }
        if (!result_.killed && Clock::now() - last_progress_ > options_.stall_timeout) {
            result_.problems.push_back("no answer for " +
                                       std::to_string(options_.stall_timeout.count()) + " s with " +
                                       std::to_string(in_flight_) + " calls in flight");
            return false;
        }
        return true;
    }

    void write_some() {
        const ssize_t w = ::write(server_.to_stdin.get(), out_.data(), out_.size());
        if (w > 0) out_.erase(0, static_cast<std::size_t>(w));
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            if (!result_.killed) result_.problems.push_back("cannot write to the server's stdin");
            server_.to_stdin.reset();
            out_.clear();
        }
    }

    // false at end of file.
    bool read_some() {
        char buf[1 << 16];
        const ssize_t r = ::read(server_.from_stdout.get(), buf, sizeof buf);
        if (r < 0) return errno == EAGAIN || errno == EINTR;
        if (r == 0) return false;
        in_.append(buf, static_cast<std::size_t>(r));
        std::size_t nl;
        while ((nl = in_.find('\n')) != std::string::npos) {
            const std::string line = in_.substr(0, nl);
            in_.erase(0, nl + 1);
            on_message(line);
        }
        return true;
    }

    void on_message(const std::string& line) {
        const json m = json::parse(line, nullptr, false);
        if (m.is_discarded() || !m.is_object()) {
            result_.problems.push_back("the server sent a line that is not a JSON object");
            return;
        }
        if (m.contains("method")) {
            // Notifications (progress, log) need nothing; a request would be a question the
            // load client cannot answer, which its mix never causes.
            if (m.contains("id")) result_.problems.push_back("unexpected request from the server");
            return;
        }
        const json& id = m.value("id", json());
        if (id == "init") return on_initialized(m);
        if (!id.is_number_unsigned() || id.get<std::size_t>() == 0 ||
            id.get<std::size_t>() > next_) {
            result_.problems.push_back("an answer to unknown request " + id.dump());
            return;
        }
        const std::size_t n = id.get<std::size_t>();
        SentCall& call = sent_[call_token(n)];
        if (call.answered) {
            result_.problems.push_back(call_token(n) + " was answered twice");
            return;
        }
        const auto now = Clock::now();
        call.answered = true;
        call.outcome = outcome_of(m);
        if (result_.wal_path.empty() && m.contains("result"))
            result_.wal_path =
                m["result"].value("structuredContent", json::object()).value("wal", "");
        result_.latency_ms.push_back(
            std::chrono::duration<double, std::milli>(now - sent_at_[n]).count());
        result_.seconds = std::chrono::duration<double>(now - first_sent_).count();
        last_progress_ = now;
        ++result_.answered;
        --in_flight_;
        if (in_flight_ == 0 && result_.answered == limit_ && !result_.killed) {
            // A quiet moment: sample after the warm-up, and at the end.
            if (limit_ < plan_.size()) {
                result_.start = sample(server_.pid);
                limit_ = plan_.size();
            } else {
                if (!result_.start) result_.start = sample(server_.pid);
                result_.end = sample(server_.pid);
            }
        }
    }

    void on_initialized(const json& m) {
        if (!m.contains("result")) {
            result_.problems.push_back("initialize was refused: " + m.dump());
            return;
        }
        result_.wal_path = wal_from_instructions(m);
        queue({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
        initialized_ = true;
        last_progress_ = Clock::now();
    }

    Child& server_;
    const std::vector<Kind>& plan_;
    std::map<std::string, SentCall>& sent_;
    const DriverOptions& options_;
    std::vector<Clock::time_point> sent_at_;
    std::size_t limit_;
    std::size_t next_ = 0;
    std::size_t in_flight_ = 0;
    bool initialized_ = false;
    std::string out_, in_;
    Clock::time_point first_sent_{}, last_progress_{};
    DriveResult result_;
};

}  // namespace

DriveResult drive(Child& server, const std::vector<Kind>& plan,
                  std::map<std::string, SentCall>& sent, const DriverOptions& options) {
    return Session(server, plan, sent, options).run();
}

}  // namespace airlock::load
