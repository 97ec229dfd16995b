// Filesystem escapes: writes, deletes and renames that reach outside the workspace, by any
// spelling, and reads of deny_read secrets.
#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

// A host file outside the workspace with known content, checked after each attack.
fs::path host_file(const Scenario& s, const std::string& name = "host.txt") {
    const fs::path p = s.outside() / name;
    write_text(p, "original\n");
    return p;
}

}  // namespace

TEST_CASE("write outside the workspace by absolute path") {
    Scenario s;
    const fs::path target = s.outside() / "escaped.txt";
    auto r = s.sh("echo pwned > '" + target.string() + "'");
    require_sandboxed(r);
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), write_refused()));
    CHECK_FALSE(fs::exists(target));
    // Positive control: the same write inside the workspace.
    auto ok = s.sh("echo fine > '" + (s.ws() / "inside.txt").string() + "'");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "inside.txt") == "fine\n");
}

TEST_CASE("write outside the workspace through ..") {
    Scenario s;
    fs::create_directories(s.ws() / "sub");
    auto r = s.sh("cd sub && echo pwned > ../../escaped.txt");
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), write_refused()));
    CHECK_FALSE(fs::exists(s.outside() / "escaped.txt"));
    auto ok = s.sh("cd sub && echo fine > ../inside.txt");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "inside.txt") == "fine\n");
}

TEST_CASE("write outside through a symlink the command creates in the workspace") {
    Scenario s;
    fs::create_directories(s.outside() / "target");
    auto r = s.sh("ln -s '" + (s.outside() / "target").string() + "' link && echo pwned > link/f");
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), write_refused()));
    CHECK_FALSE(fs::exists(s.outside() / "target" / "f"));
    // Positive control: a link to a workspace directory works the same way.
    fs::create_directories(s.ws() / "real");
    auto ok = s.sh("ln -s real link2 && echo fine > link2/f");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "real" / "f") == "fine\n");
}

TEST_CASE("write to a host file through a symlink planted in the workspace beforehand") {
    Scenario s;
    const fs::path host = host_file(s);
    fs::create_symlink(host, s.ws() / "planted");
    auto r = s.sh("echo pwned >> planted");
    CHECK(r.exit_code != 0);
    CHECK(read_text(host) == "original\n");
    write_text(s.ws() / "mine.txt", "original\n");
    fs::create_symlink(s.ws() / "mine.txt", s.ws() / "planted-inside");
    auto ok = s.sh("echo more >> planted-inside");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "mine.txt") == "original\nmore\n");
}

TEST_CASE("a hard link to a host file cannot be made across the sandbox's mounts") {
    Scenario s;
    const fs::path host = host_file(s);
    auto r = s.sh("ln '" + host.string() + "' hard && echo pwned >> hard");
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), "Invalid cross-device link"));
    CHECK_FALSE(fs::exists(s.ws() / "hard"));
    CHECK(read_text(host) == "original\n");
    // Positive control: a hard link between two workspace files.
    write_text(s.ws() / "a.txt", "a\n");
    auto ok = s.sh("ln a.txt b.txt && echo b >> b.txt");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "a.txt") == "a\nb\n");
}

TEST_CASE("write through /proc/self/root") {
    Scenario s;
    const fs::path target = s.outside() / "escaped.txt";
    auto r = s.sh("echo pwned > /proc/self/root" + target.string());
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), write_refused()));
    CHECK_FALSE(fs::exists(target));
    auto ok = s.sh("echo fine > /proc/self/root" + (s.ws() / "inside.txt").string());
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "inside.txt") == "fine\n");
}

TEST_CASE("write through /proc/1/root: pid 1 is the sandbox's own init") {
    Scenario s;
    const fs::path target = s.outside() / "escaped.txt";
    auto r = s.sh("echo pwned > /proc/1/root" + target.string());
    CHECK(r.exit_code != 0);
    CHECK_FALSE(fs::exists(target));
    auto who = s.sh("cat /proc/1/comm");
    CHECK(who.exit_code == 0);
    const auto host_init = read_text("/proc/1/comm");
    if (under_seccomp()) {
        // No pid namespace: pid 1 is the host's init, its root the host's (Landlock refuses the
        // write all the same), and `effective` says there are no namespaces.
        CHECK(field(who, "stdout") == host_init);
        CHECK(effective(r)["namespaces"].empty());
        return;
    }
    // Positive control: pid 1 inside is bwrap, not the host's init.
    CHECK(field(who, "stdout") == "bwrap\n");
    CHECK(host_init != "bwrap\n");
}

