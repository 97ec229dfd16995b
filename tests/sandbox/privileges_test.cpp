// Privilege escapes: setuid binaries, new namespaces, mounts and the system calls the
// seccomp filter refuses. The positive control for each is the same action unconfined.
#include <csignal>

#include "escape_harness.hpp"
#include "tests/support/host_facts.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::escape;

namespace {

// The positive control of a kernel-level refusal: the same probe, unconfined, succeeds.
// Returns false (with the reason printed) when this host refuses it even unconfined.
bool works_unconfined(Scenario& s, const std::string& what) {
    auto ok = s.unconfined_sh("'" + std::string(ESCAPE_PROBE) + "' " + what);
    const std::string out = field(ok, "stdout");
    if (ok.exit_code == 0 && out == "ok\n") return true;
    MESSAGE("positive control unavailable on this host: '" << what << "' unconfined says: " << out);
    return false;
}

// A host setting that disables a facility even unconfined ("" when none does).
std::string disabled_by_host(const char* sysctl, const char* disabled_when) {
    const std::string value = read_text(sysctl);
    if (!value.empty() && value.substr(0, value.find('\n')) == disabled_when)
        return std::string(sysctl) + " = " + disabled_when;
    return "";
}

}  // namespace

TEST_CASE("no_new_privs is set and no capability is effective, even for root") {
    Scenario s;
    const std::string cmd = "grep -E '^(CapEff|NoNewPrivs):' /proc/self/status";
    auto r = s.sh(cmd);
    require_sandboxed(r);
    CHECK(field(r, "stdout") == "CapEff:\t0000000000000000\nNoNewPrivs:\t1\n");
    CHECK(result(r)["sandbox"]["effective"]["no_new_privs"] == true);
    CHECK(result(r)["sandbox"]["effective"]["capabilities"] == "none");
    // Positive control: unconfined, the same reading shows no_new_privs unset.
    auto ok = s.unconfined_sh(cmd);
    CHECK(contains(field(ok, "stdout"), "NoNewPrivs:\t0"));
}

TEST_CASE("a setuid binary does not change the sandboxed process's user") {
    Scenario s;
    if (!running_as_root()) {
        MESSAGE("skipped: making a setuid binary of another user needs root (running as uid "
                << ::geteuid() << ")");
        return;
    }
    // A copy of the probe that is setuid to nobody, outside the workspace.
    const fs::path suid = s.outside() / "suid-probe";
    fs::copy_file(ESCAPE_PROBE, suid);
    REQUIRE(::chown(suid.c_str(), 65534, 65534) == 0);
    REQUIRE(::chmod(suid.c_str(), 04755) == 0);
    // Positive control: unconfined, the setuid bit takes effect.
    auto ok = s.unconfined_sh("'" + suid.string() + "' ids");
    REQUIRE(field(ok, "stdout") == "euid=65534\n");
    auto r = s.sh("'" + suid.string() + "' ids");
    require_sandboxed(r);
    CHECK(r.exit_code == 0);
    CHECK(field(r, "stdout") != "euid=65534\n");
}

TEST_CASE("setuid-root system binaries (su, mount) gain nothing inside") {
    Scenario s;
    auto r = s.sh(
        "su root -c 'touch su-ran' </dev/null; mount -t tmpfs none /mnt && echo MOUNTED; "
        "grep -E '^CapEff:' /proc/self/status");
    require_sandboxed(r);
    CHECK_FALSE(fs::exists(s.ws() / "su-ran"));
    CHECK_FALSE(contains(field(r, "stdout"), "MOUNTED"));
    CHECK(contains(field(r, "stdout"), "CapEff:\t0000000000000000"));
    // Positive control: the binaries are there and setuid on this host.
    CHECK((fs::status("/usr/bin/su").permissions() & fs::perms::set_uid) != fs::perms::none);
    CHECK((fs::status("/usr/bin/mount").permissions() & fs::perms::set_uid) != fs::perms::none);
}

