// Landlock rights per ABI, as data (no kernel needed).
#include <doctest/doctest.h>
#include <linux/landlock.h>

#include <algorithm>

#include "sandbox/landlock.hpp"

using namespace airlock::sandbox;

namespace {

constexpr std::uint64_t kRefer = 1ULL << 13;
constexpr std::uint64_t kTruncate = 1ULL << 14;
constexpr std::uint64_t kIoctlDev = 1ULL << 15;
constexpr std::uint64_t kMakeChar = LANDLOCK_ACCESS_FS_MAKE_CHAR;
constexpr std::uint64_t kMakeBlock = LANDLOCK_ACCESS_FS_MAKE_BLOCK;
constexpr std::uint64_t kWriteFile = LANDLOCK_ACCESS_FS_WRITE_FILE;

bool has(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

TEST_CASE("landlock rights are trimmed to what each ABI knows") {
    const LandlockSpec spec;
    CHECK(landlock_rights_for_abi(0, spec).handled_fs == 0);

    const auto abi1 = landlock_rights_for_abi(1, spec);
    CHECK(abi1.handled_fs == 0x1fff);
    CHECK((abi1.handled_fs & (kRefer | kTruncate | kIoctlDev)) == 0);

    const auto abi2 = landlock_rights_for_abi(2, spec);
    CHECK((abi2.handled_fs & kRefer) != 0);
    CHECK((abi2.handled_fs & (kTruncate | kIoctlDev)) == 0);

    const auto abi3 = landlock_rights_for_abi(3, spec);
    CHECK((abi3.handled_fs & kTruncate) != 0);
    CHECK((abi3.handled_fs & kIoctlDev) == 0);
    CHECK(landlock_rights_for_abi(4, spec).handled_fs == abi3.handled_fs);

    const auto abi5 = landlock_rights_for_abi(5, spec);
    CHECK(abi5.handled_fs == 0xffff);
    CHECK(abi5.scoped == 0);

    const auto abi6 = landlock_rights_for_abi(6, spec);
    CHECK(abi6.handled_fs == 0xffff);
    CHECK(landlock_scope_names(abi6.scoped) ==
          std::vector<std::string>{"abstract_unix_socket", "signal"});
    CHECK(landlock_rights_for_abi(9, spec).handled_fs == 0xffff);  // newer ABIs: no unknown bits
}

TEST_CASE("TCP bind and connect are handled from ABI 4, only when asked") {
    LandlockSpec tcp;
    tcp.restrict_tcp = true;
    for (int abi = 0; abi < kLandlockTcpAbi; ++abi)
        CHECK(landlock_rights_for_abi(abi, tcp).handled_net == 0);
    for (int abi = kLandlockTcpAbi; abi <= 7; ++abi) {
        CAPTURE(abi);
        CHECK(landlock_net_right_names(landlock_rights_for_abi(abi, tcp).handled_net) ==
              std::vector<std::string>{"bind_tcp", "connect_tcp"});
        CHECK(landlock_rights_for_abi(abi, LandlockSpec{}).handled_net == 0);
    }
}

TEST_CASE("read-only roots get read rights, writable roots everything but device nodes") {
    for (int abi = 1; abi <= 7; ++abi) {
        CAPTURE(abi);
        const auto rights = landlock_rights_for_abi(abi, LandlockSpec{});
        CHECK(landlock_fs_right_names(rights.readonly_fs) ==
              std::vector<std::string>{"execute", "read_file", "read_dir"});
        CHECK((rights.writable_fs & kWriteFile) != 0);
        CHECK((rights.writable_fs & (kMakeChar | kMakeBlock)) == 0);
        CHECK((rights.writable_fs | kMakeChar | kMakeBlock) == rights.handled_fs);
        CHECK((rights.readonly_fs & ~rights.handled_fs) == 0);
    }
}

TEST_CASE("scopes follow the spec") {
    LandlockSpec spec;
    spec.scope_signals = false;
    CHECK(landlock_scope_names(landlock_rights_for_abi(6, spec).scoped) ==
          std::vector<std::string>{"abstract_unix_socket"});
    spec.scope_abstract_unix_sockets = false;
    CHECK(landlock_rights_for_abi(6, spec).scoped == 0);
}

TEST_CASE("right names cover every bit") {
    const auto names = landlock_fs_right_names(0xffff);
    CHECK(names.size() == 16);
    CHECK(has(names, "refer"));
    CHECK(has(names, "truncate"));
    CHECK(has(names, "ioctl_dev"));
    CHECK(has(landlock_fs_right_names(1ULL << 40), "unknown"));
}
