#include "cli/hooks/hook_server_wire.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "cli/hooks/fixed_text.hpp"

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

// Fields written into memory already sized for them (encode_call).
class Writer {
  public:
    explicit Writer(char* out) noexcept : out_(out) {}
    void length(std::size_t size) noexcept {
        const auto n = static_cast<std::uint32_t>(size);
        std::memcpy(out_, &n, sizeof n);
        out_ += sizeof n;
    }
    void field(std::string_view text) noexcept {
        length(text.size());
        std::memcpy(out_, text.data(), text.size());
        out_ += text.size();
    }

  private:
    char* out_;
};

std::size_t field_size(std::string_view text) noexcept {
    return sizeof(std::uint32_t) + text.size();
}

bool read_exactly(int fd, char* data, std::size_t size) noexcept {
    while (size > 0) {
        const ssize_t n = ::recv(fd, data, size, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

// Fields taken off the front of a message.
class Reader {
  public:
    explicit Reader(std::string_view message) noexcept : rest_(message) {}
    std::optional<std::string_view> field() noexcept {
        std::uint32_t size = 0;
        if (rest_.size() < sizeof size) return std::nullopt;
        std::memcpy(&size, rest_.data(), sizeof size);
        rest_.remove_prefix(sizeof size);
        if (rest_.size() < size) return std::nullopt;
        const std::string_view out = rest_.substr(0, size);
        rest_.remove_prefix(size);
        return out;
    }
    std::optional<unsigned long> number() noexcept {
        const auto text = field();
        if (!text || text->empty() || text->size() > 18) return std::nullopt;  // no overflow
        unsigned long value = 0;
        for (char ch : *text) {
            if (ch < '0' || ch > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned long>(ch - '0');
        }
        return value;
    }
    bool done() const noexcept { return rest_.empty(); }

  private:
    std::string_view rest_;
};

}  // namespace

bool encode_call(MappedBuffer& out, std::string_view key, mode_t umask, char** environment,
                 std::string_view event) noexcept {
    char mask_text[24];
    FixedText mask(mask_text, sizeof mask_text);
    mask.decimal(umask);
    std::size_t count = 0;
    std::size_t body =
        field_size(kMagic) + field_size(key) + field_size(mask.view()) + field_size(event);
    for (char** e = environment; e && *e; ++e, ++count)
        body += field_size(*e);
    char count_text[24];
    FixedText entries(count_text, sizeof count_text);
    entries.decimal(count);
    body += field_size(entries.view());
    if (body > kMaxMessage || !out.reserve(sizeof(std::uint32_t) + body)) return false;
    Writer w(out.data());
    w.length(body);
    w.field(kMagic);
    w.field(key);
    w.field(mask.view());
    w.field(entries.view());
    for (char** e = environment; e && *e; ++e)
        w.field(*e);
    w.field(event);
    out.resize(sizeof(std::uint32_t) + body);
    return true;
}

std::string encode_answer(const Rendered& answer) {
    std::string body;
    // A status is 0..255 as a process's exit; a negative one never comes from an adapter.
    put(body, std::to_string(answer.exit_code & 0xff));
    put(body, answer.out);
    put(body, answer.err);
    return framed(std::move(body));
}

bool read_message(int fd, MappedBuffer& message) noexcept {
    std::uint32_t size = 0;
    if (!read_exactly(fd, reinterpret_cast<char*>(&size), sizeof size) || size > kMaxMessage ||
        !message.reserve(size))
        return false;
    message.resize(size);
    return read_exactly(fd, message.data(), size);
}

std::optional<Call> read_call(int fd) {
    MappedBuffer message;
    if (!read_message(fd, message)) return std::nullopt;
    Reader in(message.view());
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

std::optional<AnswerView> parse_answer(std::string_view message) noexcept {
    Reader in(message);
    const auto code = in.number();
    const auto out = in.field();
    const auto err = in.field();
    if (!code || *code > 255 || !out || !err || !in.done()) return std::nullopt;
    return AnswerView{static_cast<int>(*code), *out, *err};
}

std::optional<char> read_byte(int fd) noexcept {
    char byte = 0;
    if (!read_exactly(fd, &byte, 1)) return std::nullopt;
    return byte;
}

}  // namespace airlock::hooks::wire
