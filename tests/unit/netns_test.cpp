// The network namespace a call with a network allow list runs in (sandbox/netns.hpp): what it
// holds, who owns it, and that the proxy's socket is reachable from inside it only.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <grp.h>
#include <linux/nsfs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "sandbox/bwrap.hpp"
#include "sandbox/netns.hpp"
#include "sandbox/profile.hpp"
#include "tests/support/host_facts.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::sandbox;

namespace {

ino_t inode_of(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

ino_t inode_of(const char* path) {
    struct stat st {};
    return ::stat(path, &st) == 0 ? st.st_ino : 0;
}

bool readable_now(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

int connect_loopback(std::uint16_t port) {
    const int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -1;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int r = ::connect(s, reinterpret_cast<const sockaddr*>(&a), sizeof a);
    ::close(s);
    return r;
}

// Checks one namespace as the current user; 0, or the number of the first check that failed.
// Runs in a forked child when the test drops its privileges, so it reports by number.
int check_namespace(const LoopbackNetns& ns, std::uint16_t port) {
    // 1. Its own namespace, not this process's.
    if (!ns.net.valid() || inode_of(ns.net.get()) == inode_of("/proc/self/ns/net")) return 1;
    // 2. The listening socket is on 127.0.0.1:port.
    sockaddr_in bound{};
    socklen_t len = sizeof bound;
    if (::getsockname(ns.listener.get(), reinterpret_cast<sockaddr*>(&bound), &len) != 0 ||
        ntohs(bound.sin_port) != port || bound.sin_addr.s_addr != htonl(INADDR_LOOPBACK) ||
        ns.port != port)
        return 2;
    // 3. Owned by the host's user namespace as root; unprivileged, by the user namespace made
    //    for it, itself a child of the caller's.
    const int owner = ::ioctl(ns.net.get(), NS_GET_USERNS);
    if (owner < 0) return 3;
    const ino_t owner_ino = inode_of(owner);
    ::close(owner);
    if (::geteuid() == 0) {
        if (ns.user.valid() || owner_ino != inode_of("/proc/self/ns/user")) return 3;
    } else {
        if (!ns.user.valid() || owner_ino != inode_of(ns.user.get())) return 3;
        const int parent = ::ioctl(ns.user.get(), NS_GET_PARENT);
        if (parent < 0) return 3;
        const ino_t parent_ino = inode_of(parent);
        ::close(parent);
        if (parent_ino != inode_of("/proc/self/ns/user")) return 3;
    }
    // 4. From the host's network namespace, 127.0.0.1:port is not the proxy's socket (refused,
    //    or some host service: either way nothing waits on the listener).
    connect_loopback(port);
    if (readable_now(ns.listener.get())) return 4;
    // 5. From inside, it is; and loopback is the only interface there.
    const pid_t pid = ::fork();
    if (pid < 0) return 5;
    if (pid == 0) {
        if (ns.user.valid() && ::setns(ns.user.get(), CLONE_NEWUSER) != 0) ::_exit(1);
        if (::setns(ns.net.get(), CLONE_NEWNET) != 0) ::_exit(2);
        if (connect_loopback(port) != 0) ::_exit(3);
        struct if_nameindex* names = ::if_nameindex();
        if (names == nullptr) ::_exit(4);
        const bool only_lo = names[0].if_name != nullptr &&
                             std::strcmp(names[0].if_name, "lo") == 0 &&
                             names[1].if_name == nullptr;
        ::if_freenameindex(names);
        ::_exit(only_lo ? 0 : 5);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 50 + WEXITSTATUS(status);
    pollfd p{ns.listener.get(), POLLIN, 5000};
    if (::poll(&p, 1, 5000) != 1) return 6;
    const int accepted = ::accept4(ns.listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (accepted < 0) return 6;
    ::close(accepted);
    return 0;
}

}  // namespace

TEST_CASE(
    "a call's network namespace: loopback only, the proxy's socket reachable from inside "
    "only, owned so that the sandbox has no capability over it") {
    if (::geteuid() != 0) {
        if (const std::string refused = airlock::test::user_namespaces_refused_by_host();
            !refused.empty()) {
            airlock::test::not_applicable("a call's network namespace, unprivileged", refused);
            return;
        }
    }
    {
        auto ns = make_loopback_netns(static_cast<std::uint16_t>(kProxyPort));
        REQUIRE_MESSAGE(ns.ok(), (ns ? "" : ns.error().describe()));
        CHECK(check_namespace(*ns, static_cast<std::uint16_t>(kProxyPort)) == 0);
    }
    // An ephemeral port (doctor's probe) is reported as bound.
    {
        auto ns = make_loopback_netns(0);
        REQUIRE(ns.ok());
        CHECK(ns->port != 0);
        CHECK(check_namespace(*ns, ns->port) == 0);
    }
    if (::geteuid() != 0) return;
    // The unprivileged way, from root: a child that becomes nobody.
    if (const std::string refused = airlock::test::user_namespaces_refused_by_host();
        !refused.empty()) {
        airlock::test::not_applicable("a call's network namespace, unprivileged", refused);
        return;
    }
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0)
            ::_exit(100);
        // A change of user without an exec makes /proc/self root's (not dumpable); a user's
        // airlock is started by exec and is dumpable.
        if (::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) ::_exit(102);
        auto ns = make_loopback_netns(static_cast<std::uint16_t>(kProxyPort));
        if (!ns) ::_exit(101);
        ::_exit(check_namespace(*ns, static_cast<std::uint16_t>(kProxyPort)));
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("bwrap with the proxy starts inside airlock's network namespace: no --unshare-net") {
    Profile p;
    p.adapter = Adapter::bwrap;
    p.namespaces = {"user", "pid", "net"};
    const auto has = [](const std::vector<std::string>& argv, const char* arg) {
        return std::find(argv.begin(), argv.end(), arg) != argv.end();
    };
    // Positive control: the network off is bwrap's own empty namespace.
    const auto off = bwrap_argv(p, {"true"}, bwrap_child_fds(p));
    CHECK(has(off, "--unshare-net"));
    p.network_proxy = true;
    const auto proxied = bwrap_argv(p, {"true"}, bwrap_child_fds(p));
    CHECK_FALSE(has(proxied, "--unshare-net"));
    CHECK(has(proxied, "--unshare-user"));
    CHECK(has(proxied, "--unshare-pid"));
    // The command is bwrap's own: nothing runs before it inside.
    REQUIRE(proxied.size() >= 2);
    CHECK(proxied[proxied.size() - 2] == "--");
    CHECK(proxied.back() == "true");
}
