#include "cli/mcp/line_reader.hpp"

namespace airlock::mcp {

namespace {

bool blank(std::string_view line) {
    return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

void emit(std::string_view line, const std::function<void(std::string_view)>& on_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (blank(line)) return;
    on_line(line);
}

}  // namespace

void LineReader::feed(std::string_view bytes, const std::function<void(std::string_view)>& on_line,
                      const std::function<void()>& on_oversized) {
    while (!bytes.empty()) {
        const std::size_t nl = bytes.find('\n');
        const std::string_view part = bytes.substr(0, nl);
        if (!discarding_) {
            if (buffer_.size() + part.size() > max_) {
                buffer_.clear();
                discarding_ = true;
                on_oversized();
            } else {
                buffer_.append(part);
            }
        }
        if (nl == std::string_view::npos) return;
        if (!discarding_) emit(buffer_, on_line);
        buffer_.clear();
        discarding_ = false;
        bytes.remove_prefix(nl + 1);
    }
}

void LineReader::finish(const std::function<void(std::size_t)>& on_unterminated) {
    if (!discarding_ && !blank(buffer_)) on_unterminated(buffer_.size());
    buffer_.clear();
    discarding_ = false;
}

}  // namespace airlock::mcp
