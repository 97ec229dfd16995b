#include "sandbox/seccomp_adapter.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "platform/fd_passing.hpp"
#include "sandbox/landlock.hpp"
#include "sandbox/seccomp_filter.hpp"

namespace airlock::sandbox {

namespace {

// Devices a command may use; every other node of the host's /dev (disks, RAM disks, loop
// devices, console screens, the kernel log) stays closed, as under bwrap's fresh /dev.
constexpr const char* kReadableDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random",
                                            "/dev/urandom"};
constexpr const char* kWritableDevices[] = {"/dev/null", "/dev/zero", "/dev/full"};

bool is_char_device(const char* path) {
    std::error_code ec;
    return std::filesystem::symlink_status(path, ec).type() ==
           std::filesystem::file_type::character;
}

// Read and execute everywhere but /dev: "/" itself only lists, and each of its entries that is
// a real directory or file (symlinks such as /bin -> usr/bin lead back into these) is a
// read-only root of its own. Landlock cannot take /dev back out of a rule on "/".
Result<void> add_readonly_roots(LandlockSpec& spec) {
    spec.listable_roots = {"/"};
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/", ec), end; !ec && it != end; it.increment(ec)) {
        const auto type = it->symlink_status(ec).type();
        if (ec) break;
        const std::string path = it->path().string();
        if (path == "/dev") continue;
        if (type == std::filesystem::file_type::directory ||
            type == std::filesystem::file_type::regular)
            spec.readonly_roots.push_back(path);
    }
    if (ec) return make_error("sandbox", "cannot list / for the Landlock rules: " + ec.message());
    for (const char* device : kReadableDevices)
        if (is_char_device(device)) spec.readonly_roots.emplace_back(device);
    for (const char* device : kWritableDevices)
        if (is_char_device(device)) spec.writable_roots.emplace_back(device);
    return {};
}

}  // namespace

Result<SeccompLaunch> prepare_seccomp_launch(const Profile& profile) {
    SeccompOptions options;
    options.allow_network = profile.network;
    // Without a mount namespace nothing hides host sockets (/run/...): no AF_UNIX sockets at all.
    options.allow_unix_sockets = profile.network;
    // Landlock covers neither file modes nor process groups: the filter refuses both.
    options.allow_mode_changes = false;
    options.allow_new_process_groups = false;
    // Landlock handles truncation from ABI 3; before that, the filter refuses truncate(2).
    options.allow_path_truncate = probe_landlock().abi >= 3;
    // Airlock's proxy on the host's loopback: plain TCP only, for Landlock to check every
    // connection (the rule below allows the proxy's port alone).
    options.tcp_only = profile.network_proxy && !profile.network;
    if (options.tcp_only && (profile.proxy_port <= 0 || profile.proxy_port > 65535))
        return make_error("sandbox", "the network proxy's port is not known: nothing to allow");
    auto bpf = compile_seccomp(options);
    if (!bpf) return bpf.error();

    LandlockSpec spec;
    if (options.tcp_only) {
        spec.restrict_tcp = true;
        spec.connect_tcp_ports = {static_cast<std::uint16_t>(profile.proxy_port)};
    }
    if (auto roots = add_readonly_roots(spec); !roots) return roots.error();
    for (const auto& w : profile.writable)
        spec.writable_roots.push_back(w.string());
    if (profile.home) spec.writable_roots.push_back(profile.home->host_dir.string());
    auto ruleset = build_landlock_ruleset(spec);
    if (!ruleset) return ruleset.error();
    SeccompLaunch launch{std::move(bpf).value(), std::move(ruleset).value(), {}, {}};
    if (options.tcp_only) {
        int pair[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
            return sys_error("sandbox", "cannot create the connect supervisor's channel",
                             "socketpair");
        launch.listener_receive.reset(pair[0]);
        launch.listener_send.reset(pair[1]);
    }
    return launch;
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
    if (!launch->listener_send.valid())
        return install_seccomp_bpf(launch->bpf.data(), launch->bpf.size());
    int listener = -1;
    if (int err =
            install_seccomp_bpf_with_listener(launch->bpf.data(), launch->bpf.size(), &listener);
        err != 0)
        return err;
    // Without the listener in airlock's hands every connect(2) would wait forever: fail here.
    const int err = send_fd(launch->listener_send.get(), listener);
    ::close(listener);
    return err;
}

}  // namespace airlock::sandbox
