// Grants read back from a shared run's tail (exec/run_grants.hpp): open exactly when more were
// issued than redeemed from some grant_issued record on, whatever other keys do in between.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>

#include "exec/run_grants.hpp"
#include "wal/writer.hpp"

namespace {

namespace fs = std::filesystem;
using airlock::Result;
using airlock::exec::find_open_grant;

struct Run {
    fs::path dir;
    std::optional<airlock::wal::Writer> writer;
    Run() {
        std::string tmpl = (fs::temp_directory_path() / "airlock-grants.XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        dir = tmpl;
        auto w = airlock::wal::Writer::open_shared(dir, "agent-run");
        REQUIRE(w.ok());
        writer.emplace(std::move(w).value());
        REQUIRE(writer->append_opening({{"pid", 1}}).ok());
    }
    ~Run() { fs::remove_all(dir); }
    void add(const char* type, const char* call, const char* key) {
        REQUIRE(writer->append(type, call, {{"key", key}}).ok());
    }
    // The open grant for `key` as a redeemer sees it (nothing is appended).
    std::optional<std::string> open(const std::string& key) {
        std::optional<std::string> found;
        auto looked = writer->append_if(
            [&](const airlock::wal::History& h) -> Result<std::optional<nlohmann::json>> {
                auto f = find_open_grant(h, key);
                if (!f) return f.error();
                found = *f;
                return std::optional<nlohmann::json>();
            },
            "never_written", "");
        REQUIRE(looked.ok());
        return found;
    }
};

}  // namespace

TEST_CASE("find_open_grant: issued and not yet redeemed, counted back from the tail") {
    Run run;
    CHECK_FALSE(run.open("k"));  // never issued
    run.add("grant_issued", "h1", "k");
    CHECK(run.open("k") == "h1");
    run.add("grant_redeemed", "x1", "k");
    CHECK_FALSE(run.open("k"));  // used once
    run.add("grant_issued", "h2", "other");
    run.add("grant_issued", "h3", "k");
    run.add("grant_issued", "h4", "k");
    run.add("grant_redeemed", "x2", "other");
    CHECK(run.open("other") == std::nullopt);
    CHECK(run.open("k") == "h4");  // two open: the newest answers
    run.add("grant_redeemed", "x3", "k");
    CHECK(run.open("k") == "h3");  // one left, issued before the redemption
    run.add("grant_redeemed", "x4", "k");
    CHECK_FALSE(run.open("k"));
}
