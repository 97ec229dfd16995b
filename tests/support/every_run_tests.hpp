// Included once by every test binary's main: a run that executes no test case fails. ctest runs
// each discovered case in its own process, selected by name; a name CMake cannot carry whole (a
// ';' in it splits the name) selects nothing, and doctest would report that run as a pass that
// checked nothing. A case its own decorator skips (doctest::skip) is accounted for.
#pragma once

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

namespace airlock::test {

class EveryRunTestsListener : public doctest::IReporter {
  public:
    explicit EveryRunTestsListener(const doctest::ContextOptions&) {}
    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {
        if (ran_ > 0 || skipped_by_decorator_ > 0) return;
        std::fprintf(stderr,
                     "error: no test case ran: the filters selected none (a ctest name with a ';' "
                     "is cut there; rename the test case)\n");
        // main() returns doctest's own status after this; the exit status is taken here.
        std::atexit([] { std::_Exit(1); });
    }
    void test_case_start(const doctest::TestCaseData&) override { ++ran_; }
    void test_case_reenter(const doctest::TestCaseData&) override {}
    void test_case_end(const doctest::CurrentTestCaseStats&) override {}
    void test_case_exception(const doctest::TestCaseException&) override {}
    void subcase_start(const doctest::SubcaseSignature&) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData&) override {}
    void log_message(const doctest::MessageData&) override {}
    void test_case_skipped(const doctest::TestCaseData& data) override {
        if (data.m_skip) ++skipped_by_decorator_;
    }

  private:
    unsigned ran_ = 0;
    unsigned skipped_by_decorator_ = 0;
};

REGISTER_LISTENER("every_run_tests", 1, EveryRunTestsListener);

}  // namespace airlock::test
