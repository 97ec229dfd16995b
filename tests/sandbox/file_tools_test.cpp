// `airlock write` and `airlock read` run in airlock itself (no sandbox): their path checks
// are the wall. Escapes by .., absolute paths and symlinks swapped in before the call.
#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

Ran write_file(Scenario& s, const std::string& path, const std::string& content) {
    return s.airlock({"write", "--json", "--no-builtin-policy", "--policy",
                      (s.outside() / "allow.json").string(), path},
                     content);
}

Ran read_file(Scenario& s, const std::string& path) {
    return s.airlock({"read", "--json", "--no-builtin-policy", "--policy",
                      (s.outside() / "allow.json").string(), path});
}

void allow_policy(Scenario& s) {
    write_text(s.outside() / "allow.json", allow_all_policy(""));
}

}  // namespace

TEST_CASE("airlock write: .. and absolute paths out of the workspace are refused") {
    Scenario s;
    allow_policy(s);
    for (const std::string& path : std::vector<std::string>{
             "../escaped.txt", "sub/../../escaped.txt", (s.outside() / "escaped.txt").string(),
             "/proc/self/root" + (s.outside() / "escaped.txt").string()}) {
        CAPTURE(path);
        auto r = write_file(s, path, "payload");
        CHECK(r.exit_code == 126);
        CHECK(field(r, "status") == "invalid");
    }
    CHECK_FALSE(fs::exists(s.outside() / "escaped.txt"));
    // Positive control: the same name inside the workspace, through a .. that stays inside.
    CHECK(write_file(s, "sub/../inside.txt", "payload").exit_code == 0);
    CHECK(read_text(s.ws() / "inside.txt") == "payload");
}

TEST_CASE("airlock write: a directory swapped for a symlink to outside is refused") {
    Scenario s;
    allow_policy(s);
    fs::create_directories(s.ws() / "out");
    // Positive control first: the real directory takes the write.
    CHECK(write_file(s, "out/file.txt", "first").exit_code == 0);
    // The swap: between calls, the directory becomes a symlink leading out of the workspace.
    fs::remove_all(s.ws() / "out");
    fs::create_directories(s.outside() / "target");
    fs::create_directory_symlink(s.outside() / "target", s.ws() / "out");
    auto r = write_file(s, "out/file.txt", "second");
    CHECK(r.exit_code == 126);
    CHECK_FALSE(fs::exists(s.outside() / "target" / "file.txt"));
}

TEST_CASE("airlock write: a file swapped for a symlink to a host file is refused") {
    Scenario s;
    allow_policy(s);
    CHECK(write_file(s, "notes.txt", "first").exit_code == 0);  // positive control
    const fs::path host = s.outside() / "host.txt";
    write_text(host, "original\n");
    fs::remove(s.ws() / "notes.txt");
    fs::create_symlink(host, s.ws() / "notes.txt");
    auto r = write_file(s, "notes.txt", "overwritten");
    CHECK(r.exit_code != 0);
    CHECK(read_text(host) == "original\n");
}

TEST_CASE("airlock read: a secret outside the workspace cannot be read by any path") {
    Scenario s;
    allow_policy(s);
    const fs::path key = s.home() / ".ssh" / "id_rsa";
    write_text(key, "FAKE-PRIVATE-KEY\n");
    fs::create_symlink(key, s.ws() / "key-link");
    fs::create_directory_symlink(s.home() / ".ssh", s.ws() / "ssh-link");
    for (const std::string& path : std::vector<std::string>{"../home/.ssh/id_rsa", key.string(),
                                                            "key-link", "ssh-link/id_rsa"}) {
        CAPTURE(path);
        auto r = read_file(s, path);
        CHECK(r.exit_code != 0);
        CHECK_FALSE(contains(r.out, "FAKE-PRIVATE-KEY"));
    }
    // Positive control: a workspace file of the same content is read.
    write_text(s.ws() / "copy", "FAKE-PRIVATE-KEY\n");
    auto ok = read_file(s, "copy");
    CHECK(ok.exit_code == 0);
    CHECK(field(ok, "stdout") == "FAKE-PRIVATE-KEY\n");
}
