// Opens files on given descriptor numbers, then execs a command: how scripts/bench.sh gives the
// raw bwrap command the descriptors airlock passes it (--json-status-fd, --seccomp) without a
// shell in the measurement. Linked statically, so that its own cost (reported by bench.sh as
// "fd_exec /bin/true") stays a fraction of a millisecond.
//   fd_exec [NUM=PATH]... -- COMMAND ARGS...
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    int i = 1;
    for (; i < argc && std::strcmp(argv[i], "--") != 0; ++i) {
        char* eq = std::strchr(argv[i], '=');
        if (eq == nullptr) {
            std::fprintf(stderr, "fd_exec: expected NUM=PATH, got '%s'\n", argv[i]);
            return 2;
        }
        *eq = '\0';
        const int target = std::atoi(argv[i]);
        const int fd = ::open(eq + 1, O_RDWR);
        if (fd < 0 || (fd != target && (::dup2(fd, target) < 0 || ::close(fd) != 0))) {
            std::fprintf(stderr, "fd_exec: cannot open %s on fd %d: %s\n", eq + 1, target,
                         std::strerror(errno));
            return 2;
        }
    }
    if (i + 1 >= argc) {
        std::fprintf(stderr, "usage: fd_exec [NUM=PATH]... -- COMMAND ARGS...\n");
        return 2;
    }
    ::execvp(argv[i + 1], argv + i + 1);
    std::fprintf(stderr, "fd_exec: cannot run %s: %s\n", argv[i + 1], std::strerror(errno));
    return 127;
}
