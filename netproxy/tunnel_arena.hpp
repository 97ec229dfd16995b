// Memory for what an open tunnel keeps (its connection, its relay, their pending waits), in
// chunks of its own. A connection's set-up allocates coroutine frames and buffers from the
// general heap and frees them when its tunnel opens; were the tunnel's own state allocated
// among them, a burst of set-ups (a client opening 200 connections at once) would leave every
// heap page pinned by one small live object, and malloc could give none back. Here the live
// state stays packed, and the set-up's pages come free as a whole (malloc_trim).
//
// Blocks in sizes of 64-byte steps up to 2 KiB, each size with its list of free blocks and
// its chunk to take new ones from; chunks are kept (the proxy's connection bound bounds them)
// and freed with the arena. Thread-safe: a connection's last reference may be dropped by a
// Decider's thread.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

// Under AddressSanitizer every block comes from the general heap, so that a use after free in
// the proxy is caught there (a recycled block of the arena would hide it).
#if defined(__SANITIZE_ADDRESS__)
#define AIRLOCK_TUNNEL_ARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AIRLOCK_TUNNEL_ARENA_OFF 1
#endif
#endif

namespace airlock::netproxy {

class TunnelArena {
  public:
#ifdef AIRLOCK_TUNNEL_ARENA_OFF
    static constexpr bool kRecycles = false;
#else
    static constexpr bool kRecycles = true;  // freed blocks serve later requests of their size
#endif
    TunnelArena() = default;
    TunnelArena(const TunnelArena&) = delete;
    TunnelArena& operator=(const TunnelArena&) = delete;

    void* allocate(std::size_t bytes) {
        const std::size_t k = size_class(bytes);
        if (k == kClasses) return ::operator new(bytes);
        std::lock_guard lock(mutex_);
        if (Free* block = free_[k]) {
            free_[k] = block->next;
            return block;
        }
        // A new block from the class's chunk, taken in order: a chunk's pages are touched
        // only as far as its blocks are used.
        const std::size_t size = (k + 1) * kGrain;
        Chunk& c = current_[k];
        if (!c.next || c.next + size > c.end) {
            chunks_.push_back(std::make_unique_for_overwrite<std::byte[]>(kChunk));
            c.next = chunks_.back().get();
            c.end = c.next + kChunk;
        }
        void* block = c.next;
        c.next += size;
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
    struct Chunk {
        std::byte* next = nullptr;
        std::byte* end = nullptr;
    };
    static constexpr std::size_t kGrain = 64;    // bytes; sizes are rounded up to it
    static constexpr std::size_t kClasses = 32;  // up to 2 KiB
    static constexpr std::size_t kChunk = 32 * 1024;

    static std::size_t size_class(std::size_t bytes) {
#ifdef AIRLOCK_TUNNEL_ARENA_OFF
        (void)bytes;
        return kClasses;
#else
        if (bytes == 0 || bytes > kClasses * kGrain) return kClasses;
        return (bytes - 1) / kGrain;
#endif
    }

    std::mutex mutex_;
    std::array<Free*, kClasses> free_{};
    std::array<Chunk, kClasses> current_{};
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

// The same, keeping the arena alive for as long as one of its copies lives: for an object
// whose last reference may outlive the arena's owner (a connection's control block, which a
// Decider may still hold through a weak_ptr when the proxy is gone).
template <typename T>
struct SharedTunnelAllocator {
    using value_type = T;
    std::shared_ptr<TunnelArena> arena;
    explicit SharedTunnelAllocator(std::shared_ptr<TunnelArena> a) noexcept : arena(std::move(a)) {}
    template <typename U>
    SharedTunnelAllocator(const SharedTunnelAllocator<U>& other) noexcept : arena(other.arena) {}
    T* allocate(std::size_t n) { return static_cast<T*>(arena->allocate(n * sizeof(T))); }
    void deallocate(T* p, std::size_t n) noexcept { arena->deallocate(p, n * sizeof(T)); }
    template <typename U>
    bool operator==(const SharedTunnelAllocator<U>& other) const noexcept {
        return arena == other.arena;
    }
};

}  // namespace airlock::netproxy
