// The WAL reader and verifier on arbitrary bytes.
// The first byte picks a mode; with its low bit set, every line that is a JSON object has its
// "seq" and "prev" rewritten to link correctly, so that mutations reach the checks behind the
// hash chain (run ids, record order, final records) instead of stopping at the first prev.
// Invariants: nothing throws or crashes; the verdict agrees with what the verification holds
// (tampered <=> a break, truncated <=> a torn line, intact => a final record); each record's
// hash is the sha256 of its line; reading the log in two pieces, as `wal follow` does while
// the log grows, gives the same records and the same verdict at the same line as reading it
// whole.
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_target.hpp"
#include "platform/sha256.hpp"
#include "platform/unique_fd.hpp"
#include "wal/verify.hpp"

namespace {

using namespace airlock::wal;
using ojson = nlohmann::ordered_json;

std::string relink(const std::string& log) {
    std::string out;
    std::string prev(64, '0');
    std::uint64_t seq = 0;
    std::size_t start = 0;
    while (start < log.size()) {
        std::size_t nl = log.find('\n', start);
        const bool has_newline = nl != std::string::npos;
        if (!has_newline) nl = log.size();
        std::string line = log.substr(start, nl - start);
        ojson j = ojson::parse(line, nullptr, false);
        if (j.is_object()) {
            if (j.contains("seq")) j["seq"] = ++seq;
            if (j.contains("prev")) j["prev"] = prev;
            line = j.dump(-1, ' ', false, ojson::error_handler_t::replace);
        }
        prev = airlock::sha256_hex(line);
        out += line;
        if (has_newline) out += '\n';
        start = nl + 1;
    }
    return out;
}

// One in-memory file, rewritten for every input; read through its /proc/self/fd path.
struct MemoryFile {
    airlock::UniqueFd fd{memfd_create("fuzz-wal", MFD_CLOEXEC)};
    std::string path = "/proc/self/fd/" + std::to_string(fd.get());

    void write_all(const std::string& bytes, bool truncate) {
        if (truncate) FUZZ_CHECK(ftruncate(fd.get(), 0) == 0);
        const off_t end = lseek(fd.get(), 0, SEEK_END);
        FUZZ_CHECK(end >= 0);
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = pwrite(fd.get(), bytes.data() + done, bytes.size() - done,
                                     end + static_cast<off_t>(done));
            FUZZ_CHECK(n > 0);
            done += static_cast<std::size_t>(n);
        }
    }
};

void check_consistent(const Verification& v) {
    FUZZ_CHECK((v.verdict == Verdict::tampered) == v.broken.has_value());
    FUZZ_CHECK((v.verdict == Verdict::truncated) == v.torn.has_value());
    if (v.verdict == Verdict::intact) {
        FUZZ_CHECK(is_final_type(v.final_type));
        FUZZ_CHECK(v.records >= 2);  // run_started, then the final record
    }
    if (v.broken) FUZZ_CHECK(v.broken->seq == v.records + 1 && !v.broken->reason.empty());
    FUZZ_CHECK(!describe(v).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const bool relinked = (data[0] & 1) != 0;
    std::string log(airlock::fuzz::as_text(data + 1, size - 1));
    if (relinked) log = relink(log);

    // Every line on its own.
    std::size_t start = 0;
    for (std::size_t nl; (nl = log.find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string line = log.substr(start, nl - start);
        auto parsed = parse_record(line);
        if (const auto* r = std::get_if<Record>(&parsed)) {
            FUZZ_CHECK(r->hash == airlock::sha256_hex(line));
            FUZZ_CHECK(parse_record_time(r->ts).has_value());
        } else {
            FUZZ_CHECK(!std::get<LineFault>(parsed).reason.empty());
        }
    }

    static MemoryFile file;
    FUZZ_CHECK(file.fd.get() >= 0);

    // The whole log at once.
    file.write_all(log, true);
    auto whole = read_log(file.path);
    FUZZ_CHECK(whole.ok());
    check_consistent(whole->verification);
    FUZZ_CHECK(whole->records.size() == whole->verification.records);

    // The same log in two pieces.
    const std::size_t cut = log.size() * (data[0] >> 1) / 127;  // the rest of the first byte
    file.write_all(log.substr(0, cut), true);
    auto reader = LogReader::open(file.path);
    FUZZ_CHECK(reader.ok());
    auto first = reader->read_more();
    FUZZ_CHECK(first.ok());
    file.write_all(log.substr(cut), false);
    auto second = reader->read_more();
    FUZZ_CHECK(second.ok());
    std::vector<Record> records = std::move(*first);
    for (auto& r : *second)
        records.push_back(std::move(r));
    const Verification pieces = verify(*reader);
    // The same verdict at the same place. The wording of a break may differ: a line that is
    // not JSON is "followed by more bytes" when the next line was still being written, "by
    // more lines" when it was complete (regressions/wal/crash-77ecf5d8...).
    const Verification& all = whole->verification;
    FUZZ_CHECK(pieces.verdict == all.verdict && pieces.records == all.records);
    FUZZ_CHECK(pieces.run_id == all.run_id && pieces.final_type == all.final_type);
    FUZZ_CHECK(pieces.broken.has_value() == all.broken.has_value());
    if (all.broken)
        FUZZ_CHECK(pieces.broken->line == all.broken->line &&
                   pieces.broken->seq == all.broken->seq);
    FUZZ_CHECK(pieces.torn.has_value() == all.torn.has_value());
    if (all.torn)
        FUZZ_CHECK(pieces.torn->line == all.torn->line && pieces.torn->bytes == all.torn->bytes &&
                   pieces.torn->reason == all.torn->reason);
    FUZZ_CHECK(records.size() == whole->records.size());
    for (std::size_t i = 0; i < records.size(); ++i)
        FUZZ_CHECK(records[i].hash == whole->records[i].hash &&
                   records[i].line == whole->records[i].line);
    return 0;
}
