// A Landlock ruleset applied in a real forked child. Needs a kernel with Landlock: without it
// this executable prints the probe's reason and exits 77 (ctest: skipped).
#define DOCTEST_CONFIG_IMPLEMENT
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>
#include "tests/support/every_run_tests.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "child_probe.hpp"
#include "sandbox/landlock.hpp"
#include "tests/support/not_applicable.hpp"

using namespace airlock::sandbox;
using airlock::test::call_result;
using airlock::test::ChildReport;
using airlock::test::in_grandchild;
using airlock::test::Outcome;
using airlock::test::Probe;
using airlock::test::run_probes_in_child;

namespace {

int g_abi = 0;

class TempDir {
  public:
    TempDir() {
        std::string pattern = std::filesystem::temp_directory_path() / "airlock-landlock-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = std::filesystem::canonical(pattern).string();
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
};

Outcome write_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return call_result(-1);
    Outcome out = call_result(::write(fd, "airlock", 7));
    ::close(fd);
    return out;
}

Outcome open_read(const std::string& path, int flags = 0) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
    Outcome out = call_result(fd);
    if (fd >= 0) ::close(fd);
    return out;
}

socklen_t abstract_address(const std::string& name, sockaddr_un& addr) {
    addr = sockaddr_un{};
    addr.sun_family = AF_UNIX;
    const std::size_t n = std::min(name.size(), sizeof addr.sun_path - 1);
    std::memcpy(addr.sun_path + 1, name.data(), n);  // leading NUL: abstract namespace
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + n);
}

Outcome connect_abstract(const std::string& name) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return call_result(-1);
    sockaddr_un addr{};
    const socklen_t len = abstract_address(name, addr);
    Outcome out = call_result(::connect(fd, reinterpret_cast<sockaddr*>(&addr), len));
    ::close(fd);
    return out;
}

std::string quoted(const std::string& text) {
    std::string out;
    out.reserve(text.size() + 2);
    out.push_back('\'');
    out.append(text);
    out.push_back('\'');
    return out;
}

bool same(const Outcome& a, const Outcome& b) {
    return a.ret == b.ret && a.err == b.err && a.signal == b.signal;
}

const Outcome& outcome(const ChildReport& report, const std::string& name) {
    INFO(report.raw);
    REQUIRE(report.outcomes.count(name) == 1);
    return report.outcomes.at(name);
}

}  // namespace

