#include "sandbox/idmap.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <mutex>
#include <tuple>

#include "platform/vfork_child.hpp"
#include "platform/workspace_path.hpp"
#include "sandbox/home.hpp"

namespace airlock::sandbox {

namespace fs = std::filesystem;

namespace {

bool write_text(const std::string& path, const std::string& text) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    return fd.valid() &&
           ::write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size());
}

int exit_at_once(void*) {
    ::_exit(0);
}

// A user namespace that maps `inside` (the owner on disk) to `outside` (the sandbox user): the
// idmapping handed to mount_setattr. A child is created in a new user namespace and exits at
// once (platform/vfork_child.hpp: no copy of airlock's memory); until it is reaped, its
// credentials keep the namespace, whose maps airlock writes and which it opens.
Result<UniqueFd> make_idmap_userns(uid_t inside_uid, gid_t inside_gid, uid_t outside_uid,
                                   gid_t outside_gid) {
    const pid_t pid = clone_vfork(exit_at_once, nullptr, CLONE_NEWUSER);
    if (pid < 0)
        return sys_error("sandbox", "cannot make an idmap user namespace", "clone(CLONE_NEWUSER)");
    const std::string proc = "/proc/" + std::to_string(pid);
    const bool mapped = write_text(proc + "/uid_map", std::to_string(inside_uid) + " " +
                                                          std::to_string(outside_uid) + " 1\n") &&
                        write_text(proc + "/gid_map", std::to_string(inside_gid) + " " +
                                                          std::to_string(outside_gid) + " 1\n");
    const int saved = errno;
    UniqueFd ns(mapped ? ::open((proc + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC) : -1);
    const int open_errno = errno;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!mapped) {
        errno = saved;
        return sys_error("sandbox", "cannot write the idmap user namespace's maps", "write");
    }
    if (!ns.valid()) {
        errno = open_errno;
        return sys_error("sandbox", "cannot open the idmap user namespace", "open");
    }
    return ns;
}

// One user namespace per mapping, kept for the life of the process: `airlock serve` makes
// thousands of sandboxes with the same few mappings.
Result<int> idmap_userns(uid_t inside_uid, gid_t inside_gid, uid_t outside_uid, gid_t outside_gid) {
    static std::mutex mutex;
    static std::map<std::tuple<uid_t, gid_t, uid_t, gid_t>, UniqueFd> cache;
    const auto key = std::make_tuple(inside_uid, inside_gid, outside_uid, outside_gid);
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second.get();
    auto ns = make_idmap_userns(inside_uid, inside_gid, outside_uid, outside_gid);
    if (!ns) return ns.error();
    const int fd = ns->get();
    cache.emplace(key, std::move(ns).value());
    return fd;
}

