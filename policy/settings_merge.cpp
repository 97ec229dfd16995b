#include "policy/settings_merge.hpp"

#include <algorithm>
#include <set>

namespace airlock::policy::detail {

namespace {

int adapter_strength(const std::string& a) {
    if (a == "none") return 0;
    if (a == "auto") return 1;
    return 2;  // a concrete adapter
}

// Intersection of the lists set by the layers that set one; nullopt when none did.
std::optional<std::vector<std::string>> intersect(
    const std::vector<Layer>& layers,
    std::optional<std::vector<std::string>> LayerSettings::*member) {
    std::optional<std::set<std::string>> acc;
    for (const auto& l : layers) {
        const auto& v = l.settings.*member;
        if (!v) continue;
        std::set<std::string> here(v->begin(), v->end());
        if (!acc) {
            acc = std::move(here);
            continue;
        }
        std::set<std::string> both;
        std::set_intersection(acc->begin(), acc->end(), here.begin(), here.end(),
                              std::inserter(both, both.begin()));
        acc = std::move(both);
    }
    if (!acc) return std::nullopt;
    return std::vector<std::string>(acc->begin(), acc->end());
}

std::vector<std::string> unite(const std::vector<Layer>& layers,
                               std::optional<std::vector<std::string>> LayerSettings::*member) {
    std::vector<std::string> out;
    for (const auto& l : layers) {
        const auto& v = l.settings.*member;
        if (!v) continue;
        for (const auto& s : *v)
            if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
    return out;
}

template <class T, class U>
void take_min(const std::vector<Layer>& layers, std::optional<U> LayerSettings::*member, T& out) {
    bool set = false;
    for (const auto& l : layers) {
        const auto& v = l.settings.*member;
        if (!v) continue;
        const T value = static_cast<T>(*v);
        out = set ? std::min(out, value) : value;
        set = true;
    }
}

void merge_json(nlohmann::json& into, const nlohmann::json& from, const std::string& path,
                const std::string& layer, const std::string& where,
                std::vector<Finding>& findings) {
    for (const auto& [key, value] : from.items()) {
        const std::string field = path + "." + key;
        if (!into.contains(key)) {
            into[key] = value;
        } else if (into[key].is_object() && value.is_object()) {
            merge_json(into[key], value, field, layer, where, findings);
        } else if (into[key].is_array() && value.is_array()) {
            for (const auto& item : value)
                into[key].push_back(item);
        } else if (into[key] != value) {
            findings.push_back({Finding::Severity::error, "conflict", where, field,
                                "set differently by an earlier layer; layers cannot override "
                                "each other's guard settings (" +
                                    layer + ")"});
        }
    }
}

}  // namespace

MergedSettings merge_settings(const std::vector<Layer>& layers, std::vector<Finding>& findings) {
    MergedSettings m;
    std::string adapter_layer;
    for (const auto& l : layers) {
        const auto& adapter = l.settings.adapter;
        if (!adapter) continue;
        // The first layer to name an adapter sets it; later layers may only strengthen it.
        const int have = adapter_strength(m.sandbox.adapter);
        const int want = adapter_strength(*adapter);
        if (!adapter_layer.empty() && want == 2 && have == 2 && *adapter != m.sandbox.adapter) {
            findings.push_back({Finding::Severity::error, "conflict", l.name, "sandbox.adapter",
                                "\"" + *adapter + "\" conflicts with \"" + m.sandbox.adapter +
                                    "\" chosen by " + adapter_layer});
        } else if (adapter_layer.empty() || want > have) {
            m.sandbox.adapter = *adapter;
            adapter_layer = l.name;
        }
    }
    // required: true unless every layer that speaks says false (and at least one does).
    bool any_required = false, any_false = false;
    for (const auto& l : layers) {
        if (!l.settings.required) continue;
        (*l.settings.required ? any_required : any_false) = true;
    }
    m.sandbox.required = any_required || !any_false;
    // A "none" adapter with required sandboxing cannot run anything; keep both as written so
    // that the sandbox stage reports it (sandbox_denied), never silently drops one.

    // The built-in "off" is a default, not a rule: the user's own policy or a --policy file
    // replaces it. The workspace's .airlock/policy.json comes with the repository, so it may
    // narrow the network but never open it: alone beside the built-in, the network stays off.
    auto opens_network = [](const Layer& l) {
        return l.name != "builtin" && !l.from_workspace &&
               (l.settings.network || l.settings.network_rules);
    };
    const bool builtin_replaced = std::any_of(layers.begin(), layers.end(), opens_network);
    auto takes_part = [&](const Layer& l) { return !(builtin_replaced && l.name == "builtin"); };
    bool any_off = false, any_on = false;
    for (const auto& l : layers) {
        if (!l.settings.network || !takes_part(l)) continue;
        (*l.settings.network ? any_on : any_off) = true;
    }
    // "off" anywhere wins; any layer's object makes the proxy mode, where each such layer
    // decides for itself and the strictest answer wins (policy/network.hpp).
    std::vector<NetworkLayerRules> network_layers;
    for (const auto& l : layers) {
        if (!l.settings.network_rules || !takes_part(l)) continue;
        network_layers.push_back(*l.settings.network_rules);
        network_layers.back().layer = l.name;
    }
    NetworkPolicy& np = m.sandbox.network_policy;
    if (any_off)
        np.mode = NetworkPolicy::Mode::off;
    else if (!network_layers.empty())
        np.mode = NetworkPolicy::Mode::proxy;
    else if (any_on)
        np.mode = NetworkPolicy::Mode::on;
    if (np.mode == NetworkPolicy::Mode::proxy) np.layers = std::move(network_layers);
    if (np.mode == NetworkPolicy::Mode::off && !builtin_replaced)
        for (const auto& l : layers)
            if (l.from_workspace &&
                (l.settings.network_rules || l.settings.network.value_or(false)))
                np.workspace_not_opening = l.name;
    m.sandbox.network = np.mode == NetworkPolicy::Mode::on;

    // Local sockets: the least any layer allows (off < on < unix); "on" when none says.
    auto sockets_rank = [](const std::string& v) { return v == "off" ? 0 : v == "on" ? 1 : 2; };
    bool sockets_set = false;
    for (const auto& l : layers) {
        if (!l.settings.local_sockets) continue;
        if (!sockets_set ||
            sockets_rank(*l.settings.local_sockets) < sockets_rank(m.sandbox.local_sockets))
            m.sandbox.local_sockets = *l.settings.local_sockets;
        sockets_set = true;
    }
    // Toolchains: what every layer that names some agrees on; the defaults when none does.
    if (auto t = intersect(layers, &LayerSettings::toolchains)) m.sandbox.toolchains = *t;

    if (auto w = intersect(layers, &LayerSettings::writable_roots)) m.sandbox.writable_roots = *w;
    m.sandbox.deny_read = unite(layers, &LayerSettings::deny_read);
    m.wal.redact = unite(layers, &LayerSettings::wal_redact);
    m.sandbox.protected_paths = unite(layers, &LayerSettings::protected_paths);

    take_min(layers, &LayerSettings::timeout_seconds, m.limits.timeout_seconds);
    take_min(layers, &LayerSettings::output_bytes, m.limits.output_bytes);
    take_min(layers, &LayerSettings::memory_bytes, m.limits.memory_bytes);
    take_min(layers, &LayerSettings::max_processes, m.limits.max_processes);
    take_min(layers, &LayerSettings::max_repeated_denials, m.approvals.max_repeated_denials);
    take_min(layers, &LayerSettings::approval_timeout_seconds, m.approvals.timeout_seconds);

    if (auto a = intersect(layers, &LayerSettings::env_allow)) m.env.allow = *a;
    std::map<std::string, std::string> set_by;
    for (const auto& l : layers) {
        if (!l.settings.env_set) continue;
        for (const auto& [k, v] : *l.settings.env_set) {
            auto it = m.env.set.find(k);
            if (it != m.env.set.end() && it->second != v) {
                // Values are not echoed: they may be secrets.
                findings.push_back({Finding::Severity::error, "conflict", l.name, "env.set." + k,
                                    "set to a different value by " + set_by[k]});
                continue;
            }
            m.env.set[k] = v;
            set_by.emplace(k, l.name);
        }
    }
    return m;
}

std::optional<nlohmann::json> merge_guard_sections(const std::vector<Layer>& layers,
                                                   std::vector<Finding>& findings) {
    std::optional<nlohmann::json> merged;
    for (const auto& l : layers) {
        if (!l.guard) continue;
        if (!merged) {
            merged = *l.guard;
            continue;
        }
        merge_json(*merged, *l.guard, "guard", l.name, l.guard_where.str(), findings);
    }
    return merged;
}

}  // namespace airlock::policy::detail
