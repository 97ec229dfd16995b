// `airlock serve` driven over raw pipes, byte by byte when need be: for input no SDK client
// would send (split, huge, cut-off messages).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "airlock_runner.hpp"

extern char** environ;

namespace airlock::test {

class ServeClient {
  public:
    ServeClient(const Workspace& ws, std::vector<std::string> extra_args = {}) {
        ::signal(SIGPIPE, SIG_IGN);  // a server that exited is a write error, not our death
        int in[2], out[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
            throw std::runtime_error("pipe2");
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out[1], 1);
        std::vector<std::string> args = {AIRLOCK_BINARY, "serve", "--workspace",
                                         ws.path().string()};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        std::vector<std::string> env = {
            "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + (ws.outside() / "home").string(),
            "XDG_CONFIG_HOME=" + (ws.outside() / "config").string(), "LANG=C.UTF-8"};
        std::vector<char*> argv, envp;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        const int rc =
            ::posix_spawn(&pid_, AIRLOCK_BINARY, &actions, nullptr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        ::close(in[0]);
        ::close(out[1]);
        to_server_ = in[1];
        from_server_ = out[0];
        if (rc != 0) throw std::runtime_error("posix_spawn airlock serve");
    }
    ~ServeClient() {
        close_stdin();
        if (from_server_ >= 0) ::close(from_server_);
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    ServeClient(const ServeClient&) = delete;
    ServeClient& operator=(const ServeClient&) = delete;

    // Writes raw bytes (blocking: the server reads as it goes).
    void write_raw(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::write(to_server_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw std::runtime_error("write to airlock serve");
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }
    void send(const nlohmann::json& message) { write_raw(message.dump() + "\n"); }

    // True once the server has read everything written so far (the pipe is empty): the next
    // write is then certainly a separate read on its side.
    bool wait_until_read(std::chrono::seconds limit = std::chrono::seconds(20)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            int pending = 0;
            if (::ioctl(to_server_, FIONREAD, &pending) != 0) return false;
            if (pending == 0) return true;
            if (std::chrono::steady_clock::now() > deadline) return false;
            ::sched_yield();
        }
    }

    void close_stdin() {
        if (to_server_ >= 0) ::close(to_server_);
        to_server_ = -1;
    }

    // The next message from the server whose id is `id` (others are kept); null on timeout
    // or when the server closed its stdout.
    nlohmann::json reply(const nlohmann::json& id,
                         std::chrono::seconds limit = std::chrono::seconds(60)) {
        const auto deadline = std::chrono::steady_clock::now() + limit;
        for (;;) {
            for (std::size_t i = 0; i < messages_.size(); ++i)
                if (messages_[i].contains("id") && messages_[i]["id"] == id &&
                    !messages_[i].contains("method")) {
                    nlohmann::json m = messages_[i];
                    messages_.erase(messages_.begin() + static_cast<std::ptrdiff_t>(i));
                    return m;
                }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0 || !read_some(static_cast<int>(left.count()))) return nullptr;
        }
    }

    // Reads stdout to its end and waits for the exit status.
    int wait_exit() {
        while (read_some(60000)) {
        }
        int status = 0;
        ::waitpid(pid_, &status, 0);
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    std::vector<nlohmann::json>& messages() { return messages_; }

    void initialize() {
        send({{"jsonrpc", "2.0"},
              {"id", "init"},
              {"method", "initialize"},
              {"params",
               {{"protocolVersion", "2025-11-25"},
                {"capabilities", nlohmann::json::object()},
                {"clientInfo", {{"name", "bad-input"}, {"version", "1"}}}}}});
        if (reply("init").is_null()) throw std::runtime_error("no initialize reply");
        send({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    }

    nlohmann::json call_tool(const nlohmann::json& id, const std::string& tool,
                             const nlohmann::json& args) {
        send({{"jsonrpc", "2.0"},
              {"id", id},
              {"method", "tools/call"},
              {"params", {{"name", tool}, {"arguments", args}}}});
        return reply(id);
    }

  private:
    // Reads what is there (waiting up to `ms`) and splits it into messages; every stdout line
    // must be one JSON message. False at end of stream or on timeout.
    bool read_some(int ms) {
        pollfd p{from_server_, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) return false;
        char buf[1 << 16];
        const ssize_t n = ::read(from_server_, buf, sizeof buf);
        if (n <= 0) return false;
        pending_.append(buf, static_cast<std::size_t>(n));
        for (std::size_t nl; (nl = pending_.find('\n')) != std::string::npos;) {
            messages_.push_back(nlohmann::json::parse(pending_.substr(0, nl)));
            pending_.erase(0, nl + 1);
        }
        return true;
    }

    pid_t pid_ = -1;
    bool exited_ = false;
    int to_server_ = -1;
    int from_server_ = -1;
    std::string pending_;
    std::vector<nlohmann::json> messages_;
};

}  // namespace airlock::test
