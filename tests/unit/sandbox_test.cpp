#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>

#include "exec/sandboxed_launch.hpp"
#include "sandbox/bwrap.hpp"
#include "sandbox/host_identity.hpp"
#include "sandbox/profile.hpp"
#include "sandbox/seatbelt.hpp"
#include "sandbox/userns_probe.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::sandbox;

namespace {
SandboxRequest request() {
    SandboxRequest r;
    r.workspace = "/srv/ws";
    r.cwd = "/srv/ws/sub";
    r.airlock_is_root = false;  // the host identity plan looks at real directories
    r.env = {{"PATH", "/usr/bin:/bin"}, {"API_TOKEN", "secret-value"}};
    return r;
}
}  // namespace

TEST_CASE("the bwrap profile is read-only root, writable workspace, no network") {
    auto p = build_profile(request(), Adapter::bwrap);
    REQUIRE(p.ok());
    const auto argv = bwrap_argv(*p, {"make", "test"}, bwrap_child_fds(*p));
    // clang-format off
    const std::vector<std::string> expected{
        "bwrap", "--new-session", "--die-with-parent",
        "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        "--unshare-net", "--cap-drop", "ALL",
        "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
        "--bind", "/srv/ws", "/srv/ws",
        "--chdir", "/srv/ws/sub", "--json-status-fd", "3", "--seccomp", "4", "--block-fd", "5",
        "--", "make", "test"};
    // clang-format on
    CHECK(argv == expected);
}

TEST_CASE("network on drops only the network namespace") {
    auto req = request();
    req.network = true;
    auto p = build_profile(req, Adapter::bwrap);
    REQUIRE(p.ok());
    const auto argv = bwrap_argv(*p, {"true"}, bwrap_child_fds(*p));
    CHECK(std::find(argv.begin(), argv.end(), "--unshare-net") == argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "--unshare-pid") != argv.end());
}

TEST_CASE("command tokens after -- are never read as bwrap options") {
    auto p = build_profile(request(), Adapter::bwrap);
    REQUIRE(p.ok());
    const auto argv = bwrap_argv(*p, {"--bind", "/", "/"}, bwrap_child_fds(*p));
    auto dashdash = std::find(argv.begin(), argv.end(), "--");
    REQUIRE(dashdash != argv.end());
    CHECK(std::vector<std::string>(dashdash + 1, argv.end()) ==
          std::vector<std::string>{"--bind", "/", "/"});
}

TEST_CASE("the printed profile lists env keys, never values") {
    auto p = build_profile(request(), Adapter::bwrap);
    REQUIRE(p.ok());
    const std::string printed = to_json(*p).dump();
    CHECK(printed.find("API_TOKEN") != std::string::npos);
    CHECK(printed.find("secret-value") == std::string::npos);
}

TEST_CASE("the root directory can never be the workspace") {
    auto req = request();
    req.workspace = "/";
    CHECK_FALSE(build_profile(req, Adapter::bwrap).ok());
}

TEST_CASE("choose_adapter never downgrades silently") {
    auto req = request();
    req.adapter = "none";
    req.required = true;
    CHECK_FALSE(choose_adapter(req).ok());
    req.required = false;
    REQUIRE(choose_adapter(req).ok());
    CHECK(choose_adapter(req)->chosen == Adapter::none);
    req.adapter = "seatbelt";
    CHECK_FALSE(choose_adapter(req).ok());
    req.adapter = "chroot";
    auto unknown = choose_adapter(req);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().message.find("unknown sandbox adapter") != std::string::npos);
}

TEST_CASE("mounts are ordered so that deeper paths stack on shallower ones") {
    namespace fs = std::filesystem;
    std::string tmpl = "/var/tmp/airlock-unit.XXXXXX";
    const fs::path root = ::mkdtemp(tmpl.data());
    fs::create_directories(root / "home" / "ws" / "secrets");
    fs::create_directories(root / "home" / "ws" / ".git" / "hooks");
    SandboxRequest req;
    req.workspace = root / "home" / "ws";
    req.cwd = req.workspace;
    req.deny_read = {(root / "home").string(), (req.workspace / "secrets").string()};
    req.protected_paths = {".git/hooks"};
    req.airlock_is_root = false;  // ordering only: no host identity masks
    auto p = build_profile(req, Adapter::bwrap);
    REQUIRE(p.ok());
    auto index_of = [&](const std::string& op, const fs::path& dest) {
        for (std::size_t i = 0; i < p->mounts.size(); ++i)
            if (p->mounts[i].op == op && p->mounts[i].dest == dest) return static_cast<int>(i);
        return -1;
    };
    const int mask_home = index_of("tmpfs", root / "home");
    const int bind_ws = index_of("bind", req.workspace);
    const int mask_secrets = index_of("tmpfs", req.workspace / "secrets");
    const int hooks = index_of("ro-bind", req.workspace / ".git/hooks");
    const int remount_home = index_of("remount-ro", root / "home");
    REQUIRE(mask_home >= 0);
    REQUIRE(bind_ws >= 0);
    REQUIRE(mask_secrets >= 0);
    REQUIRE(hooks >= 0);
    CHECK(mask_home < bind_ws);     // the workspace is bound back into the hidden home
    CHECK(bind_ws < mask_secrets);  // a secret inside the workspace is hidden on top of it
    CHECK(bind_ws < hooks);         // protected paths stay read-only inside it
    CHECK(remount_home > hooks);    // read-only only once everything inside is mounted
    fs::remove_all(root);
}

