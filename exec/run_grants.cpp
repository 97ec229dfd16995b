#include "exec/run_grants.hpp"

namespace airlock::exec {

void RunGrants::observe(const wal::Record& r) {
    if (r.type != "grant_issued" && r.type != "grant_redeemed") return;
    const auto key = r.data.find("key");
    if (key == r.data.end() || !key->is_string()) return;
    auto& calls = open_[key->get<std::string>()];
    if (r.type == "grant_issued") {
        calls.push_back(r.call_id);
    } else if (!calls.empty()) {
        calls.erase(calls.begin());
    }
}

bool RunGrants::is_open(const std::string& key) const {
    const auto it = open_.find(key);
    return it != open_.end() && !it->second.empty();
}

std::string RunGrants::decided_by(const std::string& key) const {
    const auto it = open_.find(key);
    return it == open_.end() || it->second.empty() ? std::string() : it->second.front();
}

}  // namespace airlock::exec
