// How a test says that (part of) what it checks does not apply to this host: the host itself
// refuses the facility, unconfined, so there is nothing for airlock to take away. The test
// still checks what it can; it never fails for the host's refusal and never passes silently.
//
// The line goes to the test's output (a doctest MESSAGE) and, when AIRLOCK_TEST_NA_LOG names a
// file, is appended there, so that scripts/test.sh can list every not-applicable case of a run.
#pragma once

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace airlock::test {

inline void not_applicable(const std::string& what, const std::string& why) {
    MESSAGE("not applicable on this host: " << what << ": " << why);
    const char* log = std::getenv("AIRLOCK_TEST_NA_LOG");
    if (log == nullptr || *log == '\0') return;
    const std::string line = what + ": " + why + "\n";
    const int fd = ::open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    // One write with O_APPEND: lines from tests running in parallel do not interleave.
    (void)!::write(fd, line.data(), line.size());
    ::close(fd);
}

}  // namespace airlock::test
