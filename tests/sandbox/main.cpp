// The escape suite keeps its scratch workspaces on the host's real filesystem (not under /tmp,
// which is a private tmpfs inside the sandbox): an escaping write then meets the read-only
// host instead of vanishing into the sandbox's own /tmp, so a refusal is visible as an error.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    namespace fs = std::filesystem;
    std::string base = "/var/tmp";
    if (const char* given = std::getenv("AIRLOCK_ESCAPE_SCRATCH")) base = given;
    std::string tmpl = base + "/airlock-escape.XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
        std::cerr << "escape suite: cannot create a scratch directory under " << base << "\n";
        return 1;
    }
    // As root, the sandbox is another user: it must be able to enter the scratch directory, so
    // that the scenarios meet the sandbox's own protections rather than this mode.
    ::chmod(tmpl.c_str(), 0755);
    ::setenv("TMPDIR", tmpl.c_str(), 1);
    doctest::Context context(argc, argv);
    const int rc = context.run();
    std::error_code ec;
    fs::remove_all(tmpl, ec);
    return rc;
}
