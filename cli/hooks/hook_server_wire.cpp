#include "cli/hooks/hook_server_wire.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace airlock::hooks::wire {

namespace {

constexpr std::string_view kMagic = "airlock-hook/1";
constexpr std::uint32_t kMaxField = 80u << 20;      // an event may carry a large Write
constexpr std::uint32_t kMaxEnvironment = 100'000;  // entries
constexpr std::size_t kMaxEnvironmentBytes = 16u << 20;

void put(std::string& out, std::string_view field) {
    const auto size = static_cast<std::uint32_t>(field.size());
    out.append(reinterpret_cast<const char*>(&size), sizeof size);
    out.append(field);
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

std::optional<std::string> get(int fd, std::uint32_t limit = kMaxField) {
    std::uint32_t size = 0;
    if (!read_exactly(fd, reinterpret_cast<char*>(&size), sizeof size) || size > limit)
        return std::nullopt;
    std::string field(size, '\0');
    if (!read_exactly(fd, field.data(), size)) return std::nullopt;
    return field;
}

std::optional<unsigned long> get_number(int fd) {
    auto text = get(fd, 20);
    if (!text || text->empty()) return std::nullopt;
    unsigned long value = 0;
    for (char ch : *text) {
        if (ch < '0' || ch > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned long>(ch - '0');
    }
    return value;
}

}  // namespace

std::string encode_call(const Call& call) {
    std::string out;
    put(out, kMagic);
    put(out, call.key);
    put(out, std::to_string(call.umask));
    put(out, std::to_string(call.environment.size()));
    for (const auto& entry : call.environment)
        put(out, entry);
    put(out, call.event);
    return out;
}

std::string encode_answer(const Rendered& answer) {
    std::string out;
    // A status is 0..255 as a process's exit; a negative one never comes from an adapter.
    put(out, std::to_string(answer.exit_code & 0xff));
    put(out, answer.out);
    put(out, answer.err);
    return out;
}

std::optional<Call> read_call(int fd) {
    if (get(fd, kMagic.size()) != std::string(kMagic)) return std::nullopt;
    Call call;
    auto key = get(fd, 1u << 20);
    auto mask = get_number(fd);
    auto count = get_number(fd);
    if (!key || !mask || *mask > 0777 || !count || *count > kMaxEnvironment) return std::nullopt;
    call.key = std::move(*key);
    call.umask = static_cast<mode_t>(*mask);
    std::size_t bytes = 0;
    for (unsigned long i = 0; i < *count; ++i) {
        auto entry = get(fd, kMaxEnvironmentBytes);
        if (!entry || (bytes += entry->size()) > kMaxEnvironmentBytes ||
            std::memchr(entry->data(), '\0', entry->size()) != nullptr)
            return std::nullopt;
        call.environment.push_back(std::move(*entry));
    }
    auto event = get(fd);
    if (!event) return std::nullopt;
    call.event = std::move(*event);
    return call;
}

std::optional<Rendered> read_answer(int fd) {
    auto code = get_number(fd);
    if (!code || *code > 255) return std::nullopt;
    auto out = get(fd);
    if (!out) return std::nullopt;
    auto err = get(fd);
    if (!err) return std::nullopt;
    return Rendered{std::move(*out), std::move(*err), static_cast<int>(*code)};
}

std::optional<char> read_byte(int fd) {
    char byte = 0;
    if (!read_exactly(fd, &byte, 1)) return std::nullopt;
    return byte;
}

}  // namespace airlock::hooks::wire
