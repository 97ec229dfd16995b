// Puts a terminal into key-at-a-time mode and restores it on every path (RAII).
#pragma once

#include <termios.h>

#include "platform/result.hpp"

namespace airlock::approvals {

class RawTerminal {
  public:
    // No line editing, no echo, no signal keys (Ctrl-C arrives as the byte 0x03), no flow
    // control. Output processing stays on. Pending type-ahead is discarded, so that nothing
    // typed (or injected) before the prompt appeared can answer it.
    static Result<RawTerminal> enter(int fd);

    RawTerminal(RawTerminal&& other) noexcept;
    RawTerminal& operator=(RawTerminal&&) = delete;
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;
    ~RawTerminal();

  private:
    RawTerminal(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
    int fd_ = -1;  // not owned; -1 once moved from
    termios saved_{};
};

}  // namespace airlock::approvals
