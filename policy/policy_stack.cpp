// Loading: read every layer, validate, merge settings, build the guard, compile the index,
// check examples. Any error and there is no policy at all.
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "platform/sha256.hpp"
#include "policy/layer_parser.hpp"
#include "policy/stack_impl.hpp"

namespace airlock::policy {

namespace fs = std::filesystem;

namespace detail {
extern const std::string_view kBuiltinPolicy;
}

namespace {

constexpr std::uintmax_t kMaxPolicyBytes = 64ull << 20;
constexpr std::size_t kMaxLayers = 64;

std::string home_directory() {
    if (const char* h = std::getenv("HOME"); h && *h) return h;
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir) return pw->pw_dir;
    return {};
}

fs::path absolute_workspace(const fs::path& workspace) {
    std::error_code ec;
    fs::path w = workspace.empty() ? fs::current_path(ec) : fs::absolute(workspace, ec);
    const fs::path canonical = fs::weakly_canonical(w, ec);
    return (ec ? w : canonical).lexically_normal();
}

// nullopt text with no error: a missing optional file.
Result<std::optional<std::string>> read_layer_file(const fs::path& file, bool optional) {
    std::error_code ec;
    const auto status = fs::status(file, ec);
    if (!fs::exists(status)) {
        if (optional) return std::optional<std::string>();
        return make_error("policy", file.string() + ": policy file not found");
    }
    if (fs::is_directory(status)) return make_error("policy", file.string() + ": is a directory");
    const auto size = fs::file_size(file, ec);
    if (!ec && size > kMaxPolicyBytes)
        return make_error("policy", file.string() + ": larger than 64 MiB");
    std::ifstream in(file, std::ios::binary);
    if (!in) return sys_error("policy", file.string() + ": cannot be read", "open");
    std::ostringstream ss;
    ss << in.rdbuf();
    return std::optional<std::string>(ss.str());
}

Error to_error(const std::vector<Finding>& findings) {
    return make_error("policy", render_errors(findings));
}

}  // namespace

std::string_view builtin_policy_text() {
    return detail::kBuiltinPolicy;
}

LoadOptions standard_load_options(const fs::path& workspace, std::vector<fs::path> files,
                                  bool builtin) {
    LoadOptions o;
    o.builtin = builtin;
    if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg)
        o.user_file = fs::path(xdg) / "airlock" / "policy.json";
    else if (const std::string home = home_directory(); !home.empty())
        o.user_file = fs::path(home) / ".config" / "airlock" / "policy.json";
    o.workspace_file = workspace / ".airlock" / "policy.json";
    o.files = std::move(files);
    o.workspace = workspace;
    return o;
}

