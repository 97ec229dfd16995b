// Writes the compiled seccomp filter that airlock gives bwrap (`--seccomp FD`) for a call with
// the network off, so that scripts/bench.sh can run the equivalent raw bwrap command with the
// same filter on the same fd number. Usage: seccomp_export OUTPUT_FILE
#include <cstdio>
#include <fstream>

#include "sandbox/seccomp_filter.hpp"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: seccomp_export OUTPUT_FILE\n");
        return 2;
    }
    // The same options as sandbox::bwrap_seccomp_fd for a profile with network off.
    airlock::sandbox::SeccompOptions options;
    options.allow_network = false;
    options.allow_unix_sockets = false;
    auto bpf = airlock::sandbox::compile_seccomp(options);
    if (!bpf) {
        std::fprintf(stderr, "seccomp_export: %s\n", bpf.error().describe().c_str());
        return 1;
    }
    std::ofstream out(argv[1], std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bpf->data()),
              static_cast<std::streamsize>(bpf->size()));
    if (!out.flush()) {
        std::fprintf(stderr, "seccomp_export: cannot write %s\n", argv[1]);
        return 1;
    }
    return 0;
}
