// What every escape scenario needs: a scratch workspace, policies written next to it, and
// ways to run a command sandboxed (the attack) or unconfined (a positive control showing the
// same action works on this host when nothing stops it).
#pragma once

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "airlock_runner.hpp"
#include "tests/support/floor_args.hpp"

namespace airlock::escape {

namespace fs = std::filesystem;
using test::process_with_marker_exists;
using test::Ran;
using test::read_text;
using test::write_text;

// Policy fields (a JSON object body without braces, e.g. R"("sandbox": {"network": "on"})").
// Every policy allows every call: the sandbox alone must hold.
inline std::string allow_all_policy(const std::string& fields) {
    std::string body = R"({"version": 1, "default": "allow")";
    if (fields.find("\"env\"") == std::string::npos)
        body += R"(, "env": {"allow": ["PATH", "HOME", "LANG"]})";
    if (!fields.empty()) body += ", " + fields;
    return body + "}";
}

// The adapter under attack: AIRLOCK_ESCAPE_ADAPTER=bwrap (the default) or seccomp. main()
// refuses any other value before a test runs.
inline std::string adapter_under_test() {
    const char* given = std::getenv("AIRLOCK_ESCAPE_ADAPTER");
    return given != nullptr && *given != '\0' ? given : "bwrap";
}
inline bool under_seccomp() {
    return adapter_under_test() == "seccomp";
}

inline const std::string kUnconfined = R"("sandbox": {"adapter": "none", "required": false})";

class Scenario {
  public:
    Scenario() { fs::create_directories(home()); }

    const fs::path& ws() const { return ws_.path(); }
    // A directory on the host outside the workspace (the workspace's parent).
    const fs::path& outside() const { return ws_.outside(); }
    fs::path home() const { return ws_.outside() / "home"; }
    const test::Workspace& workspace() const { return ws_; }

    // `airlock exec --json` under a policy built from `fields`, with the adapter under test
    // (`--sandbox`), unless the fields name an adapter themselves (the unconfined controls).
    Ran exec(const std::vector<std::string>& argv, const std::string& fields = "",
             const std::vector<std::string>& extra_env = {}) {
        const fs::path policy = ws_.outside() / ("policy-" + std::to_string(++policies_) + ".json");
        write_text(policy, allow_all_policy(fields));
        std::vector<std::string> args = {"exec", "--json", "--no-builtin-policy", "--policy",
                                         policy.string()};
        const bool names_adapter = fields.find("\"adapter\"") != std::string::npos;
        if (!names_adapter) {
            args.push_back("--sandbox");
            args.push_back(adapter_under_test());
        }
        // The seccomp adapter cannot enforce the protection floor and refuses calls under it
        // (floor_test.cpp proves that); its other protections are attacked with the floor lifted.
        if (names_adapter ? fields.find("\"adapter\": \"seccomp\"") != std::string::npos
                          : under_seccomp())
            for (const auto& a : test::unprotect_floor_args())
                args.push_back(a);
        args.push_back("--");
        args.insert(args.end(), argv.begin(), argv.end());
        return ws_.airlock(args, "", extra_env);
    }
    Ran sh(const std::string& script, const std::string& fields = "") {
        return exec({"sh", "-c", script}, fields);
    }
    // The same command with no sandbox at all: the positive control for kernel-level refusals.
    Ran unconfined_sh(const std::string& script) { return sh(script, kUnconfined); }
    // The probe runs from a copy next to the workspace: the build directory may be under /tmp,
    // which the sandbox replaces with its own.
    std::string probe_path() const {
        const fs::path copy = outside() / "airlock_escape_probe";
        if (!fs::exists(copy)) fs::copy_file(ESCAPE_PROBE, copy);
        return copy.string();
    }
    Ran probe(const std::vector<std::string>& args, const std::string& fields = "") {
        std::vector<std::string> argv = {probe_path()};
        argv.insert(argv.end(), args.begin(), args.end());
        return exec(argv, fields);
    }
    Ran airlock(const std::vector<std::string>& args, const std::string& stdin_text = "") {
        return ws_.airlock(args, stdin_text);
    }

  private:
    test::Workspace ws_;
    int policies_ = 0;
};

// The parsed result of an `exec --json`; fails the test when airlock printed no JSON.
inline nlohmann::json result(const Ran& ran) {
    INFO("airlock stdout: " << ran.out << "\nairlock stderr: " << ran.err);
    nlohmann::json j;
    REQUIRE_NOTHROW(j = ran.json());
    return j;
}

inline std::string field(const Ran& ran, const char* name) {
    return result(ran)[name].get<std::string>();
}

// The command ran inside the adapter under test (and was not refused before it started).
inline void require_sandboxed(const Ran& ran) {
    const auto j = result(ran);
    INFO("result: " << j.dump());
    REQUIRE(j["sandbox"]["active"] == true);
    REQUIRE(j["sandbox"]["adapter"] == adapter_under_test());
    REQUIRE(j["status"] != "sandbox_denied");
}

// airlock refused to run the command because the policy asks for what the adapter under test
// cannot give; the reason names `what`.
inline void require_refused_by_sandbox(const Ran& ran, const std::string& what) {
    const auto j = result(ran);
    INFO("result: " << j.dump());
    CHECK(ran.exit_code == 126);
    CHECK(j["status"] == "sandbox_denied");
    CHECK(j.dump().find(what) != std::string::npos);
}

// The `sandbox.effective` evidence of a result.
inline nlohmann::json effective(const Ran& ran) {
    return result(ran)["sandbox"]["effective"];
}

// How a refused write outside the writable roots reads in the command's stderr: bwrap's
// read-only bind mounts give EROFS, Landlock gives EACCES.
inline std::string write_refused() {
    return under_seccomp() ? "Permission denied" : "Read-only file system";
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

inline bool running_as_root() {
    return ::geteuid() == 0;
}

}  // namespace airlock::escape
