#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "platform/hold_gate.hpp"
#include "platform/sha256.hpp"
#include "platform/workspace_path.hpp"

namespace fs = std::filesystem;
using airlock::resolve_in_workspace;

namespace {
struct Scratch {
    Scratch() {
        std::string tmpl = (fs::temp_directory_path() / "airlock-unit.XXXXXX").string();
        root = ::mkdtemp(tmpl.data());
        ws = root / "ws";
        fs::create_directories(ws / "sub");
    }
    ~Scratch() { fs::remove_all(root); }
    fs::path root, ws;
};
}  // namespace

TEST_CASE("sha256_hex matches the standard test vectors") {
    CHECK(airlock::sha256_hex("") ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(airlock::sha256_hex("abc") ==
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

namespace {
std::string hex_of(const airlock::Sha256Digest& d) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : d) {
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
    return out;
}
}  // namespace

TEST_CASE("hmac_sha256 matches RFC 4231's test vectors") {
    // Test case 1: a 20-byte key.
    CHECK(hex_of(airlock::hmac_sha256(std::string(20, '\x0b'), "Hi There")) ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2: a key shorter than the output.
    CHECK(hex_of(airlock::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a key longer than SHA-256's block, hashed first.
    CHECK(hex_of(airlock::hmac_sha256(std::string(131, '\xaa'),
                                      "Test Using Larger Than Block-Size Key - Hash Key First")) ==
          "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK(hex_of(airlock::sha256("abc")) == airlock::sha256_hex("abc"));
}

TEST_CASE("resolve_in_workspace keeps paths inside the workspace") {
    Scratch s;
    const fs::path canon = fs::canonical(s.ws);
    auto ok = resolve_in_workspace(s.ws, "sub/file.txt", "path");
    REQUIRE(ok.ok());
    CHECK(*ok == canon / "sub/file.txt");
    CHECK(resolve_in_workspace(s.ws, "sub/../file.txt", "path").ok());
    CHECK(resolve_in_workspace(s.ws, "new/dir/file", "path").ok());

    for (const char* bad : {"", "/etc/passwd", "..", "../x", "sub/../../x"}) {
        CAPTURE(bad);
        auto r = resolve_in_workspace(s.ws, bad, "path");
        CHECK_FALSE(r.ok());
        if (!r.ok()) CHECK(r.error().stage == "input");
    }
    auto nul = resolve_in_workspace(s.ws, std::string("a\0b", 3), "path");
    REQUIRE_FALSE(nul.ok());
    CHECK(nul.error().message.find("NUL") != std::string::npos);
}

TEST_CASE("resolve_in_workspace refuses symlinks that lead outside") {
    Scratch s;
    fs::create_directories(s.root / "outside");
    fs::create_directory_symlink(s.root / "outside", s.ws / "out");
    fs::create_directory_symlink(s.ws / "sub", s.ws / "in");
    auto out = resolve_in_workspace(s.ws, "out/file", "path");
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().message.find("symlink") != std::string::npos);
    CHECK_FALSE(resolve_in_workspace(s.ws, "out", "path").ok());
    // Positive control: a symlink that stays inside is fine.
    CHECK(resolve_in_workspace(s.ws, "in/file", "path").ok());
}

TEST_CASE("is_within compares whole path components") {
    CHECK(airlock::is_within("/a/b/c", "/a/b"));
    CHECK(airlock::is_within("/a/b", "/a/b"));
    CHECK_FALSE(airlock::is_within("/a/bc", "/a/b"));
    CHECK_FALSE(airlock::is_within("/a", "/a/b"));
}

// poll() readiness of `fd` right now: POLLIN or POLLHUP when a read would not block.
static short ready_now(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 ? p.revents : 0;
}

TEST_CASE("hold gate: the held side never reads end-of-file, only the byte that releases it") {
    // Positive control: with a plain pipe, the writer's close alone lets a reader go on.
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    airlock::UniqueFd plain_read(fds[0]);
    ::close(fds[1]);
    CHECK((ready_now(plain_read.get()) & (POLLIN | POLLHUP)) != 0);

    auto closed = airlock::make_hold_gate();
    REQUIRE(closed);
    closed->release_end.reset();  // the parent dies without releasing
    CHECK(ready_now(closed->child_end.get()) == 0);

    auto released = airlock::make_hold_gate();
    REQUIRE(released);
    CHECK(ready_now(released->child_end.get()) == 0);
    REQUIRE(airlock::release(*released));
    CHECK((ready_now(released->child_end.get()) & POLLIN) != 0);
    char byte = 0;
    CHECK(::read(released->child_end.get(), &byte, 1) == 1);
    CHECK(byte == 1);
}
