#include "sandbox/seccomp_adapter.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/landlock.hpp"
#include "sandbox/seccomp_filter.hpp"

namespace airlock::sandbox {

Result<SeccompLaunch> prepare_seccomp_launch(const Profile& profile) {
    SeccompOptions options;
    options.allow_network = profile.network;
    // Without a mount namespace nothing hides host sockets (/run/...): no AF_UNIX sockets at all.
    options.allow_unix_sockets = profile.network;
    auto bpf = compile_seccomp(options);
    if (!bpf) return bpf.error();

    LandlockSpec spec;
    spec.readonly_roots = {"/"};
    for (const auto& w : profile.writable)
        spec.writable_roots.push_back(w.string());
    spec.writable_roots.push_back("/dev/null");  // `> /dev/null` is everywhere in shell scripts
    auto ruleset = build_landlock_ruleset(spec);
    if (!ruleset) return ruleset.error();
    return SeccompLaunch{std::move(bpf).value(), std::move(ruleset).value()};
}

namespace {

// Drops every capability: bounding set, ambient, then effective/permitted/inheritable.
int drop_capabilities() noexcept {
    for (int cap = 0; cap <= 63; ++cap) {
        if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
            return errno;
    }
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return errno;
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) return errno;
    return 0;
}

}  // namespace

int apply_seccomp_launch(const void* context) noexcept {
    const auto* launch = static_cast<const SeccompLaunch*>(context);
    if (int err = drop_capabilities(); err != 0) return err;
    if (int err = apply_landlock(launch->landlock_ruleset.get()); err != 0) return err;
    return install_seccomp_bpf(launch->bpf.data(), launch->bpf.size());
}

}  // namespace airlock::sandbox
