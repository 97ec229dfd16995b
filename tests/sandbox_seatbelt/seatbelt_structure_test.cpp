// Properties every generated seatbelt profile must have, whatever the golden files say:
// well-formed SBPL, paths only as parameters, the rules in the right places, bad input refused.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "sandbox/profile.hpp"
#include "sbpl_syntax.hpp"
#include "seatbelt_cases.hpp"

using namespace airlock;
using namespace airlock::test;
namespace fs = std::filesystem;

namespace {

sandbox::SeatbeltInvocation generate(const SeatbeltCase& c) {
    auto inv = sandbox::seatbelt_invocation(c.profile, c.command, c.is_directory());
    REQUIRE_MESSAGE(inv.ok(), inv.error().describe());
    return *inv;
}

std::vector<std::string> values_named(const sandbox::SeatbeltInvocation& inv,
                                      const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& [name, value] : inv.params)
        if (name.rfind(prefix, 0) == 0) out.push_back(value);
    return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1))
        ++n;
    return n;
}

std::string refusal(const sandbox::Profile& profile,
                    const std::vector<std::string>& command = {"true"}) {
    auto inv = sandbox::seatbelt_invocation(profile, command, [](const fs::path&) { return true; });
    REQUIRE_FALSE(inv.ok());
    CHECK(inv.error().stage == "sandbox");
    return inv.error().message;
}

bool is_fixed_constant(const std::string& s) {
    for (const char* prefix : {"/dev/", "^/dev/", "com.apple.", "hw.", "kern.", "sysctl."})
        if (s.rfind(prefix, 0) == 0) return true;
    return false;
}

}  // namespace

TEST_CASE("every profile is well-formed SBPL that starts (version 1) (deny default)") {
    for (const auto& c : all_cases()) {
        INFO("case ", c.name);
        const auto inv = generate(c);
        const auto scan = scan_sbpl(inv.profile_text);
        REQUIRE_MESSAGE(scan.error.empty(), scan.error);
        REQUIRE(scan.top_level.size() >= 2);
        CHECK(scan.top_level[0] == "(version 1)");
        CHECK(scan.top_level[1] == "(deny default)");
        CHECK(inv.profile_text.rfind("(version 1)\n(deny default)\n", 0) == 0);
    }
}

TEST_CASE("the syntax checker rejects broken SBPL (positive control for the checks)") {
    CHECK(scan_sbpl("(version 1)").error.empty());
    CHECK_FALSE(scan_sbpl("(allow file-read* (subpath \"/a\")").error.empty());
    CHECK_FALSE(scan_sbpl("(allow file-read*))").error.empty());
    CHECK_FALSE(scan_sbpl("(allow file-read* (subpath \"/a))").error.empty());
    CHECK_FALSE(scan_sbpl("(version 1) stray").error.empty());
    // A path spliced into the text adds literals and forms: what the checks below look for.
    const auto spliced =
        scan_sbpl("(deny file-read* (subpath \"/x\") (allow file-read*) (subpath \"y\"))");
    CHECK(spliced.error.empty());
    CHECK(spliced.strings.size() == 2);
    const auto refs = scan_sbpl("(allow file-write* (subpath (param \"A_0\")) (literal \"B\"))");
    CHECK(refs.param_refs == std::vector<std::string>{"A_0"});
}

TEST_CASE("no path appears in the profile text, every path is a parameter the text uses") {
    for (const auto& c : all_cases()) {
        INFO("case ", c.name);
        const auto inv = generate(c);
        const auto scan = scan_sbpl(inv.profile_text);
        REQUIRE(scan.error.empty());
        std::set<std::string> names;
        for (const auto& param : inv.params) {
            // Named references, not structured bindings: INFO captures them in a lambda,
            // which clang 14 does not allow for bindings.
            const auto& name = param.first;
            const auto& value = param.second;
            INFO("parameter ", name, " = ", value);
            CHECK(std::regex_match(name, std::regex("[A-Z_]+_[0-9]+")));
            CHECK(names.insert(name).second);
            CHECK(inv.profile_text.find(value) == std::string::npos);
            CHECK(std::count(scan.param_refs.begin(), scan.param_refs.end(), name) > 0);
        }
        for (const auto& ref : scan.param_refs)
            CHECK(names.count(ref) == 1);
        // The profile's string literals are parameter names and fixed constants only.
        for (const auto& s : scan.strings) {
            INFO("string literal ", s);
            CHECK((names.count(s) == 1 || is_fixed_constant(s)));
        }
    }
}

