#include "ui/approval_desk.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <thread>

#include "platform/approval_socket.hpp"
#include "ui/access.hpp"

namespace airlock::ui {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxAskBytes = 4 * 1024 * 1024;  // argv can be long; nothing else is

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
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

bool make_pipe(UniqueFd& r, UniqueFd& w) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return false;
    r.reset(fds[0]);
    w.reset(fds[1]);
    return true;
}

// Waits until one of `fds` is readable (or hung up); returns its index, -1 on error.
int wait_readable(std::initializer_list<int> fds) {
    std::vector<pollfd> p;
    for (int fd : fds)
        p.push_back({fd, POLLIN, 0});
    for (;;) {
        const int n = ::poll(p.data(), p.size(), -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        for (std::size_t i = 0; i < p.size(); ++i)
            if (p[i].revents != 0) return static_cast<int>(i);
    }
}

std::string reason_for(std::string_view decision) {
    if (decision == "approved") return "approved once on the page (airlock ui)";
    if (decision == "approved_for_session")
        return "approved for this session on the page (airlock ui)";
    return "denied on the page (airlock ui)";
}

}  // namespace

ApprovalDesk::ApprovalDesk(const std::vector<fs::path>& workspaces) : workspaces_(workspaces) {
    auto token = new_token();
    id_prefix_ = token ? token->substr(0, 8) : std::to_string(::getpid());
    make_pipe(stop_read_, stop_write_);
    for (std::size_t i = 0; i < workspaces_.size(); ++i) {
        auto seat = std::make_unique<Seat>();
        seat->workspace = i;
        seat->state = "off";
        seat->socket_path = approval_socket_path(workspaces_[i]);
        const fs::path dir = seat->socket_path.parent_path();
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
            seat->why = "cannot make " + dir.string() + ": " + ec.message();
        } else if (::chmod(dir.c_str(), 0700) != 0) {
            seat->why = "cannot restrict " + dir.string() + ": " + std::strerror(errno);
        } else if (auto address = unix_address(seat->socket_path); !address) {
            seat->why = address.error().describe();
        } else {
            const fs::path lock_path = dir / "approvals.lock";
            seat->lock.reset(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
            struct stat st {};
            if (!seat->lock.valid()) {
                seat->why = "cannot open " + lock_path.string() + ": " + std::strerror(errno);
            } else if (::flock(seat->lock.get(), LOCK_EX | LOCK_NB) != 0) {
                seat->state = "elsewhere";
                seat->why = errno == EWOULDBLOCK
                                ? "another airlock ui answers this workspace's approvals"
                                : "cannot lock " + lock_path.string() + ": " + std::strerror(errno);
            } else if (::lstat(seat->socket_path.c_str(), &st) == 0 && !S_ISSOCK(st.st_mode)) {
                seat->why = seat->socket_path.string() + " exists and is not a socket";
            } else {
                // Holding the lock: whatever socket is there was left by an airlock ui that ended.
                ::unlink(seat->socket_path.c_str());
                UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
                if (!fd.valid() ||
                    ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address->address),
                           sizeof address->address) != 0 ||
                    ::chmod(seat->socket_path.c_str(), 0600) != 0 || ::listen(fd.get(), 64) != 0) {
                    seat->why = "cannot listen on " + seat->socket_path.string() + ": " +
                                std::strerror(errno);
                } else {
                    seat->state = "here";
                    seat->listener = std::move(fd);
                }
            }
        }
        seats_.push_back(std::move(seat));
    }
}

ApprovalDesk::~ApprovalDesk() {
    // Wakes every thread; each one ends and no longer touches the desk once `threads_` is 0.
    if (stop_write_.valid()) (void)!::write(stop_write_.get(), "x", 1);
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return threads_ == 0; });
    for (auto& seat : seats_)
        if (seat->state == "here") ::unlink(seat->socket_path.c_str());
}

std::vector<std::string> ApprovalDesk::warnings() const {
    std::vector<std::string> out;
    for (const auto& seat : seats_)
        if (seat->state != "here")
            out.push_back("approvals of " + workspaces_[seat->workspace].string() +
                          " are not answered here: " + seat->why);
    return out;
}

void ApprovalDesk::start() {
    for (auto& seat : seats_) {
        if (seat->state != "here") continue;
        std::lock_guard lock(mutex_);
        ++threads_;
        std::thread([this, s = seat.get()] { accept_loop(*s); }).detach();
    }
}

void ApprovalDesk::thread_done() {
    std::lock_guard lock(mutex_);
    --threads_;
    changed_.notify_all();
}

