// Splits the client's byte stream into lines, within a size limit.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace airlock::mcp {

class LineReader {
  public:
    explicit LineReader(std::size_t max_line_bytes) : max_(max_line_bytes) {}
    // Calls on_line for every complete line (without "\n" or a trailing "\r"; blank lines
    // skipped) and on_oversized once for a line longer than the limit, which is discarded.
    void feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line,
              const std::function<void()>& on_oversized);
    // The input ended. A last line without its newline is not a message (the client stopped in
    // the middle of writing it): it is never handed on; on_unterminated gets its size.
    void finish(const std::function<void(std::size_t)>& on_unterminated);

  private:
    std::size_t max_;
    std::string buffer_;
    bool discarding_ = false;
};

}  // namespace airlock::mcp
