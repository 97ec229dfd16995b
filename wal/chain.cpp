#include "wal/chain.hpp"

namespace airlock::wal {

ChainChecker::ChainChecker(std::optional<std::string> expected_run_id)
    : expected_run_id_(std::move(expected_run_id)), last_hash_(64, '0') {}

std::optional<ChainBreak> ChainChecker::add(const Record& r) {
    const std::uint64_t expected = records_ + 1;
    auto broken = [&](std::string reason) {
        return ChainBreak{r.line, expected, std::move(reason)};
    };
    if (ended_ && r.type != "run_resumed")
        return broken("a record other than run_resumed follows the run's final record");
    if (r.seq != expected)
        return broken("seq is " + std::to_string(r.seq) + " where " + std::to_string(expected) +
                      " was expected: a record is missing, added or out of order");
    if (records_ == 0) {
        if (r.type != "run_started")
            return broken("the first record is \"" + r.type + "\", not run_started");
        if (expected_run_id_ && r.run_id != *expected_run_id_)
            return broken("run_id \"" + r.run_id + "\" is not the run's own \"" +
                          *expected_run_id_ + "\"");
        run_id_ = r.run_id;
    } else if (r.run_id != run_id_) {
        return broken("run_id \"" + r.run_id + "\" differs from the run's \"" + run_id_ + "\"");
    }
    if (r.prev != last_hash_)
        return broken(records_ == 0
                          ? "prev of the first record is not 64 zeros"
                          : "prev is not the sha256 of line " + std::to_string(r.line - 1) +
                                ": that line was altered, or records were removed or reordered");
    if (records_ > 0 && r.type == "run_started") return broken("a second run_started record");
    last_hash_ = r.hash;
    ++records_;
    ended_ = is_final_type(r.type);
    if (ended_) final_type_ = r.type;
    return std::nullopt;
}

bool ChainChecker::resume_after(const Record& r) {
    if (expected_run_id_ && r.run_id != *expected_run_id_) return false;
    run_id_ = r.run_id;
    last_hash_ = r.hash;
    records_ = r.seq;
    ended_ = is_final_type(r.type);
    final_type_ = ended_ ? r.type : std::string();
    return true;
}

}  // namespace airlock::wal
