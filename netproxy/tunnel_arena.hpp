// Memory for what an open tunnel keeps (its connection, its relay, their pending waits), in
// chunks of its own. A connection's set-up allocates coroutine frames and buffers from the
// general heap and frees them when its tunnel opens; were the tunnel's own state allocated
// among them, a burst of set-ups (a client opening 200 connections at once) would leave every
// heap page pinned by one small live object, and malloc could give none back. Here the live
// state stays packed, and the set-up's pages come free as a whole (malloc_trim).
//
// Blocks of a few sizes, each size with its list of free blocks; chunks are kept (the proxy's
// connection bound bounds them) and freed with the arena. Thread-safe: a connection's last
// reference may be dropped by a Decider's thread.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace airlock::netproxy {

class TunnelArena {
  public:
    TunnelArena() = default;
    TunnelArena(const TunnelArena&) = delete;
    TunnelArena& operator=(const TunnelArena&) = delete;

    void* allocate(std::size_t bytes) {
        const std::size_t k = size_class(bytes);
        if (k == kClasses) return ::operator new(bytes);
        std::lock_guard lock(mutex_);
        if (!free_[k]) carve(k);
        Free* block = free_[k];
        free_[k] = block->next;
        return block;
    }

    void deallocate(void* p, std::size_t bytes) noexcept {
        const std::size_t k = size_class(bytes);
        if (k == kClasses) return ::operator delete(p);
        std::lock_guard lock(mutex_);
        free_[k] = new (p) Free{free_[k]};
    }

  private:
    struct Free {
        Free* next;
    };
    static constexpr std::size_t kSmallest = 64;  // bytes; each class doubles it
    static constexpr std::size_t kClasses = 6;    // 64 .. 2048 bytes
    static constexpr std::size_t kChunk = 32 * 1024;

    static std::size_t size_class(std::size_t bytes) {
        std::size_t k = 0;
        for (std::size_t size = kSmallest; k < kClasses; ++k, size *= 2)
            if (bytes <= size) return k;
        return kClasses;
    }

    void carve(std::size_t k) {
        const std::size_t size = kSmallest << k;
        chunks_.push_back(std::make_unique<std::byte[]>(kChunk));
        std::byte* chunk = chunks_.back().get();
        for (std::size_t at = 0; at + size <= kChunk; at += size)
            free_[k] = new (chunk + at) Free{free_[k]};
    }

    std::mutex mutex_;
    std::array<Free*, kClasses> free_{};
    std::vector<std::unique_ptr<std::byte[]>> chunks_;
};

// A standard allocator over a TunnelArena (for std::allocate_shared and asio's handlers).
template <typename T>
struct TunnelAllocator {
    using value_type = T;
    TunnelArena* arena;
    explicit TunnelAllocator(TunnelArena* a) noexcept : arena(a) {}
    template <typename U>
    TunnelAllocator(const TunnelAllocator<U>& other) noexcept : arena(other.arena) {}
    T* allocate(std::size_t n) { return static_cast<T*>(arena->allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { arena->deallocate(p, n * sizeof(T)); }
    template <typename U>
    bool operator==(const TunnelAllocator<U>& other) const noexcept {
        return arena == other.arena;
    }
};

}  // namespace airlock::netproxy
