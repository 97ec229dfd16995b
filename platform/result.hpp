// Errors as values: every stage returns Result<T>, never throws across a stage boundary.
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace airlock {

// An error names the stage it happened in and, for system calls, the call and errno.
struct Error {
    std::string stage;    // "policy", "sandbox", "exec", "wal", ...
    std::string message;  // human readable, names what was wrong and where
    std::string call;     // failing system call, empty otherwise
    int err_no = 0;       // errno of `call`, 0 otherwise

    std::string describe() const {
        std::string out = message;
        if (!call.empty()) {
            out += " (" + call;
            if (err_no != 0) out += ": " + std::string(std::strerror(err_no));
            out += ")";
        }
        return out;
    }
};

inline Error make_error(std::string stage, std::string message) {
    return Error{std::move(stage), std::move(message), {}, 0};
}

// For a failed system call: captures errno at the call site.
inline Error sys_error(std::string stage, std::string message, std::string call, int err = errno) {
    return Error{std::move(stage), std::move(message), std::move(call), err};
}

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const { return std::get<1>(v_); }

  private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}
    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const { return error_; }

  private:
    Error error_;
    bool ok_ = true;
};

}  // namespace airlock
