// A growable byte buffer in anonymous memory (mmap, mremap), without the heap: the hook's early
// client (hook_client.hpp) runs before the C++ runtime is initialised.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <string_view>
#include <utility>

namespace airlock::hooks {

class MappedBuffer {
  public:
    MappedBuffer() = default;
    MappedBuffer(const MappedBuffer&) = delete;
    MappedBuffer& operator=(const MappedBuffer&) = delete;
    MappedBuffer(MappedBuffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)),
          size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0)) {}
    MappedBuffer& operator=(MappedBuffer&& other) noexcept {
        if (this != &other) {
            unmap();
            data_ = std::exchange(other.data_, nullptr);
            size_ = std::exchange(other.size_, 0);
            capacity_ = std::exchange(other.capacity_, 0);
        }
        return *this;
    }
    ~MappedBuffer() { unmap(); }

    // Room for at least `capacity` bytes; false when the memory cannot be had.
    bool reserve(std::size_t capacity) noexcept {
        if (capacity <= capacity_) return true;
        const std::size_t page = 4096;
        const std::size_t rounded = (capacity + page - 1) / page * page;
        void* p = data_ == nullptr ? ::mmap(nullptr, rounded, PROT_READ | PROT_WRITE,
                                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                                   : ::mremap(data_, capacity_, rounded, MREMAP_MAYMOVE);
        if (p == MAP_FAILED) return false;
        data_ = static_cast<char*>(p);
        capacity_ = rounded;
        return true;
    }
    // The first `size` bytes (at most the capacity) are the content.
    void resize(std::size_t size) noexcept { size_ = size <= capacity_ ? size : capacity_; }

    char* data() noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }
    std::size_t capacity() const noexcept { return capacity_; }
    std::string_view view() const noexcept { return {data_, size_}; }

    // The mapping is kept for the rest of the process; the buffer is empty afterwards.
    std::string_view release() noexcept {
        const std::string_view out = view();
        data_ = nullptr;
        size_ = capacity_ = 0;
        return out;
    }

  private:
    void unmap() noexcept {
        if (data_ != nullptr) ::munmap(data_, capacity_);
    }
    char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t capacity_ = 0;
};

}  // namespace airlock::hooks
