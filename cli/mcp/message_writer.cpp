#include "cli/mcp/message_writer.hpp"

#include <unistd.h>

#include <cerrno>
#include <iostream>

namespace airlock::mcp {

bool MessageWriter::send(const json& message) {
    std::string line = serialize(message);
    line.push_back('\n');
    std::lock_guard lock(mutex_);
    if (broken_) return false;
    std::size_t done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            broken_ = true;
            std::cerr << "airlock serve: cannot write to the client; its messages are dropped\n";
            return false;
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace airlock::mcp
