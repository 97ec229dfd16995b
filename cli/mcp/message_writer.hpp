// The only writer of the protocol stream: whole messages, one per line, one thread at a time.
#pragma once

#include <mutex>

#include "cli/mcp/json_rpc.hpp"

namespace airlock::mcp {

class MessageWriter {
  public:
    explicit MessageWriter(int fd) : fd_(fd) {}
    // False once the client has gone (EPIPE or any other write error); later sends are dropped.
    bool send(const json& message);

  private:
    std::mutex mutex_;
    int fd_;
    bool broken_ = false;
};

}  // namespace airlock::mcp