TEST_CASE("a nasty path changes the parameters, never the profile text") {
    const SeatbeltCase nasty = nasty_case();
    // The same shape with harmless paths: same lists, same lengths, same nesting.
    SeatbeltCase clean{"clean", base_profile("/Users/dev/clean"), {}, nasty.command};
    clean.profile.writable.push_back("/Volumes/ab");
    clean.profile.hidden = {"/Users/dev/.sshx"};
    clean.profile.read_only.push_back("/Users/dev/clean/x");
    clean.directories = {"/Users/dev/.sshx"};

    const auto a = generate(nasty);
    const auto b = generate(clean);
    CHECK(a.profile_text == b.profile_text);
    REQUIRE(a.params.size() == b.params.size());
    for (std::size_t i = 0; i < a.params.size(); ++i)
        CHECK(a.params[i].first == b.params[i].first);
    // ... and the nasty values reach sandbox-exec unchanged, newline and quotes included.
    CHECK(values_named(a, "WRITABLE_ROOT_") ==
          std::vector<std::string>{nasty.profile.workspace.string(), "/Volumes/a\\\"b)\""});
    CHECK(std::find(a.argv.begin(), a.argv.end(),
                    "WRITABLE_ROOT_0=" + nasty.profile.workspace.string()) != a.argv.end());
}

TEST_CASE("argv is sandbox-exec by absolute path, -p, -D pairs in order, --, the command") {
    const auto c = deny_read_case();
    const auto inv = generate(c);
    REQUIRE(inv.argv.size() == 3 + 2 * inv.params.size() + 1 + c.command.size());
    CHECK(inv.argv[0] == "/usr/bin/sandbox-exec");
    CHECK(inv.argv[1] == "-p");
    CHECK(inv.argv[2] == inv.profile_text);
    for (std::size_t i = 0; i < inv.params.size(); ++i) {
        CHECK(inv.argv[3 + 2 * i] == "-D");
        CHECK(inv.argv[4 + 2 * i] == inv.params[i].first + "=" + inv.params[i].second);
    }
    const auto dashes = 3 + 2 * inv.params.size();
    CHECK(inv.argv[dashes] == "--");
    CHECK(std::equal(c.command.begin(), c.command.end(),
                     inv.argv.begin() + static_cast<std::ptrdiff_t>(dashes) + 1));
}

TEST_CASE("network is denied unless the profile allows it") {
    const auto off = generate(minimal_case());
    CHECK(off.profile_text.find("(allow network") == std::string::npos);
    CHECK(off.profile_text.find("com.apple.SystemConfiguration.DNSConfiguration") ==
          std::string::npos);
    const auto on = generate(network_case());
    CHECK(count_of(on.profile_text, "(allow network*)") == 1);
}

TEST_CASE("protected paths are excluded from writes in every writable root") {
    const auto inv = generate(protected_case());
    const auto roots = values_named(inv, "WRITABLE_ROOT_");
    CHECK(roots == std::vector<std::string>{"/Users/dev/project", "/Users/dev/.cache/tool"});
    const auto prot = values_named(inv, "PROTECTED_");
    CHECK(prot ==
          std::vector<std::string>{"/Users/dev/project/.airlock", "/Users/dev/project/.git/hooks",
                                   "/Users/dev/.cache/tool/.git", "/Users/dev/project/.vscode"});
    CHECK(count_of(inv.profile_text, "(allow file-write*") == roots.size());
    for (std::size_t i = 0; i < prot.size(); ++i)
        CHECK(count_of(inv.profile_text, "(require-not (subpath (param \"PROTECTED_" +
                                             std::to_string(i) + "\")))") == roots.size());
}

TEST_CASE("ancestors of protected and hidden paths inside writable roots cannot be unlinked") {
    const auto prot = generate(protected_case());
    CHECK(values_named(prot, "ANCESTOR_") == std::vector<std::string>{"/Users/dev/project",
                                                                      "/Users/dev/project/.git",
                                                                      "/Users/dev/.cache/tool"});
    const auto hidden = generate(deny_read_case());
    // /Users/dev (above ~/.ssh) is not writable anyway: no rule for it.
    CHECK(values_named(hidden, "ANCESTOR_") ==
          std::vector<std::string>{"/Users/dev/project", "/Users/dev/project/config"});
    const auto& text = hidden.profile_text;
    const auto unlink = text.find("(deny file-write-unlink");
    REQUIRE(unlink != std::string::npos);
    CHECK(text.find("(literal (param \"ANCESTOR_1\"))", unlink) != std::string::npos);
    // The last matching rule wins in SBPL: the denial must follow every write allowance.
    CHECK(unlink > text.rfind("(allow file-write"));
}

TEST_CASE(
    "deny-read: subpath for directories, literal for files, after the read allowance, "
    "and not writable either") {
    const auto inv = generate(deny_read_case());
    CHECK(values_named(inv, "DENY_READ_") ==
          std::vector<std::string>{"/Users/dev/.ssh", "/Users/dev/project/.env",
                                   "/Users/dev/project/config/secrets"});
    const auto& t = inv.profile_text;
    const auto allow_read = t.find("(allow file-read*)");
    REQUIRE(allow_read != std::string::npos);
    const auto d0 = t.find("(deny file-read* (subpath (param \"DENY_READ_0\")))");
    const auto d1 = t.find("(deny file-read* (literal (param \"DENY_READ_1\")))");
    const auto d2 = t.find("(deny file-read* (subpath (param \"DENY_READ_2\")))");
    REQUIRE(d0 != std::string::npos);
    REQUIRE(d1 != std::string::npos);
    REQUIRE(d2 != std::string::npos);
    CHECK(std::min({d0, d1, d2}) > allow_read);
    CHECK(count_of(t, "(require-not (literal (param \"DENY_READ_1\")))") == 1);
    CHECK(count_of(t, "(require-not (subpath (param \"DENY_READ_0\")))") == 1);
}