TEST_CASE("a child under the Landlock ruleset writes only inside its writable roots") {
    TempDir workspace;
    TempDir elsewhere;
    { std::ofstream(elsewhere / "existing") << "host data"; }
    const std::string abstract_name = "airlock-landlock-test-" + std::to_string(::getpid());
    const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener >= 0);
    {
        sockaddr_un addr{};
        const socklen_t len = abstract_address(abstract_name, addr);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) == 0);
        REQUIRE(::listen(listener, 8) == 0);
    }

    LandlockSpec spec;
    spec.readonly_roots = {"/"};
    spec.writable_roots = {workspace.path(), "/dev/null"};
    auto ruleset = build_landlock_ruleset(spec);
    REQUIRE_MESSAGE(ruleset.ok(), (ruleset.ok() ? "" : ruleset.error().describe()));
    const int ruleset_fd = ruleset->get();

    std::vector<Probe> probes;
    probes.emplace_back("write_inside", [&] { return write_file(workspace / "created"); });
    probes.emplace_back("mkdir_inside",
                        [&] { return call_result(::mkdir((workspace / "dir").c_str(), 0700)); });
    probes.emplace_back("write_outside", [&] { return write_file(elsewhere / "new"); });
    probes.emplace_back("overwrite_outside", [&] { return write_file(elsewhere / "existing"); });
    probes.emplace_back("mkdir_outside",
                        [&] { return call_result(::mkdir((elsewhere / "dir").c_str(), 0700)); });
    probes.emplace_back("unlink_outside",
                        [&] { return call_result(::unlink((elsewhere / "existing").c_str())); });
    probes.emplace_back("truncate_outside", [&] {
        return call_result(::truncate((elsewhere / "existing").c_str(), 0));
    });
    probes.emplace_back("rename_out_of_workspace", [&] {
        return call_result(
            ::rename((workspace / "created").c_str(), (elsewhere / "moved").c_str()));
    });
    probes.emplace_back("mknod_inside", [&] {
        return call_result(::mknod((workspace / "null").c_str(), S_IFCHR | 0600, makedev(1, 3)));
    });
    probes.emplace_back("read_outside", [&] { return open_read(elsewhere / "existing"); });
    probes.emplace_back("read_root_dir", [] { return open_read("/", O_DIRECTORY); });
    probes.emplace_back("read_etc_passwd", [] { return open_read("/etc/passwd"); });
    probes.emplace_back("write_dev_null", [] { return write_file("/dev/null"); });
    probes.emplace_back("exec_true", [] {
        return in_grandchild([] {
            ::execl("/bin/true", "true", static_cast<char*>(nullptr));
            ::_exit(127);
        });
    });
    probes.emplace_back("signal_parent", [] { return call_result(::kill(::getppid(), 0)); });
    probes.emplace_back("connect_host_abstract_socket",
                        [&] { return connect_abstract(abstract_name); });

    const ChildReport confined =
        run_probes_in_child([&] { return apply_landlock(ruleset_fd); }, probes);
    REQUIRE_MESSAGE(confined.setup_error == 0, confined.raw);

    SUBCASE("writes inside the workspace and reads everywhere work (positive controls)") {
        CHECK(outcome(confined, "write_inside").ok());
        CHECK(outcome(confined, "mkdir_inside").ok());
        CHECK(outcome(confined, "read_outside").ok());
        CHECK(outcome(confined, "read_root_dir").ok());
        CHECK(outcome(confined, "read_etc_passwd").ok());
        CHECK(outcome(confined, "write_dev_null").ok());
        CHECK(same(outcome(confined, "exec_true"), Outcome{0, 0, 0}));
        std::ifstream created(workspace / "created");
        std::string content;
        created >> content;
        CHECK(content == "airlock");
    }
    SUBCASE("writes outside are refused and leave the host untouched") {
        CHECK(same(outcome(confined, "write_outside"), Outcome{-1, EACCES, 0}));
        CHECK(same(outcome(confined, "overwrite_outside"), Outcome{-1, EACCES, 0}));
        CHECK(same(outcome(confined, "mkdir_outside"), Outcome{-1, EACCES, 0}));
        CHECK(same(outcome(confined, "unlink_outside"), Outcome{-1, EACCES, 0}));
        const Outcome renamed = outcome(confined, "rename_out_of_workspace");
        CHECK(renamed.ret == -1);
        CHECK((renamed.err == EXDEV || renamed.err == EACCES));
        CHECK(same(outcome(confined, "mknod_inside"), Outcome{-1, EACCES, 0}));
        CHECK(!std::filesystem::exists(elsewhere / "new"));
        CHECK(!std::filesystem::exists(elsewhere / "dir"));
        std::ifstream existing(elsewhere / "existing");
        std::string content;
        std::getline(existing, content);
        CHECK(content == "host data");
    }
    SUBCASE("truncation outside is refused from ABI 3 on") {
        if (g_abi >= 3) {
            CHECK(same(outcome(confined, "truncate_outside"), Outcome{-1, EACCES, 0}));
        } else {
            airlock::test::not_applicable("Landlock refusing truncate()",
                                          "Landlock ABI " + std::to_string(g_abi) + " < 3");
        }
    }
    SUBCASE("signals and abstract sockets stay inside the sandbox from ABI 6 on") {
        if (g_abi >= 6) {
            CHECK(same(outcome(confined, "signal_parent"), Outcome{-1, EPERM, 0}));
            CHECK(same(outcome(confined, "connect_host_abstract_socket"), Outcome{-1, EPERM, 0}));
        } else {
            airlock::test::not_applicable("Landlock signal and abstract-socket scoping",
                                          "Landlock ABI " + std::to_string(g_abi) + " < 6");
        }
    }
    SUBCASE("without the ruleset the same writes succeed (controls)") {
        const ChildReport free = run_probes_in_child([] { return 0; }, probes);
        REQUIRE_MESSAGE(free.setup_error == 0, free.raw);
        CHECK(outcome(free, "write_outside").ok());
        CHECK(outcome(free, "mkdir_outside").ok());
        CHECK(outcome(free, "signal_parent").ok());
        CHECK(outcome(free, "connect_host_abstract_socket").ok());
    }
    ::close(listener);
}

