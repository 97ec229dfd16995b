// Host device nodes: a command reads and writes only the basic devices (null, zero, full,
// random, urandom), never a disk, a RAM disk, a console screen or the kernel log.
#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

// Every character or block device under the host's /dev except the basic ones, as a shell
// word list (the devices differ from host to host).
std::string host_devices() {
    std::string list;
    for (const auto& entry : fs::directory_iterator("/dev")) {
        std::error_code ec;
        const auto type = entry.symlink_status(ec).type();
        if (type != fs::file_type::character && type != fs::file_type::block) continue;
        const std::string name = entry.path().filename().string();
        if (name == "null" || name == "zero" || name == "full" || name == "random" ||
            name == "urandom" || name == "tty" || name == "ptmx")
            continue;
        list += " '" + entry.path().string() + "'";
    }
    return list;
}

// Prints each device of `devices` that one byte can be read from.
std::string readable_devices_script(const std::string& devices) {
    return "for d in" + devices +
           "; do head -c 1 \"$d\" >/dev/null 2>&1 && echo \"$d\"; done; true";
}

}  // namespace

TEST_CASE("host device nodes cannot be read: disks, RAM disks, console screens, kernel log") {
    Scenario s;
    const std::string devices = host_devices();
    REQUIRE_FALSE(devices.empty());
    const std::string script = readable_devices_script(devices);
    auto r = s.sh(script, R"("limits": {"timeout_seconds": 30})");
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "");
    // Positive controls: the basic devices work inside, and unconfined (as root on most hosts)
    // some of the same host devices can be read: the refusal above is the sandbox's.
    auto ok = s.sh(
        "echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c && "
        "head -c 4 /dev/random | wc -c && head -c 4 /dev/full | wc -c");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "4\n4\n4\n4\n");
    auto host = s.unconfined_sh(script);
    if (field(host, "stdout").empty())
        MESSAGE("no host device is readable unconfined here (uid "
                << ::geteuid() << "): only the inside is shown");
    else
        MESSAGE("readable unconfined: " << field(host, "stdout"));
}