TEST_CASE(
    "a seatbelt profile launches sandbox-exec with the generated profile, never the bare "
    "command") {
    namespace fs = std::filesystem;
    std::string tmpl = "/var/tmp/airlock-unit.XXXXXX";
    const fs::path ws = ::mkdtemp(tmpl.data());
    SandboxRequest req;
    req.workspace = ws;
    req.cwd = ws;
    auto p = build_profile(req, Adapter::seatbelt);
    REQUIRE(p.ok());
    airlock::exec::LaunchRequest launch_request;
    launch_request.profile = &*p;
    launch_request.command = {"make", "test"};
    launch_request.resolved_program = "/usr/bin/make";
    auto launch = airlock::exec::Launch::prepare(launch_request);
    REQUIRE(launch.ok());
    const auto expected = seatbelt_invocation(*p, {"make", "test"});
    REQUIRE(expected.ok());
    CHECK((*launch)->spec().program == "/usr/bin/sandbox-exec");
    CHECK((*launch)->spec().argv == expected->argv);
    CHECK((*launch)->spec().cwd == ws.string());
    fs::remove_all(ws);
}

TEST_CASE("a refused adapter choice is data too: chosen is null, why is the error") {
    auto req = request();
    req.adapter = "chroot";
    const auto choice = choose_adapter(req);
    REQUIRE_FALSE(choice.ok());
    const auto j = to_json(req.adapter, choice);
    CHECK(j["requested"] == "chroot");
    CHECK(j["chosen"].is_null());
    CHECK(j["why"].get<std::string>().find("unknown sandbox adapter") != std::string::npos);
}

TEST_CASE("auto names the adapter it chose and why, from the user-namespace probe") {
    auto req = request();
    req.adapter = "auto";
    const auto choice = choose_adapter(req);
    if (!choice.ok()) {
        airlock::test::not_applicable("auto adapter choice", choice.error().describe());
        return;
    }
    const UsernsProbe& userns = user_namespaces_for_sandbox();
    const auto j = to_json(req.adapter, choice);
    CHECK(j["requested"] == "auto");
    if (find_bwrap() && userns.works) {
        CHECK(j["chosen"] == "bwrap");
        CHECK(j["why"].get<std::string>().find("created a user namespace") != std::string::npos);
    } else {
        CHECK(j["chosen"] != "bwrap");
        CHECK(j["why"].get<std::string>().find("bwrap cannot work here") != std::string::npos);
    }
}

TEST_CASE("the user-namespace probe agrees with unshare(1) run as the same user") {
    const UsernsProbe probe = probe_user_namespaces(::geteuid(), ::getegid());
    if (std::system("command -v unshare >/dev/null 2>&1") != 0) {
        airlock::test::not_applicable("user-namespace probe control",
                                      "unshare(1) is not installed");
        return;
    }
    const bool control = std::system("unshare --user --map-root-user true >/dev/null 2>&1") == 0;
    CHECK(probe.works == control);
    CHECK_FALSE(probe.why.empty());
    // As root, the probe switches to the sandbox's host user first, as bwrap's launch does.
    if (::geteuid() != 0) return;
    const UsernsProbe as_sandbox = probe_user_namespaces(kSandboxHostUid, kSandboxHostGid);
    const std::string switched = "setpriv --reuid " + std::to_string(kSandboxHostUid) +
                                 " --regid " + std::to_string(kSandboxHostGid) +
                                 " --clear-groups unshare --user --map-root-user true "
                                 ">/dev/null 2>&1";
    CHECK(as_sandbox.works == (std::system(switched.c_str()) == 0));
    CHECK(as_sandbox.probed_as == kSandboxHostUid);
}