namespace {

// A TCP listener on 127.0.0.1 (an ephemeral port) for the connect probes.
struct TcpListener {
    int fd = -1;
    std::uint16_t port = 0;
    TcpListener() {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::listen(fd, 8) == 0);
        socklen_t len = sizeof a;
        REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
    }
    ~TcpListener() { ::close(fd); }
};

Outcome tcp_connect(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return call_result(-1);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Outcome out = call_result(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    ::close(fd);
    return out;
}

Outcome tcp_bind_any_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return call_result(-1);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    Outcome out = call_result(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a));
    ::close(fd);
    return out;
}

}  // namespace

TEST_CASE("TCP rules: connect only to the listed port, bind nowhere (ABI 4)") {
    TcpListener allowed, other;
    LandlockSpec spec;
    spec.readonly_roots = {"/"};
    spec.restrict_tcp = true;
    spec.connect_tcp_ports = {allowed.port};
    auto ruleset = build_landlock_ruleset(spec);
    if (g_abi < kLandlockTcpAbi) {
        REQUIRE_FALSE(ruleset.ok());
        CHECK(ruleset.error().describe().find("has no TCP rules") != std::string::npos);
        airlock::test::not_applicable("Landlock TCP rules", "Landlock ABI " +
                                                                std::to_string(g_abi) +
                                                                " < 4; the "
                                                                "refusal to build them is tested");
        return;
    }
    REQUIRE_MESSAGE(ruleset.ok(), (ruleset.ok() ? "" : ruleset.error().describe()));
    const int ruleset_fd = ruleset->get();
    std::vector<Probe> probes;
    probes.emplace_back("connect_allowed", [&] { return tcp_connect(allowed.port); });
    probes.emplace_back("connect_other", [&] { return tcp_connect(other.port); });
    probes.emplace_back("bind", [] { return tcp_bind_any_port(); });
    const ChildReport confined =
        run_probes_in_child([&] { return apply_landlock(ruleset_fd); }, probes);
    REQUIRE_MESSAGE(confined.setup_error == 0, confined.raw);
    CHECK(outcome(confined, "connect_allowed").ok());
    CHECK(same(outcome(confined, "connect_other"), Outcome{-1, EACCES, 0}));
    CHECK(same(outcome(confined, "bind"), Outcome{-1, EACCES, 0}));
    // Controls: without the ruleset, the same connect and bind work.
    const ChildReport free = run_probes_in_child([] { return 0; }, probes);
    CHECK(outcome(free, "connect_other").ok());
    CHECK(outcome(free, "bind").ok());
    // A rule for port 0, or a port rule without restrict_tcp, is refused.
    LandlockSpec bad = spec;
    bad.connect_tcp_ports = {0};
    CHECK_FALSE(build_landlock_ruleset(bad).ok());
    bad.connect_tcp_ports = {allowed.port};
    bad.restrict_tcp = false;
    CHECK_FALSE(build_landlock_ruleset(bad).ok());
}

TEST_CASE("bad roots are refused with an error naming the path") {
    TempDir dir;
    const std::string link = dir / "link";
    REQUIRE(::symlink("/etc", link.c_str()) == 0);

    const auto expect_error = [](const LandlockSpec& spec, const std::string& needle) {
        auto result = build_landlock_ruleset(spec);
        REQUIRE_FALSE(result.ok());
        CHECK_MESSAGE(result.error().describe().find(needle) != std::string::npos,
                      result.error().describe());
    };
    expect_error(LandlockSpec{{"/"}, {"relative/dir"}}, "'relative/dir' is not absolute");
    expect_error(LandlockSpec{{"/"}, {link}}, quoted(link) + " is not a resolved path");
    const std::string missing = dir / "missing";
    expect_error(LandlockSpec{{"/"}, {missing}}, "writable root " + quoted(missing));
    expect_error(LandlockSpec{{missing}, {}}, "readonly root " + quoted(missing));
}

int main(int argc, char** argv) {
    const LandlockProbe probe = probe_landlock();
    if (probe.abi < 1) {
        std::printf("SKIP: Landlock is unavailable: %s\n", probe.reason.c_str());
        return 77;
    }
    g_abi = probe.abi;
    std::printf("Landlock ABI %d\n", probe.abi);
    doctest::Context context(argc, argv);
    return context.run();
}
