#include "exec/run_grants.hpp"

namespace airlock::exec {

Result<std::optional<std::string>> find_open_grant(const wal::History& history,
                                                   const std::string& key) {
    std::optional<std::string> issued_by;
    std::uint64_t redeemed_later = 0;
    auto read = history.newest_first([&](const wal::Record& r) {
        if (r.type != "grant_issued" && r.type != "grant_redeemed") return true;
        const auto k = r.data.find("key");
        if (k == r.data.end() || !k->is_string() || k->get<std::string>() != key) return true;
        if (r.type == "grant_redeemed") {
            ++redeemed_later;
            return true;
        }
        if (redeemed_later == 0) {
            issued_by = r.call_id;
            return false;
        }
        --redeemed_later;
        return true;
    });
    if (!read) return read.error();
    return issued_by;
}

}  // namespace airlock::exec