TEST_CASE("system directories are read-only: /etc, /usr, /var/tmp") {
    Scenario s;
    const std::string tag = s.outside().filename().string();
    for (const std::string dir : {"/etc", "/usr", "/var/tmp"}) {
        CAPTURE(dir);
        const fs::path target = fs::path(dir) / ("airlock-escape-" + tag);
        auto r = s.sh("echo pwned > '" + target.string() + "'");
        CHECK(r.exit_code != 0);
        CHECK(contains(field(r, "stderr"), write_refused()));
        CHECK_FALSE(fs::exists(target));
    }
    auto ok = s.sh("echo fine > inside.txt");
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / "inside.txt") == "fine\n");
}

TEST_CASE("the real $HOME cannot be written: HOME is the sandbox's own") {
    Scenario s;
    // By the real home's path (under bwrap the sandbox home covers it; under seccomp Landlock
    // refuses the write).
    auto r = s.sh("echo pwned > " + (s.home() / ".bashrc").string() + " && echo wrote");
    require_sandboxed(r);
    CHECK_FALSE(fs::exists(s.home() / ".bashrc"));
    // And through HOME: the write lands in the workspace's sandbox home, never in the real one.
    write_text(s.home() / ".profile", "profile\n");
    auto home = s.sh("echo pwned > \"$HOME/.profile\"");
    CHECK(read_text(s.home() / ".profile") == "profile\n");
    if (!under_seccomp())
        CHECK(field(r, "stdout") == "wrote\n");  // into the sandbox home
    else
        CHECK(contains(field(r, "stderr"), write_refused()));
    // Positive control: the same write unconfined reaches the real home.
    s.unconfined_sh("echo pwned > \"$HOME/.bashrc\"");
    CHECK(fs::exists(s.home() / ".bashrc"));
}

TEST_CASE("/tmp is private: a write there never reaches the host's /tmp") {
    Scenario s;
    const fs::path target = "/tmp/airlock-escape-" + s.outside().filename().string();
    auto r = s.sh("echo pwned > '" + target.string() + "' && cat '" + target.string() + "'");
    if (under_seccomp()) {
        // No mount namespace: /tmp is the host's, read-only under Landlock, and reported so.
        CHECK(r.exit_code != 0);
        CHECK(contains(field(r, "stderr"), write_refused()));
        CHECK_FALSE(fs::exists(target));
        CHECK(effective(r)["filesystem"]["tmp"] == "shared with the host, read-only");
        const fs::path host_tmp = "/tmp/airlock-escape-host-" + s.outside().filename().string();
        write_text(host_tmp, "host\n");
        auto look = s.sh("cat '" + host_tmp.string() + "'");
        fs::remove(host_tmp);
        CHECK(field(look, "stdout") == "host\n");  // the documented gap: host /tmp is readable
        return;
    }
    // Positive control within the same command: the private /tmp is writable.
    CHECK(r.exit_code == 0);
    CHECK(field(r, "stdout") == "pwned\n");
    CHECK_FALSE(fs::exists(target));
    // And the host's /tmp content is not visible inside.
    const fs::path host_tmp = "/tmp/airlock-escape-host-" + s.outside().filename().string();
    write_text(host_tmp, "host\n");
    auto look = s.sh("cat '" + host_tmp.string() + "'");
    CHECK(look.exit_code != 0);
    fs::remove(host_tmp);
}

TEST_CASE("a host file cannot be deleted, truncated, renamed away or chmod-ed") {
    Scenario s;
    const fs::path host = host_file(s);
    const auto mode = fs::status(host).permissions();
    const std::string h = "'" + host.string() + "'";
    for (const std::string& attack :
         std::vector<std::string>{"rm -f " + h, ": > " + h, "mv " + h + " stolen.txt",
                                  "chmod 777 " + h, "touch -d 2001-01-01 " + h}) {
        CAPTURE(attack);
        auto r = s.sh(attack);
        // Landlock does not cover timestamps: under the seccomp adapter `touch -d` on a host
        // file the user owns succeeds (documented); contents and mode still hold.
        if (!(under_seccomp() && attack.rfind("touch", 0) == 0)) CHECK(r.exit_code != 0);
        CHECK(read_text(host) == "original\n");
        CHECK(fs::status(host).permissions() == mode);
    }
    // (mv across mounts copies, then fails to unlink: a readable file may be copied in.)
    // Positive control: the same operations on a workspace file. The seccomp adapter refuses
    // every chmod (Landlock cannot confine modes), in the workspace too.
    write_text(s.ws() / "w.txt", "original\n");
    auto ok = s.sh("mv w.txt moved.txt && : > moved.txt && rm moved.txt");
    CHECK(ok.exit_code == 0);
    CHECK_FALSE(fs::exists(s.ws() / "moved.txt"));
    write_text(s.ws() / "m.txt", "original\n");
    auto chmod = s.sh("chmod 600 m.txt");
    if (under_seccomp()) {
        CHECK(chmod.exit_code != 0);
        CHECK(contains(field(chmod, "stderr"), "Operation not permitted"));
    } else {
        CHECK(chmod.exit_code == 0);
        CHECK((fs::status(s.ws() / "m.txt").permissions() & fs::perms::others_read) ==
              fs::perms::none);
    }
}

