// The escape suite keeps its scratch workspaces on the host's real filesystem (not under /tmp,
// which is a private tmpfs inside the sandbox): an escaping write then meets the read-only
// host instead of vanishing into the sandbox's own /tmp, so a refusal is visible as an error.
// AIRLOCK_ESCAPE_ADAPTER (bwrap or seccomp), or the option --escape-adapter=NAME, names the
// adapter under attack; a host without Landlock makes a seccomp run exit 77 (skipped) with the
// reason, never pass.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "tests/support/every_run_tests.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

#include "sandbox/host_identity.hpp"
#include "sandbox/idmap.hpp"
#include "sandbox/landlock.hpp"

namespace {

constexpr int kSkipped = 77;

bool only_listing(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg.find("list") != std::string::npos || arg == "-ltc" || arg == "-h" ||
            arg == "--help")
            return true;
    }
    return false;
}

// 0 when the adapter named by AIRLOCK_ESCAPE_ADAPTER can be attacked here; otherwise the exit
// status (2: bad value, 77: unavailable on this host), after saying why.
int check_adapter() {
    const char* given = std::getenv("AIRLOCK_ESCAPE_ADAPTER");
    const std::string adapter = given != nullptr && *given != '\0' ? given : "bwrap";
    // bwrap is the default adapter: a host where it fails must fail the suite, not skip it.
    if (adapter == "bwrap") return 0;
    if (adapter == "seccomp") {
        const auto landlock = airlock::sandbox::probe_landlock();
        if (landlock.abi < 1) {
            std::cerr << "escape suite (seccomp): SKIPPED: " << landlock.reason << "\n";
            return kSkipped;
        }
        return 0;
    }
    std::cerr << "escape suite: AIRLOCK_ESCAPE_ADAPTER must be bwrap or seccomp, not \"" << adapter
              << "\"\n";
    return 2;
}

// As root, bwrap runs as another host user and needs idmapped mounts of the workspace. A
// filesystem without them makes airlock refuse every call (sandbox_denied, as it must): there
// is nothing to attack, which is reported (exit 77), never passed. The unprivileged runs of the
// suite still attack bwrap there.
int check_idmapped_mounts(const std::string& scratch) {
    const char* given = std::getenv("AIRLOCK_ESCAPE_ADAPTER");
    const bool bwrap = given == nullptr || *given == '\0' || std::string(given) == "bwrap";
    if (::geteuid() != 0 || !bwrap) return 0;
    auto plan = airlock::sandbox::plan_host_identity({scratch});
    if (plan) {
        auto launch = airlock::sandbox::prepare_identity_launch(*plan);
        if (launch) return 0;
        std::cerr << "escape suite (bwrap as root): SKIPPED, not applicable on this host: "
                  << launch.error().describe() << "\n";
    } else {
        std::cerr << "escape suite (bwrap as root): cannot plan the sandbox's identity: "
                  << plan.error().describe() << "\n";
        return 1;
    }
    return kSkipped;
}

}  // namespace

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    // The option wins over the environment (ctest registers each adapter's tests with it).
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const std::string prefix = "--escape-adapter=";
        if (arg.rfind(prefix, 0) == 0)
            ::setenv("AIRLOCK_ESCAPE_ADAPTER", arg.substr(prefix.size()).c_str(), 1);
    }
    // Listing the tests (ctest's discovery) needs no sandbox.
    if (!only_listing(argc, argv)) {
        if (const int rc = check_adapter(); rc != 0) return rc;
    }
    doctest::Context context(argc, argv);
    std::string base = "/var/tmp";
    if (const char* given = std::getenv("AIRLOCK_ESCAPE_SCRATCH")) base = given;
    std::string tmpl = base + "/airlock-escape.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        std::cerr << "escape suite: cannot create a scratch directory under " << base << "\n";
        return 1;
    }
    // As root, the sandbox is another user: it must be able to enter the scratch directory, so
    // that the scenarios meet the sandbox's own protections rather than this mode.
    ::chmod(tmpl.c_str(), 0755);
    if (const int rc = check_idmapped_mounts(tmpl); rc != 0) {
        std::error_code ec;
        fs::remove_all(tmpl, ec);
        return rc;
    }
    ::setenv("TMPDIR", tmpl.c_str(), 1);
    const int rc = context.run();
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    return rc;
}
