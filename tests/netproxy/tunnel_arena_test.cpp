// The arena that holds open tunnels' state: blocks are reused by size, sizes it does not serve
// go to the general heap, and blocks of one chunk stay apart.
#include <array>
#include <cstring>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "netproxy/tunnel_arena.hpp"

using airlock::netproxy::TunnelAllocator;
using airlock::netproxy::TunnelArena;

TEST_CASE("tunnel arena: a freed block serves the next request of its size, no other") {
    if (!TunnelArena::kRecycles) {
        // Under AddressSanitizer the arena hands every block to the general heap.
        MESSAGE("not applicable here: built with AddressSanitizer, the arena does not recycle");
        return;
    }
    TunnelArena arena;
    void* small = arena.allocate(40);
    void* large = arena.allocate(1000);
    REQUIRE(small != nullptr);
    REQUIRE(large != nullptr);
    std::memset(small, 0xab, 40);
    std::memset(large, 0xcd, 1000);
    arena.deallocate(small, 40);
    CHECK(arena.allocate(64) == small);  // the same size class (up to 64 bytes)
    CHECK(arena.allocate(64) != small);  // taken: another block
    arena.deallocate(large, 1000);
    CHECK(arena.allocate(100) != large);   // another class
    CHECK(arena.allocate(1024) == large);  // 961 to 1024 bytes
    // Beyond the largest class: the general heap, and back to it.
    void* huge = arena.allocate(64 * 1024);
    std::memset(huge, 0, 64 * 1024);
    arena.deallocate(huge, 64 * 1024);
}

TEST_CASE("tunnel arena: live blocks never overlap, across chunks and threads") {
    TunnelArena arena;
    std::vector<std::shared_ptr<std::array<char, 200>>> live;
    std::set<const void*> seen;
    for (int i = 0; i < 1000; ++i) {  // several 32 KiB chunks of 256-byte blocks
        auto p = std::allocate_shared<std::array<char, 200>>(
            TunnelAllocator<std::array<char, 200>>(&arena));
        p->fill(static_cast<char>(i));
        CHECK(seen.insert(p.get()).second);
        live.push_back(std::move(p));
    }
    for (int i = 0; i < 1000; ++i)
        CHECK((*live[static_cast<std::size_t>(i)])[199] == static_cast<char>(i));
    // The last references dropped on other threads (as a Decider's thread may).
    std::thread a([&] {
        for (std::size_t i = 0; i < 500; ++i)
            live[i].reset();
    });
    std::thread b([&] {
        for (std::size_t i = 500; i < 1000; ++i)
            live[i].reset();
    });
    a.join();
    b.join();
    // Positive control: the freed blocks serve again.
    auto again =
        std::allocate_shared<std::array<char, 200>>(TunnelAllocator<std::array<char, 200>>(&arena));
    if (TunnelArena::kRecycles) CHECK(seen.count(again.get()) == 1);
}

TEST_CASE("tunnel arena: a block whose last reference outlives the arena's owner stays valid") {
    std::weak_ptr<int> outliving;
    {
        auto arena = std::make_shared<TunnelArena>();
        auto p =
            std::allocate_shared<int>(airlock::netproxy::SharedTunnelAllocator<int>(arena), 42);
        outliving = p;
        CHECK(*outliving.lock() == 42);  // positive control: the weak reference sees it
    }  // the owner and the object are gone; the control block (and the arena) are not
    CHECK(outliving.expired());
    outliving.reset();  // frees the block into the arena the control block kept alive
}