TEST_CASE("chmod u+s inside: refused, and no setuid-root file left on the host") {
    Scenario s;
    fs::copy_file(ESCAPE_PROBE, s.ws() / "probe-copy");
    auto r = s.sh(
        "chmod u+s probe-copy || echo setuid-refused; chmod g+s probe-copy || echo setgid-refused; "
        "chmod u+x probe-copy && echo plain-chmod-ok; ls -l probe-copy | cut -c1-10; "
        "grep -E '^NoNewPrivs:' /proc/self/status");
    require_sandboxed(r);
    const std::string out = field(r, "stdout");
    CHECK(contains(out, "setuid-refused"));
    CHECK(contains(out, "setgid-refused"));
    // Positive control: an ordinary chmod of the same file works (under bwrap; the seccomp
    // adapter refuses every chmod, see the host file scenario).
    if (!under_seccomp()) CHECK(contains(out, "plain-chmod-ok"));
    CHECK(contains(out, "NoNewPrivs:\t1"));
    // On the host, a set-user-ID file owned by root would give root to whoever runs it later.
    struct stat st {};
    REQUIRE(::stat((s.ws() / "probe-copy").c_str(), &st) == 0);
    INFO("host mode " << std::oct << st.st_mode << std::dec << " owner uid " << st.st_uid);
    CHECK_FALSE(((st.st_mode & S_ISUID) != 0 && st.st_uid == 0));
    CHECK_FALSE(((st.st_mode & S_ISGID) != 0 && st.st_gid == 0));
}

TEST_CASE("unshare -r (a new user namespace mapped to root) is refused") {
    Scenario s;
    auto r = s.sh("unshare -r id -u");
    require_sandboxed(r);
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), "Operation not permitted"));
    if (const auto host_refuses = airlock::test::user_namespaces_refused_by_host();
        !host_refuses.empty()) {
        airlock::test::not_applicable("unshare -r works unconfined (positive control)",
                                      host_refuses);
        return;
    }
    auto ok = s.unconfined_sh("unshare -r id -u");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "0\n");
}

TEST_CASE("unshare -U, -m, -n, -p: no new namespace of any kind") {
    Scenario s;
    const auto host_refuses = airlock::test::user_namespaces_refused_by_host();
    if (!host_refuses.empty())
        airlock::test::not_applicable("unshare works unconfined (positive control)", host_refuses);
    for (const std::string flags : {"-U", "-rm", "-rn", "-rpf", "-ri", "-ru", "-rC"}) {
        CAPTURE(flags);
        auto r = s.sh("unshare " + flags + " true");
        CHECK(r.exit_code != 0);
        if (!host_refuses.empty()) continue;
        auto ok = s.unconfined_sh("unshare " + flags + " true");
        CHECK(ok.exit_code == 0);
    }
}

TEST_CASE("mount is refused, even after trying a new namespace") {
    Scenario s;
    fs::create_directories(s.ws() / "mnt");
    auto r = s.sh(
        "mount -t tmpfs none mnt && touch mnt/x; unshare -rm sh -c "
        "'mount -t tmpfs none mnt && touch mnt/x'; mount --bind / mnt && echo BOUND");
    require_sandboxed(r);
    CHECK(r.exit_code != 0);
    CHECK_FALSE(contains(field(r, "stdout"), "BOUND"));
    CHECK_FALSE(fs::exists(s.ws() / "mnt/x"));
    // Positive control: unconfined, a private mount namespace can mount a tmpfs there.
    if (const auto host_refuses = airlock::test::user_namespaces_refused_by_host();
        !host_refuses.empty()) {
        airlock::test::not_applicable("unshare -rm can mount unconfined (positive control)",
                                      host_refuses);
        return;
    }
    auto ok = s.unconfined_sh(
        "unshare -rm sh -c 'mount -t tmpfs none mnt && touch mnt/x && echo MOUNTED'");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "MOUNTED\n");
    CHECK_FALSE(fs::exists(s.ws() / "mnt/x"));  // it was in the tmpfs, gone with the namespace
}

