#include "cli/hooks/hook_server_wire.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace airlock::hooks::wire {

namespace {

constexpr std::string_view kMagic = "airlock-hook/1";
constexpr std::uint32_t kMaxMessage = 96u << 20;    // an event may carry a large Write
constexpr std::uint32_t kMaxEnvironment = 100'000;  // entries
constexpr std::size_t kMaxEnvironmentBytes = 16u << 20;

void put(std::string& out, std::string_view field) {
    const auto size = static_cast<std::uint32_t>(field.size());
    out.append(reinterpret_cast<const char*>(&size), sizeof size);
    out.append(field);
}

// The whole message, its length first: the receiver reads it in a few large reads.
std::string framed(std::string body) {
    std::string out;
    put(out, body);
    return out;
}

bool read_exactly(int fd, char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::recv(fd, data, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

std::optional<std::string> read_message(int fd) {
    std::uint32_t size = 0;
    if (!read_exactly(fd, reinterpret_cast<char*>(&size), sizeof size) || size > kMaxMessage)
        return std::nullopt;
    std::string message(size, '\0');
    if (!read_exactly(fd, message.data(), size)) return std::nullopt;
    return message;
}

// Fields taken off the front of a message.
class Reader {
  public:
    explicit Reader(std::string_view message) : rest_(message) {}
    std::optional<std::string_view> field() {
        std::uint32_t size = 0;
        if (rest_.size() < sizeof size) return std::nullopt;
        std::memcpy(&size, rest_.data(), sizeof size);
        rest_.remove_prefix(sizeof size);
        if (rest_.size() < size) return std::nullopt;
        const std::string_view out = rest_.substr(0, size);
        rest_.remove_prefix(size);
        return out;
    }
    std::optional<unsigned long> number() {
        const auto text = field();
        if (!text || text->empty() || text->size() > 18) return std::nullopt;  // no overflow
        unsigned long value = 0;
        for (char ch : *text) {
            if (ch < '0' || ch > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned long>(ch - '0');
        }
        return value;
    }
    bool done() const { return rest_.empty(); }

  private:
    std::string_view rest_;
};

}  // namespace

std::string encode_call(const Call& call) {
    std::string body;
    put(body, kMagic);
    put(body, call.key);
    put(body, std::to_string(call.umask));
    put(body, std::to_string(call.environment.size()));
    for (const auto& entry : call.environment)
        put(body, entry);
    put(body, call.event);
    return framed(std::move(body));
}

std::string encode_answer(const Rendered& answer) {
    std::string body;
    // A status is 0..255 as a process's exit; a negative one never comes from an adapter.
    put(body, std::to_string(answer.exit_code & 0xff));
    put(body, answer.out);
    put(body, answer.err);
    return framed(std::move(body));
}

std::optional<Call> read_call(int fd) {
    const auto message = read_message(fd);
    if (!message) return std::nullopt;
    Reader in(*message);
    if (in.field() != kMagic) return std::nullopt;
    Call call;
    const auto key = in.field();
    const auto mask = in.number();
    const auto count = in.number();
    if (!key || !mask || *mask > 0777 || !count || *count > kMaxEnvironment) return std::nullopt;
    call.key = *key;
    call.umask = static_cast<mode_t>(*mask);
    std::size_t bytes = 0;
    call.environment.reserve(*count);
    for (unsigned long i = 0; i < *count; ++i) {
        const auto entry = in.field();
        if (!entry || (bytes += entry->size()) > kMaxEnvironmentBytes ||
            entry->find('\0') != std::string_view::npos)
            return std::nullopt;
        call.environment.emplace_back(*entry);
    }
    const auto event = in.field();
    if (!event || !in.done()) return std::nullopt;
    call.event = *event;
    return call;
}

std::optional<Rendered> read_answer(int fd) {
    const auto message = read_message(fd);
    if (!message) return std::nullopt;
    Reader in(*message);
    const auto code = in.number();
    const auto out = in.field();
    const auto err = in.field();
    if (!code || *code > 255 || !out || !err || !in.done()) return std::nullopt;
    return Rendered{std::string(*out), std::string(*err), static_cast<int>(*code)};
}

std::optional<char> read_byte(int fd) {
    char byte = 0;
    if (!read_exactly(fd, &byte, 1)) return std::nullopt;
    return byte;
}

}  // namespace airlock::hooks::wire