// A child enters a user namespace of its own, sets user.max_user_namespaces to 0 there (the
// limit is per namespace: the host is untouched) and probes: the probe must fail and say why.
TEST_CASE("the user-namespace probe explains a limit of zero") {
    const UsernsProbe before = probe_user_namespaces(::geteuid(), ::getegid());
    if (!before.works) {
        airlock::test::not_applicable("user-namespace limit probe",
                                      "user namespaces cannot be created here: " + before.why);
        return;
    }
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const uid_t uid = ::geteuid();
        if (::unshare(CLONE_NEWUSER) != 0) ::_exit(10);
        const std::string map = "0 " + std::to_string(uid) + " 1\n";
        const int fd = ::open("/proc/self/uid_map", O_WRONLY);
        if (fd < 0 || ::write(fd, map.data(), map.size()) < 0) ::_exit(11);
        ::close(fd);
        const int max = ::open("/proc/sys/user/max_user_namespaces", O_WRONLY);
        if (max < 0 || ::write(max, "0", 1) != 1) ::_exit(12);
        ::close(max);
        const UsernsProbe p = probe_user_namespaces(0, ::getegid());
        if (p.works) ::_exit(20);
        if (p.failed_call != "unshare(CLONE_NEWUSER)" || p.err_no != ENOSPC) ::_exit(21);
        if (p.why.find("user.max_user_namespaces is 0") == std::string::npos) ::_exit(22);
        if (!p.max_user_namespaces || *p.max_user_namespaces != 0) ::_exit(23);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE(
    "the proxy's address: 3128 in bwrap's namespace, the host's ephemeral port under seccomp") {
    auto env = [](const Profile& p, const std::string& key) {
        for (const auto& [k, v] : p.env)
            if (k == key) return v;
        return std::string("<unset>");
    };
    Profile bwrap;
    bwrap.adapter = Adapter::bwrap;
    bwrap.network_proxy = true;
    set_proxy_port(bwrap, kProxyPort);
    CHECK(env(bwrap, "HTTPS_PROXY") == "http://127.0.0.1:3128");
    CHECK(env(bwrap, "no_proxy") == "localhost,127.0.0.1,::1");
    CHECK(
        proxy_json(bwrap) ==
        nlohmann::json{{"host", "127.0.0.1"},
                       {"port", 3128},
                       {"namespace", "sandbox"},
                       {"namespace_made_by", "airlock: loopback only, the proxy listening on it"}});

    Profile seccomp;
    seccomp.adapter = Adapter::seccomp;
    seccomp.network_proxy = true;
    seccomp.landlock_abi = 4;
    set_proxy_port(seccomp, 0);  // as built: the proxy does not listen yet
    auto planned = proxy_json(seccomp);
    CHECK(planned["port"].is_null());
    CHECK(planned["namespace"] == "host");
    CHECK(planned["landlock_tcp"]["handled"] == nlohmann::json::array({"bind_tcp", "connect_tcp"}));
    CHECK(planned["landlock_tcp"]["bind_tcp_ports"].empty());
    // Nothing to allow yet: the launch refuses rather than leave TCP open or closed by accident.
    auto early = prepare_seccomp_launch(seccomp);
    REQUIRE_FALSE(early.ok());
    CHECK(early.error().describe().find("port is not known") != std::string::npos);

    set_proxy_port(seccomp, 41234);
    CHECK(env(seccomp, "HTTP_PROXY") == "http://127.0.0.1:41234");
    CHECK(env(seccomp, "ALL_PROXY") == "socks5h://127.0.0.1:41234");
    CHECK(env(seccomp, "NO_PROXY").empty());  // nothing is reached around the proxy
    CHECK(proxy_json(seccomp)["landlock_tcp"]["connect_tcp_ports"] ==
          nlohmann::json::array({41234}));
    CHECK(std::count_if(seccomp.env.begin(), seccomp.env.end(),
                        [](const auto& kv) { return kv.first == "HTTP_PROXY"; }) == 1);
}

// With bwrap, the WAL's sync runs while bwrap sets the sandbox up: bwrap waits on --block-fd
// after its mounts and before the command, so what before_command refuses never runs.
TEST_CASE(
    "bwrap holds the command back until before_command returns, and a refused one never runs") {
    namespace fs = std::filesystem;
    using airlock::exec::Launch;
    if (!find_bwrap() || !user_namespaces_for_sandbox().works) {
        airlock::test::not_applicable("bwrap --block-fd", "bwrap cannot run here");
        return;
    }
    std::string tmpl = "/var/tmp/airlock-unit.XXXXXX";
    const fs::path ws = ::mkdtemp(tmpl.data());
    SandboxRequest req;
    req.workspace = ws;
    req.cwd = ws;
    req.airlock_is_root = false;  // no identity switch: the launch alone is under test
    req.env = {{"PATH", "/usr/bin:/bin"}};
    auto p = build_profile(req, Adapter::bwrap);
    REQUIRE(p.ok());
    // bwrap's last mount before it waits: the floor's last placeholder, created on the host.
    std::string last_placeholder;
    std::vector<fs::path> placeholders;
    for (const auto& m : p->mounts) {
        if (m.source != "/dev/null" || m.dest.parent_path() != ws) continue;
        placeholders.push_back(m.dest);
        last_placeholder = m.dest.filename().string();
    }
    REQUIRE_FALSE(last_placeholder.empty());

    // Waits (bounded) for `name` to be created in the workspace.
    const auto created = [&](int inotify_fd, const std::string& name, int timeout_ms) {
        alignas(inotify_event) char buf[4096];
        for (;;) {
            pollfd pfd{inotify_fd, POLLIN, 0};
            if (::poll(&pfd, 1, timeout_ms) <= 0) return false;
            const ssize_t n = ::read(inotify_fd, buf, sizeof buf);
            for (ssize_t off = 0; off < n;) {
                const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
                if (ev->len > 0 && name == ev->name) return true;
                off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            }
        }
    };
    const auto run = [&](bool allow, bool& ran_before_release) {
        for (const auto& placeholder : placeholders)
            fs::remove(placeholder);  // what bwrap left on the host last time
        airlock::UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
        REQUIRE(watch.valid());
        REQUIRE(::inotify_add_watch(watch.get(), ws.c_str(), IN_CREATE) >= 0);
        airlock::exec::LaunchRequest lr;
        lr.profile = &*p;
        lr.command = {"/bin/sh", "-c", "echo ran > marker"};
        lr.resolved_program = "/bin/sh";
        auto launch = Launch::prepare(lr);
        REQUIRE(launch.ok());
        auto out = (*launch)->run({}, [&] {
            // bwrap has made its mounts; without --block-fd it would exec the command now.
            if (!created(watch.get(), last_placeholder, 10000)) {
                FAIL_CHECK("bwrap did not create " << last_placeholder);
                return false;
            }
            ran_before_release = created(watch.get(), "marker", 300);
            return allow;
        });
        REQUIRE(out.ok());
        return out->kind;
    };
    bool ran_early = true;
    CHECK(run(false, ran_early) == Launch::Outcome::Kind::withheld);
    CHECK_FALSE(ran_early);
    CHECK_FALSE(fs::exists(ws / "marker"));
    // Positive control: released, the same command runs.
    CHECK(run(true, ran_early) == Launch::Outcome::Kind::ran);
    CHECK_FALSE(ran_early);
    CHECK(fs::exists(ws / "marker"));
    fs::remove_all(ws);
}

TEST_CASE("a successful user-namespace probe is cached per boot, and only as the user's own file") {
    namespace fs = std::filesystem;
    std::string tmpl = "/var/tmp/airlock-unit.XXXXXX";
    const fs::path root = ::mkdtemp(tmpl.data());
    const fs::path dir = root / "state" / "airlock" / "probe";  // its parents made too
    const uid_t uid = ::geteuid();
    const gid_t gid = ::getegid();
    const fs::path file = dir / ("userns-probe-" + std::to_string(uid) + "-" + std::to_string(gid));
    const auto read = [](const fs::path& p) {
        std::ifstream in(p);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const auto write = [](const fs::path& p, const std::string& text) {
        std::ofstream(p, std::ios::trunc) << text;
    };

    const UsernsProbe first = probe_user_namespaces_cached(uid, gid, dir);
    if (!first.works) {
        CHECK_FALSE(fs::exists(file));  // a failure is never cached
        airlock::test::not_applicable("user-namespace probe cache", first.why);
        fs::remove_all(root);
        return;
    }
    CHECK_FALSE(first.cached);
    const std::string key = userns_probe_key(uid, gid, first);
    CHECK(read(file) == key);
    CHECK((fs::status(dir).permissions() & fs::perms::all) == fs::perms::owner_all);

    const UsernsProbe second = probe_user_namespaces_cached(uid, gid, dir);
    CHECK(second.works);
    CHECK(second.cached);
    CHECK(second.why.find("created a user namespace") != std::string::npos);

    // Anything it depends on changed (here: another boot): probed again, and the key rewritten.
    write(file, "v1 boot=another-boot\n");
    const UsernsProbe changed = probe_user_namespaces_cached(uid, gid, dir);
    CHECK(changed.works);
    CHECK_FALSE(changed.cached);
    CHECK(read(file) == key);

    // A file others may write is not believed; nor is a symlink to the right key.
    fs::permissions(file, fs::perms::group_write, fs::perm_options::add);
    CHECK_FALSE(probe_user_namespaces_cached(uid, gid, dir).cached);
    write(root / "elsewhere", key);
    fs::remove(file);
    fs::create_symlink(root / "elsewhere", file);
    CHECK_FALSE(probe_user_namespaces_cached(uid, gid, dir).cached);
    // Positive control: the user's own private file with the key is used.
    fs::remove(file);
    write(file, key);
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    CHECK(probe_user_namespaces_cached(uid, gid, dir).cached);
    fs::remove_all(root);
}
