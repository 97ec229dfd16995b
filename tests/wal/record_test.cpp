// One line, parsed strictly: the reader accepts exactly what the writer writes.
#include <doctest/doctest.h>

#include "platform/sha256.hpp"
#include "wal/record.hpp"
#include "wal_files.hpp"

namespace fs = std::filesystem;
using airlock::test::lines_of;
using airlock::test::TempDir;
using airlock::test::write_run;
using airlock::wal::LineFault;
using airlock::wal::parse_record;
using airlock::wal::parse_record_time;
using airlock::wal::Record;
using nlohmann::ordered_json;

namespace {

// A real first line, as JSON, for variations.
ordered_json real_first_line(const TempDir& dir) {
    const auto lines = lines_of(write_run(dir.path(), "run-r", 0));
    REQUIRE(!lines.empty());
    return ordered_json::parse(lines.front());
}

std::string fault_of(const std::string& line) {
    auto parsed = parse_record(line);
    REQUIRE(std::holds_alternative<LineFault>(parsed));
    return std::get<LineFault>(parsed).reason;
}

}  // namespace

TEST_CASE("a line the writer wrote parses into its fields") {
    TempDir dir;
    const auto lines = lines_of(write_run(dir.path(), "run-r", 1));
    auto parsed = parse_record(lines[2]);
    REQUIRE(std::holds_alternative<Record>(parsed));
    const Record& r = std::get<Record>(parsed);
    CHECK(r.v == 1);
    CHECK(r.seq == 3);
    CHECK(r.run_id == "run-r");
    CHECK(r.type == "call_received");
    CHECK(r.call_id == "c1");
    CHECK(r.data["argv"][1] == "call c1");
    CHECK(r.prev.size() == 64);
    CHECK(r.hash == airlock::sha256_hex(lines[2]));
    CHECK(parse_record_time(r.ts).has_value());
}

TEST_CASE("every field must be there, with its type, and nothing else") {
    TempDir dir;
    const ordered_json good = real_first_line(dir);
    REQUIRE(std::holds_alternative<Record>(parse_record(good.dump())));  // positive control

    for (const char* field : {"v", "seq", "ts", "run_id", "type", "call_id", "data", "prev"}) {
        ordered_json j = good;
        j.erase(field);
        CHECK(fault_of(j.dump()) == std::string("field \"") + field + "\" is missing");
    }
    auto with = [&](const char* field, ordered_json value) {
        ordered_json j = good;
        j[field] = std::move(value);
        return fault_of(j.dump());
    };
    CHECK(with("extra", 1) == "unknown field \"extra\"");
    CHECK(with("v", 2).find("format version 2 is not supported") == 0);
    CHECK(with("v", "1") == "field \"v\" is not an integer");
    CHECK(with("seq", "1") == "field \"seq\" is not a positive integer");
    CHECK(with("seq", 0) == "field \"seq\" is not a positive integer");
    CHECK(with("seq", -1) == "field \"seq\" is not a positive integer");
    CHECK(with("seq", 1.5) == "field \"seq\" is not a positive integer");
    CHECK(with("run_id", 7) == "field \"run_id\" is not a string");
    CHECK(with("run_id", "") == "field \"run_id\" is empty");
    CHECK(with("type", "Run Started") == "field \"type\" is not an event name");
    CHECK(with("call_id", nullptr) == "field \"call_id\" is not a string");
    CHECK(with("data", ordered_json::array()) == "field \"data\" is not an object");
    CHECK(with("prev", std::string(63, '0')) == "field \"prev\" is not 64 lowercase hex digits");
    CHECK(with("prev", std::string(64, 'A')) == "field \"prev\" is not 64 lowercase hex digits");
    CHECK(with("ts", "2026-11-21T10:35:30Z").find("field \"ts\"") == 0);
    CHECK(with("ts", "2026-02-30T10:35:30.000000Z").find("field \"ts\"") == 0);
    CHECK(fault_of("[1,2]") == "the line is JSON but not an object");
}

TEST_CASE("a repeated key is a fault, not a silent choice of one value") {
    TempDir dir;
    const ordered_json good = real_first_line(dir);
    std::string line = good.dump();
    line.insert(line.size() - 1, ",\"type\":\"run_finished\"");
    CHECK(fault_of(line) == "key \"type\" appears twice in one object");
    std::string nested = good.dump();
    const auto at = nested.find("\"host\"");
    REQUIRE(at != std::string::npos);
    nested.insert(at, "\"user\":\"root\",");
    CHECK(fault_of(nested) == "key \"user\" appears twice in one object");
}

TEST_CASE("a line that is not JSON is marked so: only it can be a torn write") {
    TempDir dir;
    const std::string line = real_first_line(dir).dump();
    auto cut = parse_record(line.substr(0, line.size() / 2));
    REQUIRE(std::holds_alternative<LineFault>(cut));
    CHECK(std::get<LineFault>(cut).not_json);
    auto shaped = parse_record("{\"v\":1}");
    REQUIRE(std::holds_alternative<LineFault>(shaped));
    CHECK_FALSE(std::get<LineFault>(shaped).not_json);
}

TEST_CASE("record times are exact UTC microseconds") {
    CHECK(parse_record_time("1970-01-01T00:00:01.000002Z") == 1000002);
    CHECK(parse_record_time("2026-11-21T10:35:30.123456Z") == 1795257330123456LL);
    CHECK_FALSE(parse_record_time("2026-11-21T10:35:30.12345Z"));
    CHECK_FALSE(parse_record_time("2026-11-21 10:35:30.123456Z"));
    CHECK_FALSE(parse_record_time("2026-13-01T00:00:00.000000Z"));
    CHECK_FALSE(parse_record_time("2026-11-21T24:00:00.000000Z"));
    CHECK_FALSE(parse_record_time("2026-11-21T10:35:30.12345xZ"));
}
