// Sustained spawn rate of a command at a fixed parallelism: the floor that `airlock serve` is
// compared with (the raw bwrap command, spawned as fast as the machine allows).
//   spawn_rate --parallel N --calls TOTAL [--fd NUM=PATH]... -- COMMAND ARGS...
// Each worker thread spawns COMMAND (stdin, stdout and stderr on /dev/null; every --fd opens
// PATH read-only on fd NUM in the child) and waits for it, until TOTAL calls are done. Prints one
// JSON object: parallel, calls, failures, seconds, calls_per_s, p50_ms, p99_ms.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct FdSpec {
    int fd;
    std::string path;
};

struct Options {
    int parallel = 1;
    long calls = 100;
    std::vector<FdSpec> fds;
    std::vector<std::string> command;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "spawn_rate: %s\nusage: spawn_rate --parallel N --calls TOTAL "
                 "[--fd NUM=PATH]... -- COMMAND ARGS...\n",
                 why);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
        const std::string value = argv[++i];
        if (arg == "--parallel") {
            o.parallel = std::atoi(value.c_str());
        } else if (arg == "--calls") {
            o.calls = std::atol(value.c_str());
        } else if (arg == "--fd") {
            const auto eq = value.find('=');
            if (eq == std::string::npos) usage("--fd takes NUM=PATH");
            o.fds.push_back({std::atoi(value.substr(0, eq).c_str()), value.substr(eq + 1)});
        } else {
            usage(("unknown option " + arg).c_str());
        }
    }
    for (; i < argc; ++i)
        o.command.emplace_back(argv[i]);
    if (o.parallel < 1 || o.calls < 1) usage("--parallel and --calls must be positive");
    if (o.command.empty()) usage("no command");
    return o;
}

// One spawn and wait; true when the command exited 0.
bool spawn_once(const Options& o, char* const* argv) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    for (const auto& f : o.fds)
        posix_spawn_file_actions_addopen(&actions, f.fd, f.path.c_str(), O_RDWR, 0);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return false;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return false;
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    std::vector<char*> cargv;
    for (const auto& s : o.command)
        cargv.push_back(const_cast<char*>(s.c_str()));
    cargv.push_back(nullptr);

    std::atomic<long> next{0};
    std::atomic<long> failures{0};
    std::mutex latencies_mutex;
    std::vector<double> latencies_ms;
    latencies_ms.reserve(static_cast<std::size_t>(o.calls));

    const auto start = Clock::now();
    std::vector<std::thread> workers;
    for (int w = 0; w < o.parallel; ++w) {
        workers.emplace_back([&] {
            std::vector<double> mine;
            while (next.fetch_add(1) < o.calls) {
                const auto t0 = Clock::now();
                if (!spawn_once(o, cargv.data())) failures.fetch_add(1);
                mine.push_back(
                    std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            }
            std::lock_guard lock(latencies_mutex);
            latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
        });
    }
    for (auto& t : workers)
        t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

    std::sort(latencies_ms.begin(), latencies_ms.end());
    const auto at = [&](double q) {
        const auto idx = static_cast<std::size_t>(q * static_cast<double>(latencies_ms.size() - 1));
        return latencies_ms[idx];
    };
    std::printf(
        "{\"parallel\": %d, \"calls\": %zu, \"failures\": %ld, \"seconds\": %.3f, "
        "\"calls_per_s\": %.1f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}\n",
        o.parallel, latencies_ms.size(), failures.load(), seconds,
        static_cast<double>(latencies_ms.size()) / seconds, at(0.5), at(0.99));
    return failures.load() == 0 ? 0 : 1;
}