TEST_CASE("io_uring_setup is refused") {
    Scenario s;
    auto r = s.probe({"io_uring"});
    require_sandboxed(r);
    CHECK(r.exit_code == 1);
    CHECK(field(r, "stdout").rfind("refused: ", 0) == 0);
    // Positive control, unless the host itself disables io_uring.
    const std::string off =
        disabled_by_host("/proc/sys/kernel/io_uring_disabled", "2") +
        (running_as_root() ? "" : disabled_by_host("/proc/sys/kernel/io_uring_disabled", "1"));
    if (off.empty())
        CHECK(works_unconfined(s, "io_uring"));
    else
        MESSAGE("positive control skipped: " << off);
}

TEST_CASE("ptrace is refused, even of the command's own child") {
    Scenario s;
    auto r = s.probe({"ptrace-child"});
    require_sandboxed(r);
    CHECK(r.exit_code == 1);
    CHECK(field(r, "stdout").rfind("refused: Operation not permitted", 0) == 0);
    CHECK(works_unconfined(s, "ptrace-child"));
}

TEST_CASE("TIOCSTI is refused by the filter before any terminal sees it") {
    Scenario s;
    // On stdin (/dev/null): the filter answers EPERM; unfiltered, the tty layer says ENOTTY.
    auto r = s.probe({"tiocsti-stdin"});
    require_sandboxed(r);
    CHECK(field(r, "stdout").rfind("refused: Operation not permitted", 0) == 0);
    auto ok = s.probe({"tiocsti-stdin"}, kUnconfined);
    CHECK(field(ok, "stdout").rfind("refused: Inappropriate ioctl for device", 0) == 0);
}

TEST_CASE("TIOCSTI cannot push input into a terminal") {
    Scenario s;
    auto r = s.probe({"tiocsti"});
    require_sandboxed(r);
    if (under_seccomp()) {
        // The host's /dev/ptmx is not writable under Landlock: no terminal can even be made
        // (the scenario above shows the filter refusing TIOCSTI itself).
        CHECK(r.exit_code == 3);
        CHECK(field(r, "stdout").rfind("setup failed: no pty", 0) == 0);
        return;
    }
    INFO("sandboxed probe: " << field(r, "stdout"));
    CHECK(r.exit_code == 1);
    CHECK(field(r, "stdout").rfind("refused: ", 0) == 0);
    const std::string off =
        running_as_root() ? "" : disabled_by_host("/proc/sys/dev/tty/legacy_tiocsti", "0");
    if (off.empty())
        CHECK(works_unconfined(s, "tiocsti"));
    else
        MESSAGE("positive control skipped: " << off);
}

TEST_CASE("32-bit system calls (int 0x80) kill the process") {
#if defined(__x86_64__)
    Scenario s;
    auto r = s.probe({"int80"});
    require_sandboxed(r);
    // Whatever the host does with it, the call never completes inside the sandbox.
    CHECK(field(r, "stdout").rfind("ok", 0) != 0);
    const std::string host_refuses = airlock::test::ia32_syscalls_refused_by_host();
    if (host_refuses.empty()) {
        CHECK(r.exit_code == 128 + SIGSYS);
        CHECK(field(r, "stdout").empty());
        CHECK(works_unconfined(s, "int80"));
        return;
    }
    airlock::test::not_applicable("int 0x80 killed by the seccomp filter (SIGSYS)", host_refuses);
    // What can still be checked: the sandboxed call ends as the host's own refusal does, or by
    // the filter; never as a call that ran.
    auto host = s.probe({"int80"}, kUnconfined);
    INFO("unconfined: exit " << host.exit_code << ", " << field(host, "stdout"));
    CHECK(host.exit_code != 0);
    CHECK((r.exit_code == host.exit_code || r.exit_code == 128 + SIGSYS));
#else
    airlock::test::not_applicable("int 0x80 killed by the seccomp filter", "not an x86_64 host");
#endif
}
