// Runs a list of probes in a forked child after a setup step (e.g. installing a filter) and
// brings their outcomes back to the parent through a pipe, so that assertions run in the
// parent and a filter never touches the test process itself.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace airlock::test {

struct Outcome {
    long ret = 0;    // return value of the call (or a probe-defined value)
    int err = 0;     // errno when ret == -1, else 0
    int signal = 0;  // for probes run in a grandchild: the signal that killed it, 0 otherwise

    bool ok() const { return ret >= 0 && signal == 0; }
};

// Returns -1 with errno, or the value.
Outcome call_result(long ret);

// Runs `body` in a forked grandchild; returns its exit status as ret, or the killing signal.
Outcome in_grandchild(const std::function<void()>& body);

using Probe = std::pair<std::string, std::function<Outcome()>>;

struct ChildReport {
    int setup_error = 0;  // errno returned by setup, 0 if it succeeded
    std::map<std::string, Outcome> outcomes;
    std::string raw;  // everything the child wrote, for failure messages
};

// `setup` returns 0 or an errno value; when it fails no probe runs.
ChildReport run_probes_in_child(const std::function<int()>& setup,
                                const std::vector<Probe>& probes);

}  // namespace airlock::test
