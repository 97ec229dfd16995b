// Text built in memory the caller owns, without the heap: the hook's early client
// (hook_client.hpp) runs before the C++ runtime is initialised. Overflow is sticky and checked
// once at the end.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace airlock::hooks {

class FixedText {
  public:
    // `capacity` bytes of `data`, one of them kept for the NUL that c_str() writes.
    FixedText(char* data, std::size_t capacity) noexcept : data_(data), capacity_(capacity) {}

    void append(std::string_view text) noexcept {
        if (overflow_ || text.size() >= capacity_ - size_) {
            overflow_ = true;
            return;
        }
        std::memcpy(data_ + size_, text.data(), text.size());
        size_ += text.size();
    }
    void push(char c) noexcept { append(std::string_view(&c, 1)); }
    void decimal(unsigned long long value) noexcept {
        char digits[20];
        std::size_t n = 0;
        do {
            digits[sizeof digits - ++n] = static_cast<char>('0' + value % 10);
            value /= 10;
        } while (value != 0);
        append(std::string_view(digits + sizeof digits - n, n));
    }

    bool ok() const noexcept { return !overflow_; }
    std::size_t size() const noexcept { return size_; }
    std::string_view view() const noexcept { return {data_, size_}; }
    const char* c_str() noexcept {
        data_[size_] = '\0';
        return data_;
    }

  private:
    char* data_;
    std::size_t capacity_;
    std::size_t size_ = 0;
    bool overflow_ = false;
};

}  // namespace airlock::hooks
