// Times a command spawned the way an agent runs its hook: the event written into a pipe on its
// stdin, its stdout read to the end, stderr on /dev/null, then reaped. Nothing else is in the
// measurement (no shell, no launcher exec'd in between).
//   hook_spawn --event FILE --runs N [--warmup W] [--prepare SHELL_COMMAND] -- COMMAND ARGS...
// --prepare runs `/bin/sh -c SHELL_COMMAND` before every run, warm-ups included, untimed.
// Prints one JSON object: runs, failures (runs whose status was not 0), times_ms (each run).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern char** environ;

namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "hook_spawn: %s\n", what.c_str());
    std::exit(2);
}

// Spawns argv with stdin the read end of a pipe that already holds `input` and stdout a pipe
// read to its end; returns the exit status (-1 when it did not exit normally).
int run_once(char* const argv[], const std::string& input) {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) die("pipe2 failed");
    // An event fits in the pipe's buffer: written before the spawn, it never blocks, and a
    // command that does not read it (the /bin/true baseline) costs no SIGPIPE.
    if (::write(in[1], input.data(), input.size()) != static_cast<ssize_t>(input.size()))
        die("the event does not fit in a pipe");
    ::close(in[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) die(std::string("cannot spawn ") + argv[0] + ": " + std::strerror(rc));
    char buf[4096];
    while (::read(out[0], buf, sizeof buf) > 0) {
    }
    ::close(out[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid failed");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void prepare(const std::string& command) {
    if (command.empty()) return;
    const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
    pid_t pid = 0;
    if (::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
        0)
        die("cannot run the --prepare command");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) die("waitpid failed");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the --prepare command failed");
}

}  // namespace

int main(int argc, char** argv) {
    std::string event_path, prepare_command;
    long runs = 0, warmup = 0;
    int i = 1;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) die("missing value after " + a);
        if (a == "--event")
            event_path = argv[++i];
        else if (a == "--runs")
            runs = std::atol(argv[++i]);
        else if (a == "--warmup")
            warmup = std::atol(argv[++i]);
        else if (a == "--prepare")
            prepare_command = argv[++i];
        else
            die("unknown option " + a);
    }
    if (event_path.empty() || runs <= 0 || i + 1 >= argc)
        die("usage: hook_spawn --event FILE --runs N [--warmup W] [--prepare SHELL_COMMAND] -- "
            "COMMAND ARGS...");
    std::ifstream in(event_path, std::ios::binary);
    if (!in) die("cannot read " + event_path);
    const std::string event((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    char* const* command = argv + i + 1;

    for (long w = 0; w < warmup; ++w) {
        prepare(prepare_command);
        run_once(command, event);
    }
    std::vector<double> times;
    long failures = 0;
    for (long r = 0; r < runs; ++r) {
        prepare(prepare_command);
        const auto t0 = std::chrono::steady_clock::now();
        if (run_once(command, event) != 0) ++failures;
        times.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
    }
    std::printf("{\"runs\": %ld, \"failures\": %ld, \"times_ms\": [", runs, failures);
    for (std::size_t k = 0; k < times.size(); ++k)
        std::printf("%s%.4f", k ? ", " : "", times[k]);
    std::printf("]}\n");
    return 0;
}