TEST_CASE("the workspace's .airlock is protected even when the profile does not list it") {
    auto c = minimal_case();
    c.profile.read_only.clear();
    const auto inv = generate(c);
    CHECK(values_named(inv, "PROTECTED_") ==
          std::vector<std::string>{"/Users/dev/project/.airlock"});
}

TEST_CASE("duplicates collapse into one parameter and names follow list positions") {
    auto c = protected_case();
    c.profile.writable.push_back("/Users/dev/project");
    c.profile.blocked.push_back("/Users/dev/project/.git/hooks");
    const auto a = generate(c);
    const auto b = generate(protected_case());
    CHECK(a.params == b.params);
    CHECK(a.profile_text == b.profile_text);
}

TEST_CASE("bad profiles and commands are refused with a message naming what is wrong") {
    CHECK(refusal(minimal_case().profile, {}).find("command is empty") != std::string::npos);

    auto bwrap = minimal_case().profile;
    bwrap.adapter = sandbox::Adapter::bwrap;
    CHECK(refusal(bwrap).find("\"bwrap\"") != std::string::npos);

    auto relative = minimal_case().profile;
    relative.writable.push_back("build");
    CHECK(refusal(relative).find("writable root \"build\" is not an absolute path") !=
          std::string::npos);

    auto dotdot = minimal_case().profile;
    dotdot.hidden.push_back("/Users/dev/project/../.ssh");
    CHECK(refusal(dotdot).find("deny-read path \"/Users/dev/project/../.ssh\"") !=
          std::string::npos);

    auto trailing = minimal_case().profile;
    trailing.read_only.push_back("/Users/dev/project/.git/");
    CHECK(refusal(trailing).find("protected path") != std::string::npos);

    auto root = minimal_case().profile;
    root.writable.push_back("/");
    CHECK(refusal(root).find("root directory") != std::string::npos);

    auto no_workspace = minimal_case().profile;
    no_workspace.workspace.clear();
    CHECK(refusal(no_workspace).find("workspace is empty") != std::string::npos);

    auto nul = minimal_case().profile;
    nul.hidden.push_back(std::string("/Users/dev/a\0b", 14));
    CHECK(refusal(nul).find("NUL") != std::string::npos);

    // Positive control: the unmodified profile is accepted.
    CHECK(sandbox::seatbelt_invocation(minimal_case().profile, {"true"}).ok());
}

TEST_CASE("a profile from build_profile on a real workspace generates, classifying by the disk") {
    // Not under /tmp: build_profile drops deny-read paths there (bwrap's /tmp is private).
    const fs::path ws =
        fs::canonical(AIRLOCK_ACTUAL_DIR) / ("workspace-" + std::to_string(::getpid()));
    fs::remove_all(ws);
    fs::create_directories(ws / ".git" / "hooks");
    fs::create_directories(ws / "secrets");
    std::ofstream(ws / ".env") << "TOKEN=x\n";

    sandbox::SandboxRequest req;
    req.adapter = "seatbelt";
    req.workspace = ws;
    req.cwd = ws;
    req.protected_paths = {".git/hooks", ".vscode"};
    req.deny_read = {".env", "secrets"};
    auto profile = sandbox::build_profile(req, sandbox::Adapter::seatbelt);
    auto inv = profile.ok() ? sandbox::seatbelt_invocation(*profile, {"/bin/sh", "-c", "true"})
                            : Result<sandbox::SeatbeltInvocation>(profile.error());
    fs::remove_all(ws);
    REQUIRE_MESSAGE(inv.ok(), inv.error().describe());

    CHECK(scan_sbpl(inv->profile_text).error.empty());
    CHECK(values_named(*inv, "DENY_READ_") ==
          std::vector<std::string>{(ws / ".env").string(), (ws / "secrets").string()});
    CHECK(inv->profile_text.find("(deny file-read* (literal (param \"DENY_READ_0\")))") !=
          std::string::npos);
    CHECK(inv->profile_text.find("(deny file-read* (subpath (param \"DENY_READ_1\")))") !=
          std::string::npos);
    const auto prot = values_named(*inv, "PROTECTED_");
    CHECK(std::count(prot.begin(), prot.end(), (ws / ".git/hooks").string()) == 1);
    CHECK(std::count(prot.begin(), prot.end(), (ws / ".vscode").string()) == 1);
    CHECK(std::count(prot.begin(), prot.end(), (ws / ".airlock").string()) == 1);
    CHECK(values_named(*inv, "ANCESTOR_") ==
          std::vector<std::string>{ws.string(), (ws / ".git").string()});
}
