// The seccomp adapter's answer to connect(2) under a network allow list. Landlock's TCP rules
// name a port, not an address: with them alone, a command could connect to the proxy's port
// number on any host. The filter therefore puts every connect(2) to airlock (a seccomp user
// notification); this supervisor allows only the proxy's address, and makes that connection
// itself, on a copy of the command's socket, to an address of its own: nothing the command can
// change after the check (its memory is read only to decide) is ever used to connect.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::exec {

class ConnectSupervisor {
  public:
    // `channel` carries the notification listener from the sandboxed child (SCM_RIGHTS);
    // `proxy_port` is the proxy's port on 127.0.0.1. Answers until stopped, or until every
    // process under the filter is gone.
    static Result<std::unique_ptr<ConnectSupervisor>> start(UniqueFd channel,
                                                            std::uint16_t proxy_port);
    ~ConnectSupervisor();  // stops and joins
    ConnectSupervisor(const ConnectSupervisor&) = delete;
    ConnectSupervisor& operator=(const ConnectSupervisor&) = delete;

  private:
    ConnectSupervisor() = default;
    void run();
    UniqueFd channel_, stop_;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

}  // namespace airlock::exec
