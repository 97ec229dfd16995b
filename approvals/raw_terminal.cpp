#include "approvals/raw_terminal.hpp"

#include <utility>

namespace airlock::approvals {

Result<RawTerminal> RawTerminal::enter(int fd) {
    termios saved{};
    if (::tcgetattr(fd, &saved) != 0)
        return sys_error("approvals", "cannot read the terminal settings", "tcgetattr");
    termios raw = saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ECHONL | ISIG | IEXTEN);
    raw.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL | INLCR | IGNCR | ISTRIP);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (::tcsetattr(fd, TCSAFLUSH, &raw) != 0)
        return sys_error("approvals", "cannot switch the terminal to key-at-a-time mode",
                         "tcsetattr");
    return RawTerminal(fd, saved);
}

RawTerminal::RawTerminal(RawTerminal&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), saved_(other.saved_) {}

RawTerminal::~RawTerminal() {
    if (fd_ >= 0) ::tcsetattr(fd_, TCSANOW, &saved_);
}

}  // namespace airlock::approvals
