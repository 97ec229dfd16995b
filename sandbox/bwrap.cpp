#include "sandbox/bwrap.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "sandbox/seccomp_filter.hpp"

namespace airlock::sandbox {

std::vector<std::string> bwrap_argv(const Profile& profile, const std::vector<std::string>& command,
                                    const BwrapFds& fds) {
    std::vector<std::string> argv{"bwrap"};
    if (profile.new_session) argv.push_back("--new-session");
    if (profile.die_with_parent) argv.push_back("--die-with-parent");
    for (const auto& ns : profile.namespaces) {
        // With the proxy, bwrap starts inside the network namespace airlock made for the call
        // (sandbox/netns.hpp): unsharing again would leave the proxy's socket behind.
        if (ns == "net" && profile.network_proxy) continue;
        // cgroup namespaces are missing on some kernels; bwrap's -try form keeps going there.
        argv.push_back(ns == "cgroup" ? "--unshare-cgroup-try" : "--unshare-" + ns);
    }
    if (profile.drop_capabilities) {
        argv.push_back("--cap-drop");
        argv.push_back("ALL");
    }
    std::size_t data_index = 0;
    for (const auto& m : profile.mounts) {
        argv.push_back("--" + m.op);
        if (m.op == "ro-bind-data") {
            argv.push_back(std::to_string(fds.data_fds.at(data_index++)));
        }
        if (!m.source.empty()) argv.push_back(m.source.string());
        argv.push_back(m.dest.string());
    }
    if (!profile.cwd.empty()) {
        argv.push_back("--chdir");
        argv.push_back(profile.cwd.string());
    }
    if (fds.json_status_fd >= 0) {
        argv.push_back("--json-status-fd");
        argv.push_back(std::to_string(fds.json_status_fd));
    }
    if (fds.seccomp_fd >= 0) {
        argv.push_back("--seccomp");
        argv.push_back(std::to_string(fds.seccomp_fd));
    }
    if (fds.block_fd >= 0) {
        argv.push_back("--block-fd");
        argv.push_back(std::to_string(fds.block_fd));
    }
    argv.push_back("--");
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
}

}  // namespace airlock::sandbox

namespace airlock::sandbox {

namespace {

Result<UniqueFd> memfd_with(const char* name, const std::string& bytes) {
    UniqueFd fd(::memfd_create(name, MFD_CLOEXEC));
    if (!fd.valid())
        return sys_error("sandbox", std::string("cannot hold ") + name, "memfd_create");
    std::size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::write(fd.get(), bytes.data() + off, bytes.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("sandbox", std::string("cannot write ") + name, "write");
        }
        off += static_cast<std::size_t>(n);
    }
    if (::lseek(fd.get(), 0, SEEK_SET) != 0)
        return sys_error("sandbox", std::string("cannot rewind ") + name, "lseek");
    return fd;
}

}  // namespace

BwrapFds bwrap_child_fds(const Profile& profile) {
    BwrapFds fds(3, 4);
    int next = 5;
    for (const auto& m : profile.mounts)
        if (m.op == "ro-bind-data") fds.data_fds.push_back(next++);
    fds.block_fd = next;
    return fds;
}

Result<std::vector<UniqueFd>> bwrap_data_fds(const Profile& profile) {
    std::vector<UniqueFd> out;
    for (const auto& m : profile.mounts) {
        if (m.op != "ro-bind-data") continue;
        auto fd = memfd_with("airlock-data", m.data);
        if (!fd) return fd.error();
        out.push_back(std::move(fd).value());
    }
    return out;
}

Result<UniqueFd> bwrap_seccomp_memfd() {
    UniqueFd fd(::memfd_create("airlock-seccomp", MFD_CLOEXEC));
    if (!fd.valid()) return sys_error("sandbox", "cannot hold the seccomp filter", "memfd_create");
    return fd;
}

Result<void> write_bwrap_seccomp(const Profile& profile, int memfd) {
    SeccompOptions options;
    options.allow_network = profile.network;
    // A read-only bind does not stop connect() on a host socket file: with the network off,
    // no AF_UNIX sockets at all (socketpair() still works), unless the profile gives local
    // sockets: then the network namespace keeps abstract names and loopback the sandbox's own,
    // and /run, /tmp and the home are the sandbox's own (docs/SANDBOX.md, Local sockets).
    options.allow_unix_sockets = profile.network || profile.local_unix_sockets;
    options.allow_local_sockets = profile.local_sockets;
    auto bpf = compile_seccomp(options);
    if (!bpf) return bpf.error();
    std::size_t off = 0;
    while (off < bpf->size()) {
        const ssize_t n = ::write(memfd, bpf->data() + off, bpf->size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return sys_error("sandbox", "cannot write the seccomp filter", "write");
        }
        off += static_cast<std::size_t>(n);
    }
    if (::lseek(memfd, 0, SEEK_SET) != 0)
        return sys_error("sandbox", "cannot rewind the seccomp filter", "lseek");
    return {};
}

Result<UniqueFd> bwrap_seccomp_fd(const Profile& profile) {
    auto fd = bwrap_seccomp_memfd();
    if (!fd) return fd.error();
    if (auto written = write_bwrap_seccomp(profile, fd->get()); !written) return written.error();
    return fd;
}

}  // namespace airlock::sandbox