PolicyStack::PolicyStack(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PolicyStack::PolicyStack(PolicyStack&&) noexcept = default;
PolicyStack& PolicyStack::operator=(PolicyStack&&) noexcept = default;
PolicyStack::~PolicyStack() = default;

Result<PolicyStack> PolicyStack::load(const LoadOptions& options) {
    std::vector<std::pair<std::string, std::string>> texts;
    std::optional<std::size_t> workspace_layer;
    if (options.builtin) texts.emplace_back("builtin", std::string(builtin_policy_text()));
    auto add = [&](const fs::path& file, bool optional) -> Result<void> {
        auto text = read_layer_file(file, optional);
        if (!text) return text.error();
        if (*text) texts.emplace_back(file.string(), std::move(**text));
        return {};
    };
    if (options.user_file)
        if (auto r = add(*options.user_file, true); !r) return r.error();
    if (options.workspace_file) {
        const std::size_t before = texts.size();
        if (auto r = add(*options.workspace_file, true); !r) return r.error();
        if (texts.size() > before) workspace_layer = before;
    }
    for (const auto& f : options.files)
        if (auto r = add(f, false); !r) return r.error();
    std::vector<Finding> findings;
    auto stack = compile(texts, options.workspace, findings, workspace_layer);
    if (!stack) return to_error(findings);
    return std::move(*stack);
}

Result<PolicyStack> PolicyStack::from_texts(
    const std::vector<std::pair<std::string, std::string>>& layers) {
    return from_texts(layers, fs::path());
}

Result<PolicyStack> PolicyStack::from_texts(
    const std::vector<std::pair<std::string, std::string>>& layers, const fs::path& workspace) {
    std::vector<Finding> findings;
    auto stack = compile(layers, workspace, findings);
    if (!stack) return to_error(findings);
    return std::move(*stack);
}

std::optional<PolicyStack> PolicyStack::compile(
    const std::vector<std::pair<std::string, std::string>>& texts, const fs::path& workspace,
    std::vector<Finding>& findings, std::optional<std::size_t> workspace_layer) {
    const std::size_t errors_before = findings.size();
    auto failed = [&] {
        return has_errors(
            {findings.begin() + static_cast<std::ptrdiff_t>(errors_before), findings.end()});
    };
    if (texts.size() > kMaxLayers) {
        findings.push_back({Finding::Severity::error, "schema", "policy", "",
                            "more than " + std::to_string(kMaxLayers) + " policy layers"});
        return std::nullopt;
    }
    auto impl = std::make_unique<Impl>();
    impl->environment.workspace = absolute_workspace(workspace);
    impl->environment.home = home_directory();

    std::vector<detail::Layer> layers;
    std::string digest_input;
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const auto& [name, text] = texts[i];
        digest_input += std::to_string(text.size()) + ":" + text;
        detail::ParseContext ctx{impl->environment.home, i};
        auto layer = detail::parse_layer(text, name, ctx, findings);
        if (!layer) continue;
        layer->from_workspace = workspace_layer == i;
        layers.push_back(std::move(*layer));
    }
    if (failed()) return std::nullopt;

    impl->settings = detail::merge_settings(layers, findings);
    auto guard_section = detail::merge_guard_sections(layers, findings);
    if (failed()) return std::nullopt;
    auto guard = guard::Guard::create(guard_section ? &*guard_section : nullptr);
    if (!guard) {
        std::string where = "policy";
        for (const auto& l : layers)
            if (l.guard) where = l.guard_where.str();
        findings.push_back(
            {Finding::Severity::error, "schema", where, "guard", guard.error().describe()});
        return std::nullopt;
    }
    impl->guard = std::move(*guard);

    for (auto& layer : layers) {
        impl->layer_names.push_back(layer.name);
        impl->layer_defaults.push_back(layer.default_decision);
        for (auto& rule : layer.rules) {
            // An unknown guard rule id would silently never match. (Checked when the guard
            // publishes its catalog.)
            if (rule.risk_reason && !impl->guard.has_rule(*rule.risk_reason))
                findings.push_back({Finding::Severity::error, "schema", rule.where.str(),
                                    rule.field + ".risk_reason",
                                    "\"" + *rule.risk_reason +
                                        "\" is not a guard rule id (see `airlock guard rules`)"});
            impl->rules.push_back(std::move(rule));
        }
    }
    if (failed()) return std::nullopt;
    impl->index = detail::RuleIndex(impl->rules);
    impl->digest = sha256_hex(digest_input);
    // The built-in layer is constant: its examples are checked once, by the test suite
    // (tests/policy), not at every start of airlock.
    std::optional<std::size_t> builtin_layer;
    for (std::size_t i = 0; i < texts.size(); ++i)
        if (texts[i].first == "builtin" && texts[i].second == builtin_policy_text())
            builtin_layer = i;
    detail::check_examples(*impl, findings, builtin_layer);
    if (failed()) return std::nullopt;
    return PolicyStack(std::move(impl));
}

const guard::Guard& PolicyStack::guard() const {
    return impl_->guard;
}
const SandboxSettings& PolicyStack::sandbox() const {
    return impl_->settings.sandbox;
}
const Limits& PolicyStack::limits() const {
    return impl_->settings.limits;
}
const ApprovalSettings& PolicyStack::approvals() const {
    return impl_->settings.approvals;
}
const EnvSettings& PolicyStack::env() const {
    return impl_->settings.env;
}
const WalSettings& PolicyStack::wal() const {
    return impl_->settings.wal;
}
std::string PolicyStack::digest() const {
    return impl_->digest;
}
std::vector<std::string> PolicyStack::layer_names() const {
    return impl_->layer_names;
}
const fs::path& PolicyStack::workspace() const {
    return impl_->environment.workspace;
}
std::size_t PolicyStack::rule_count() const {
    return impl_->rules.size();
}

}  // namespace airlock::policy
