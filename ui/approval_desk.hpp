// The page's side of `--approve web`: for each workspace it shows, `airlock ui` listens on the
// workspace's approvals socket (platform/approval_socket.hpp). An airlock process that needs an
// answer connects, sends its ask as one line of JSON and waits; the ask is shown on the page
// until a person answers it there, or the asking process gives up (its timeout: a denial) and
// closes the connection. The desk never decides anything itself.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/unique_fd.hpp"

namespace airlock::ui {

class ApprovalDesk {
  public:
    // Takes the approvals socket of every workspace it can: one `airlock ui` per workspace (a
    // lock file beside the socket); a workspace served by another one, or where the socket
    // cannot be made, is listed with the reason and its asks are not seen here.
    explicit ApprovalDesk(const std::vector<std::filesystem::path>& workspaces);
    ~ApprovalDesk();
    ApprovalDesk(const ApprovalDesk&) = delete;
    ApprovalDesk& operator=(const ApprovalDesk&) = delete;

    // One line per workspace whose approvals are not answered here (for stderr).
    std::vector<std::string> warnings() const;

    // Accepts askers on every socket taken, each on a thread of its own, until destroyed.
    void start();

    // {"version", "workspaces": [{"workspace", "approvals": "here"|"elsewhere"|"off", "why"}],
    //  "asks": [{"id", "workspace", "pid", "received", "timeout_seconds", "ask"}]} oldest first.
    nlohmann::ordered_json snapshot() const;
    std::uint64_t version() const;
    // Waits until the version differs from `seen`, or `max` passes; returns the version.
    std::uint64_t wait_change(std::uint64_t seen, std::chrono::milliseconds max) const;

    enum class Answered { ok, no_such_ask, bad_decision };
    // decision: approved, approved_for_session or denied. The asking process records it.
    Answered answer(const std::string& id, std::string_view decision);

  private:
    struct Seat {
        std::size_t workspace = 0;
        std::string state;  // here, elsewhere, off
        std::string why;
        UniqueFd lock;
        UniqueFd listener;
        std::filesystem::path socket_path;
    };
    struct Pending {
        std::size_t workspace = 0;
        pid_t pid = 0;
        std::string received;
        long timeout_seconds = 0;
        nlohmann::ordered_json ask;
        UniqueFd wake_read, wake_write;  // the answer, or the desk closing, wakes the waiter
        std::string answer_line;         // set once answered
    };

    void accept_loop(Seat& seat);
    void serve_asker(std::size_t workspace, UniqueFd connection);
    void changed_locked();
    void thread_done();

    std::vector<std::filesystem::path> workspaces_;
    std::vector<std::unique_ptr<Seat>> seats_;
    UniqueFd stop_read_, stop_write_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::uint64_t version_ = 1;
    std::uint64_t next_id_ = 0;
    int threads_ = 0;  // accept loops and askers still running
    std::string id_prefix_;
    std::map<std::string, std::shared_ptr<Pending>> pending_;  // by id
    std::vector<std::string> order_;                           // ids, oldest first
};

}  // namespace airlock::ui