TEST_CASE("/dev holds only the basic devices: no disks, and no new device nodes") {
    Scenario s;
    auto r = s.sh(
        "find /dev -type b | wc -l; "
        "for d in /dev/sda /dev/vda /dev/nvme0n1 /dev/mem /dev/kmem /dev/port /dev/kmsg; "
        "do [ -e $d ] && echo $d; done; mknod disk b 8 0");
    require_sandboxed(r);
    CHECK(r.exit_code != 0);
    // Under the seccomp adapter the host's /dev is there, but no node beyond the basic ones can
    // be opened (devices_test.cpp).
    if (!under_seccomp()) CHECK(field(r, "stdout") == "0\n");
    CHECK(contains(field(r, "stderr"), "mknod"));
    CHECK_FALSE(fs::exists(s.ws() / "disk"));
    // Positive control: the basic devices work.
    auto ok =
        s.sh("echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 4 /dev/urandom | wc -c");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "4\n4\n");
}

namespace {
// A policy that hides `path`. The secrets live outside the home: the sandbox's HOME is its own
// (developer_tasks_test.cpp shows the real home's secrets are not in it).
std::string deny_read(const fs::path& path) {
    return R"("sandbox": {"deny_read": [")" + path.string() + R"("]})";
}
}  // namespace

TEST_CASE("deny_read hides a secret file (~/.ssh/id_rsa)") {
    Scenario s;
    const fs::path key = s.outside() / "secrets" / ".ssh" / "id_rsa";
    write_text(key, "FAKE-PRIVATE-KEY\n");
    auto r = s.sh("cat " + key.string(), deny_read(key));
    if (under_seccomp()) {
        // Landlock cannot take a path back out of "/": airlock refuses to run at all.
        require_refused_by_sandbox(r, key.string());
        CHECK_FALSE(contains(field(r, "stdout"), "FAKE-PRIVATE-KEY"));
        auto ok = s.sh("cat " + key.string());
        CHECK(field(ok, "stdout") == "FAKE-PRIVATE-KEY\n");
        return;
    }
    require_sandboxed(r);
    CHECK_FALSE(contains(field(r, "stdout"), "FAKE-PRIVATE-KEY"));
    CHECK(result(r)["sandbox"]["effective"]["filesystem"]["hidden"].dump().find(key.string()) !=
          std::string::npos);
    CHECK(read_text(key) == "FAKE-PRIVATE-KEY\n");  // the host copy is untouched
    // Positive control: without deny_read the same command reads it.
    auto ok = s.sh("cat " + key.string());
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "FAKE-PRIVATE-KEY\n");
}

TEST_CASE("deny_read hides a secret directory (~/.ssh), by any path to it") {
    Scenario s;
    const fs::path dir = s.outside() / "secrets" / ".ssh";
    write_text(dir / "id_rsa", "FAKE-PRIVATE-KEY\n");
    fs::create_directory_symlink(dir, s.ws() / "keys");
    const std::string attack = "ls " + dir.string() + "; cat " + (dir / "id_rsa").string() +
                               " keys/id_rsa /proc/self/root" + (dir / "id_rsa").string();
    auto r = s.sh(attack, deny_read(dir));
    if (under_seccomp()) {
        require_refused_by_sandbox(r, dir.string());
    } else {
        require_sandboxed(r);
    }
    CHECK(r.exit_code != 0);
    CHECK_FALSE(contains(field(r, "stdout"), "FAKE-PRIVATE-KEY"));
    CHECK_FALSE(contains(field(r, "stdout"), "id_rsa"));
    auto ok = s.sh(attack);
    CHECK(ok.exit_code == 0);
    CHECK(contains(field(ok, "stdout"), "id_rsa\nFAKE-PRIVATE-KEY\n"));
}

TEST_CASE("deny_read: a hidden directory cannot be written into either") {
    Scenario s;
    const fs::path dir = s.ws() / "secrets";
    write_text(dir / "token", "FAKE-TOKEN\n");
    auto r = s.sh("echo planted > secrets/new; cat secrets/token", deny_read(dir));
    if (under_seccomp()) require_refused_by_sandbox(r, dir.string());
    CHECK(r.exit_code != 0);
    CHECK_FALSE(contains(field(r, "stdout"), "FAKE-TOKEN"));
    CHECK_FALSE(fs::exists(dir / "new"));
    CHECK(read_text(dir / "token") == "FAKE-TOKEN\n");
    auto ok = s.sh("echo planted > secrets/new; cat secrets/token");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "FAKE-TOKEN\n");
}