void ApprovalDesk::accept_loop(Seat& seat) {
    for (;;) {
        if (wait_readable({seat.listener.get(), stop_read_.get()}) != 0) break;
        UniqueFd connection(::accept4(seat.listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
        if (!connection.valid()) continue;
        // Only this user's own airlock processes may put an ask on this user's page.
        if (!peer_is_same_user(connection.get())) continue;
        std::lock_guard lock(mutex_);
        ++threads_;
        std::thread([this, w = seat.workspace, c = std::move(connection)]() mutable {
            serve_asker(w, std::move(c));
            thread_done();
        }).detach();
    }
    thread_done();
}

void ApprovalDesk::serve_asker(std::size_t workspace, UniqueFd connection) {
    const int fd = connection.get();
    std::string line;
    for (;;) {
        if (wait_readable({fd, stop_read_.get()}) != 0) return;
        char buf[8192];
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a probe (`--approve web` checking the desk is here), or gone
        line.append(buf, static_cast<std::size_t>(n));
        if (line.find('\n') != std::string::npos) break;
        if (line.size() > kMaxAskBytes) return;
    }
    line.resize(line.find('\n'));
    auto message = nlohmann::ordered_json::parse(line, nullptr, false);
    if (message.is_discarded() || !message.is_object() || message.value("type", "") != "ask" ||
        !message.contains("ask") || !message["ask"].is_object())
        return;

    ucred cred{};
    socklen_t len = sizeof cred;
    ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
    auto pending = std::make_shared<Pending>();
    pending->workspace = workspace;
    pending->pid = cred.pid;
    pending->received = now_utc();
    const auto& timeout = message["timeout_seconds"];
    pending->timeout_seconds = timeout.is_number_integer() ? timeout.get<long>() : 0;
    pending->ask = std::move(message["ask"]);
    if (!make_pipe(pending->wake_read, pending->wake_write)) return;
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = id_prefix_ + "-" + std::to_string(++next_id_);
        pending_[id] = pending;
        order_.push_back(id);
        changed_locked();
    }
    // Until a person answers, the asker gives up (it closes the connection), or the desk closes.
    const int woke = wait_readable({pending->wake_read.get(), fd, stop_read_.get()});
    std::string answer;
    {
        std::lock_guard lock(mutex_);
        answer = pending->answer_line;
        pending_.erase(id);
        std::erase(order_, id);
        changed_locked();
    }
    if (woke == 0 && !answer.empty()) send_all(fd, answer + "\n");
}

void ApprovalDesk::changed_locked() {
    ++version_;
    changed_.notify_all();
}

nlohmann::ordered_json ApprovalDesk::snapshot() const {
    nlohmann::ordered_json out;
    std::lock_guard lock(mutex_);
    out["version"] = version_;
    auto& ws = out["workspaces"] = nlohmann::ordered_json::array();
    for (const auto& seat : seats_)
        ws.push_back({{"workspace", seat->workspace},
                      {"path", workspaces_[seat->workspace].string()},
                      {"approvals", seat->state},
                      {"why", seat->why}});
    auto& asks = out["asks"] = nlohmann::ordered_json::array();
    for (const auto& id : order_) {
        const auto& p = *pending_.at(id);
        if (!p.answer_line.empty()) continue;
        asks.push_back({{"id", id},
                        {"workspace", p.workspace},
                        {"pid", p.pid},
                        {"received", p.received},
                        {"timeout_seconds", p.timeout_seconds},
                        {"ask", p.ask}});
    }
    return out;
}

std::uint64_t ApprovalDesk::version() const {
    std::lock_guard lock(mutex_);
    return version_;
}

std::uint64_t ApprovalDesk::wait_change(std::uint64_t seen, std::chrono::milliseconds max) const {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, max, [&] { return version_ != seen; });
    return version_;
}

ApprovalDesk::Answered ApprovalDesk::answer(const std::string& id, std::string_view decision) {
    if (decision != "approved" && decision != "approved_for_session" && decision != "denied")
        return Answered::bad_decision;
    std::lock_guard lock(mutex_);
    const auto it = pending_.find(id);
    if (it == pending_.end() || !it->second->answer_line.empty()) return Answered::no_such_ask;
    it->second->answer_line =
        nlohmann::json{{"decision", decision}, {"reason", reason_for(decision)}}.dump();
    (void)!::write(it->second->wake_write.get(), "x", 1);
    changed_locked();
    return Answered::ok;
}

}  // namespace airlock::ui
