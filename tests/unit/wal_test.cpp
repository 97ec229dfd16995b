#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "platform/redact.hpp"
#include "platform/sha256.hpp"
#include "wal/writer.hpp"

namespace fs = std::filesystem;

TEST_CASE("the WAL writer appends hash-chained, gapless records") {
    std::string tmpl = (fs::temp_directory_path() / "airlock-wal.XXXXXX").string();
    const fs::path ws = ::mkdtemp(tmpl.data());
    {
        auto w = airlock::wal::Writer::create(ws, "run-1");
        REQUIRE(w.ok());
        CHECK(w->append("run_started", "", {{"k", 1}}).ok());
        CHECK(w->append("call_received", "c1", {{"tool", "shell_exec"}}).ok());
        CHECK(w->append("call_finished", "c1", {{"bad_utf8", std::string("\xff\xfe")}}).ok());
        CHECK(w->sync().ok());
        CHECK(w->records() == 3);
        // A second writer for the same run must not clobber it.
        CHECK_FALSE(airlock::wal::Writer::create(ws, "run-1").ok());
    }
    const fs::path file = ws / ".airlock/runs/run-1/events.jsonl";
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);

    std::ifstream in(file);
    std::string prev(64, '0');
    int seq = 0;
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        CHECK(j["v"] == 1);
        CHECK(j["seq"] == ++seq);
        CHECK(j["run_id"] == "run-1");
        CHECK(j["prev"] == prev);
        CHECK(j["ts"].get<std::string>().size() ==
              std::string("2026-01-01T00:00:00.000000Z").size());
        prev = airlock::sha256_hex(line);
    }
    CHECK(seq == 3);
    fs::remove_all(ws);
}

TEST_CASE("run ids are unique and sortable by time") {
    const std::string a = airlock::wal::new_run_id();
    const std::string b = airlock::wal::new_run_id();
    CHECK(a != b);
    CHECK(a.size() == std::string("20261121T103530Z-3f9a1c").size());
}

TEST_CASE("credential-shaped values are redacted before they reach the WAL") {
    using airlock::redact_secrets;
    CHECK(redact_secrets("aws s3 ls --key AKIAIOSFODNN7EXAMPLE now") ==
          "aws s3 ls --key [REDACTED:aws-access-key-id] now");
    CHECK(redact_secrets("GH=ghp_0123456789abcdefghijABCDEFGHIJ012345") ==
          "GH=[REDACTED:github-token]");
    CHECK(redact_secrets(
              "x -----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY----- y") ==
          "x [REDACTED:private-key] y");
    CHECK(redact_secrets("key: sk-ant-api03-abcdefghijklmnopqrstuvwxyz") ==
          "key: [REDACTED:api-key]");
    // Positive controls: ordinary text, short look-alikes and words that merely contain a
    // prefix stay as they are.
    for (const char* keep : {"git status", "AKIA-short", "task-runner --flag",
                             "maskAKIAIOSFODNN7EXAMPLE", "-----BEGIN CERTIFICATE-----"}) {
        CAPTURE(keep);
        CHECK(redact_secrets(keep) == keep);
    }

    std::string tmpl = (fs::temp_directory_path() / "airlock-wal.XXXXXX").string();
    const fs::path ws = ::mkdtemp(tmpl.data());
    {
        auto w = airlock::wal::Writer::create(ws, "run-r");
        REQUIRE(w.ok());
        CHECK(w->append("call_received", "c1",
                        {{"argv", {"aws", "--key", "AKIAIOSFODNN7EXAMPLE"}}, {"n", 1}})
                  .ok());
    }
    std::ifstream in(ws / ".airlock/runs/run-r/events.jsonl");
    std::string line;
    std::getline(in, line);
    CHECK(line.find("AKIAIOSFODNN7EXAMPLE") == std::string::npos);
    CHECK(line.find("[REDACTED:aws-access-key-id]") != std::string::npos);
    fs::remove_all(ws);
}

TEST_CASE("concurrent appends and syncs keep one gapless chain") {
    std::string tmpl = (fs::temp_directory_path() / "airlock-wal.XXXXXX").string();
    const fs::path ws = ::mkdtemp(tmpl.data());
    {
        auto w = airlock::wal::Writer::create(ws, "run-c");
        REQUIRE(w.ok());
        std::vector<std::thread> threads;
        std::atomic<int> failures{0};
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 25; ++i) {
                    if (!w->append("call_finished", "c" + std::to_string(t), {{"i", i}}).ok())
                        ++failures;
                    if (!w->sync().ok()) ++failures;
                }
            });
        }
        for (auto& th : threads)
            th.join();
        CHECK(failures == 0);
        CHECK(w->records() == 200);
    }
    std::ifstream in(ws / ".airlock/runs/run-c/events.jsonl");
    std::string prev(64, '0');
    int seq = 0;
    for (std::string line; std::getline(in, line);) {
        auto j = nlohmann::json::parse(line);
        CHECK(j["seq"] == ++seq);
        CHECK(j["prev"] == prev);
        prev = airlock::sha256_hex(line);
    }
    CHECK(seq == 200);
    fs::remove_all(ws);
}