Result<UniqueFd> idmapped_tree(const IdmappedRoot& root, uid_t uid, gid_t gid) {
    auto userns = idmap_userns(root.owner_uid, root.owner_gid, uid, gid);
    if (!userns) return userns.error();
    UniqueFd tree(::open_tree(AT_FDCWD, root.path.c_str(),
                              OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree.valid())
        return sys_error("sandbox", "cannot copy writable root \"" + root.path.string() + "\"",
                         "open_tree");
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<std::uint64_t>(*userns);
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
        return sys_error("sandbox",
                         "cannot idmap writable root \"" + root.path.string() +
                             "\" (airlock runs as root, so the sandbox runs as uid " +
                             std::to_string(uid) +
                             " and needs an idmapped mount; does this filesystem support them? "
                             "Otherwise run airlock as the workspace's owner)",
                         "mount_setattr");
    return tree;
}

// A read-only copy of a directory (a toolchain), to be shown over the sandbox home.
Result<UniqueFd> read_only_tree(const fs::path& path) {
    UniqueFd tree(
        ::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (!tree.valid())
        return sys_error("sandbox", "cannot copy \"" + path.string() + "\"", "open_tree");
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
        return sys_error("sandbox", "cannot make \"" + path.string() + "\" read-only",
                         "mount_setattr");
    return tree;
}

std::size_t depth(const std::string& path) {
    return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

}  // namespace

Result<IdentityLaunch> prepare_identity_launch(const HostIdentity& identity) {
    IdentityLaunch launch;
    launch.uid = identity.uid;
    launch.gid = identity.gid;
    for (const auto& m : identity.masked)
        launch.masked.push_back(m.string());
    for (const auto& root : identity.idmapped) {
        // The way from a mask down to the root is rebuilt inside the mask's tmpfs.
        for (const auto& m : identity.masked) {
            if (!is_within(root.path, m) || root.path == m) continue;
            fs::path dir = m;
            for (const auto& part : root.path.lexically_relative(m)) {
                dir /= part;
                launch.make_dirs.push_back(dir.string());
            }
        }
        auto tree = idmapped_tree(root, identity.uid, identity.gid);
        if (!tree) return tree.error();
        launch.trees.push_back(std::move(tree).value());
        launch.tree_dests.push_back(root.path.string());
    }
    if (identity.home) {
        // The home covers the invoking user's home path; what is shown inside it (toolchains,
        // a workspace below that path) needs a mount point in the home's host directory.
        auto home = idmapped_tree(*identity.home, identity.uid, identity.gid);
        if (!home) return home.error();
        launch.trees.push_back(std::move(home).value());
        launch.tree_dests.push_back(identity.home_dest.string());
        for (const auto& [from, at] : identity.read_only) {
            auto tree = read_only_tree(from);
            if (!tree) return tree.error();
            launch.trees.push_back(std::move(tree).value());
            launch.tree_dests.push_back(at.string());
        }
        for (const auto& dest : launch.tree_dests) {
            if (!is_within(dest, identity.home_dest) || dest == identity.home_dest) continue;
            const fs::path inside =
                identity.home->path / fs::path(dest).lexically_relative(identity.home_dest);
            if (auto made = ensure_mount_point(identity.home->path, inside); !made)
                return made.error();
        }
        // Shallower first: a tree attached later lands inside one attached before.
        std::vector<std::size_t> order(launch.trees.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
            return depth(launch.tree_dests[a]) < depth(launch.tree_dests[b]);
        });
        std::vector<UniqueFd> trees;
        std::vector<std::string> dests;
        for (std::size_t i : order) {
            trees.push_back(std::move(launch.trees[i]));
            dests.push_back(launch.tree_dests[i]);
        }
        launch.trees = std::move(trees);
        launch.tree_dests = std::move(dests);
    }
    return launch;
}

int apply_identity_launch(const void* context) noexcept {
    const auto* launch = static_cast<const IdentityLaunch*>(context);
    // A private mount namespace: nothing done here is seen by the host.
    if (::unshare(CLONE_NEWNS) != 0) return errno;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
    for (const auto& m : launch->masked) {
        if (::mount("airlock-mask", m.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0)
            return errno;
    }
    for (const auto& d : launch->make_dirs) {
        if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST) return errno;
    }
    for (std::size_t i = 0; i < launch->tree_child_fds.size(); ++i) {
        const int fd = launch->tree_child_fds[i];
        if (::move_mount(fd, "", AT_FDCWD, launch->tree_dests[i].c_str(),
                         MOVE_MOUNT_F_EMPTY_PATH) != 0)
            return errno;
        ::close(fd);
    }
    // Raw system calls: glibc's wrappers coordinate all threads, which a forked child lacks.
    if (::syscall(SYS_setgroups, 0, nullptr) != 0) return errno;
    if (::syscall(SYS_setresgid, launch->gid, launch->gid, launch->gid) != 0) return errno;
    if (::syscall(SYS_setresuid, launch->uid, launch->uid, launch->uid) != 0) return errno;
    return 0;
}

}  // namespace airlock::sandbox
