// Host device nodes: a command opens only the basic devices (null, zero, full, random,
// urandom), never a disk, a RAM disk, a loop device, a console screen or the kernel log.
#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

// Every character or block device of the host's /dev but the basic ones, the terminals a
// sandboxed command may not have anyway, and watchdogs (opening one arms it).
std::vector<std::string> host_devices() {
    std::vector<std::string> list;
    for (const auto& entry : fs::directory_iterator("/dev")) {
        std::error_code ec;
        const auto type = entry.symlink_status(ec).type();
        if (type != fs::file_type::character && type != fs::file_type::block) continue;
        const std::string name = entry.path().filename().string();
        if (name == "null" || name == "zero" || name == "full" || name == "random" ||
            name == "urandom" || name == "tty" || name == "ptmx" || name.rfind("watchdog", 0) == 0)
            continue;
        list.push_back(entry.path().string());
    }
    return list;
}

}  // namespace

TEST_CASE("host device nodes cannot be opened: disks, RAM disks, console screens, kernel log") {
    Scenario s;
    std::vector<std::string> args = {"open"};
    const auto devices = host_devices();
    REQUIRE_FALSE(devices.empty());
    args.insert(args.end(), devices.begin(), devices.end());
    auto r = s.probe(args);
    require_sandboxed(r);
    CHECK(r.exit_code == 0);
    CHECK(field(r, "stdout") == "");
    // Positive controls: the basic devices open inside, and unconfined (as root, on most
    // hosts) some of the same host devices open: the refusal above is the sandbox's.
    auto basic =
        s.probe({"open", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"});
    CHECK(field(basic, "stdout") == "/dev/null\n/dev/zero\n/dev/full\n/dev/random\n/dev/urandom\n");
    auto host = s.probe(args, kUnconfined);
    CHECK(host.exit_code == 0);
    if (running_as_root())
        CHECK_MESSAGE(!field(host, "stdout").empty(), "as root, no host device opens unconfined");
    else
        MESSAGE("unconfined, uid " << ::geteuid() << " opens: " << field(host, "stdout"));
}
