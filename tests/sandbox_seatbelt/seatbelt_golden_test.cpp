// Generated seatbelt profiles and sandbox-exec command lines, compared byte for byte with the
// checked-in golden files. A difference writes the actual output next to the build for review.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "seatbelt_cases.hpp"

using namespace airlock;
using namespace airlock::test;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// params and argv as JSON (so a newline in a path stays visible); the profile text in argv is
// shown as a marker, it has its own golden file.
std::string dump_invocation(const sandbox::SeatbeltInvocation& inv) {
    nlohmann::json params = nlohmann::json::array();
    for (const auto& [name, value] : inv.params)
        params.push_back({name, value});
    nlohmann::json argv = nlohmann::json::array();
    for (const auto& arg : inv.argv)
        argv.push_back(arg == inv.profile_text ? "<profile_text>" : arg);
    return nlohmann::json{{"params", params}, {"argv", argv}}.dump(2) + "\n";
}

void check_golden(const std::string& file, const std::string& actual) {
    const std::string expected = read_file(std::string(AIRLOCK_GOLDEN_DIR) + "/" + file);
    if (actual != expected) {
        const std::string actual_path = std::string(AIRLOCK_ACTUAL_DIR) + "/" + file;
        std::ofstream(actual_path, std::ios::binary) << actual;
        FAIL_CHECK("differs from golden/" << file << "; actual written to " << actual_path);
    }
}

}  // namespace

TEST_CASE("profile text and argv match the golden files") {
    for (const auto& c : all_cases()) {
        INFO("case ", c.name);
        auto inv = sandbox::seatbelt_invocation(c.profile, c.command, c.is_directory());
        REQUIRE_MESSAGE(inv.ok(), inv.error().describe());
        check_golden(c.name + ".sb", inv->profile_text);
        check_golden(c.name + ".argv.json", dump_invocation(*inv));
    }
}
