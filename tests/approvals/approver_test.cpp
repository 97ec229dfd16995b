#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "approvals/approvals.hpp"
#include "test_support.hpp"

using namespace airlock;
using namespace airlock::approvals;
using namespace airlock::approvals::test;

namespace {

// Answers from a script of decisions and records what it was asked.
struct Script {
    std::mutex mutex;
    std::deque<ApprovalDecision> answers;
    std::vector<std::string> asked_keys;
};

class ScriptedProvider final : public Provider {
  public:
    explicit ScriptedProvider(std::shared_ptr<Script> script) : script_(std::move(script)) {}
    std::string name() const override { return "scripted"; }
    ApprovalAnswer ask(const ApprovalRequest& request) override {
        std::lock_guard lock(script_->mutex);
        script_->asked_keys.push_back(request.key);
        REQUIRE_FALSE(script_->answers.empty());
        const auto d = script_->answers.front();
        script_->answers.pop_front();
        return {d, "scripted " + std::string(decision_name(d)), "scripted", 0};
    }

  private:
    std::shared_ptr<Script> script_;
};

struct Fixture {
    std::shared_ptr<Script> script = std::make_shared<Script>();
    Approver make(int max_denials = 2) {
        policy::ApprovalSettings settings;
        settings.max_repeated_denials = max_denials;
        return Approver(std::make_unique<ScriptedProvider>(script), settings);
    }
    void answers(std::initializer_list<ApprovalDecision> ds) {
        script->answers.insert(script->answers.end(), ds.begin(), ds.end());
    }
    std::size_t asks() const { return script->asked_keys.size(); }
};

using D = ApprovalDecision;

}  // namespace

TEST_CASE("approver: approved_for_session answers the identical request from the cache") {
    Fixture f;
    Approver approver = f.make();
    f.answers({D::approved_for_session});
    const auto request = request_for(shell_call({"make", "test"}, "src"), {"PATH"});

    const Outcome first = approver.decide(request);
    CHECK(first.answer.decision == D::approved_for_session);
    CHECK_FALSE(first.from_session_cache);

    const Outcome second = approver.decide(request);
    CHECK(second.answer.decision == D::approved);
    CHECK(second.from_session_cache);
    CHECK(second.answer.seconds == 0);
    CHECK(f.asks() == 1);
}

TEST_CASE("approver: the session cache never widens to a different sanitized request") {
    Fixture f;
    Approver approver = f.make(100);
    f.answers({D::approved_for_session});
    REQUIRE(approver.decide(request_for(shell_call({"make", "test"}, "src"), {"PATH"}))
                .answer.decision == D::approved_for_session);

    const std::vector<ApprovalRequest> different = {
        request_for(shell_call({"make", "test", "-j8"}, "src"), {"PATH"}),         // argv
        request_for(shell_call({"make", "test"}, "lib"), {"PATH"}),                // cwd
        request_for(shell_call({"make", "test"}, "src"), {"PATH", "LD_PRELOAD"}),  // env keys
        request_for(write_call("src", "make test")),                               // tool
    };
    for (const auto& request : different) {
        f.answers({D::denied});
        const Outcome o = approver.decide(request);
        CHECK_FALSE(o.from_session_cache);
        CHECK(o.answer.decision == D::denied);
    }
    CHECK(f.asks() == 1 + different.size());

    // File content: approving one content for the session does not approve another.
    f.answers({D::approved_for_session, D::denied});
    approver.decide(request_for(write_call("a.txt", "v1")));
    CHECK(approver.decide(request_for(write_call("a.txt", "v1"))).from_session_cache);
    const Outcome changed = approver.decide(request_for(write_call("a.txt", "v2")));
    CHECK_FALSE(changed.from_session_cache);
    CHECK(changed.answer.decision == D::denied);
}

TEST_CASE("approver: approved (once) is not remembered") {
    Fixture f;
    Approver approver = f.make();
    f.answers({D::approved, D::approved});
    const auto request = request_for(shell_call({"ls"}));
    CHECK_FALSE(approver.decide(request).from_session_cache);
    CHECK_FALSE(approver.decide(request).from_session_cache);
    CHECK(f.asks() == 2);
}

TEST_CASE("approver: the key is recomputed, a wrong request.key is not trusted") {
    Fixture f;
    Approver approver = f.make();
    f.answers({D::approved_for_session, D::denied});
    auto first = request_for(shell_call({"ls"}));
    first.key = "forged";
    approver.decide(first);
    CHECK(f.script->asked_keys.at(0) == approval_key(first.call, first.env_keys));

    // A different call claiming the first call's key is still asked.
    auto other = request_for(shell_call({"rm", "-rf", "/"}));
    other.key = approval_key(first.call, first.env_keys);
    CHECK_FALSE(approver.decide(other).from_session_cache);
    CHECK(f.asks() == 2);
}

TEST_CASE("approver: loop guard aborts after the same key is denied twice (default)") {
    Fixture f;
    Approver approver = f.make(policy::ApprovalSettings{}.max_repeated_denials);
    f.answers({D::denied, D::denied});
    const auto request = request_for(shell_call({"rm", "-rf", "build"}));

    const Outcome first = approver.decide(request);
    CHECK(first.answer.decision == D::denied);
    CHECK_FALSE(first.loop_guard);
    CHECK_FALSE(approver.run_aborted());

    const Outcome second = approver.decide(request);
    CHECK(second.answer.decision == D::denied);
    CHECK(second.loop_guard);
    CHECK(approver.run_aborted());
    CHECK(approver.abort_reason() == "loop_guard");

    // Any later call is refused without asking, and says why.
    const Outcome later = approver.decide(request_for(shell_call({"ls"})));
    CHECK(later.answer.decision == D::denied);
    CHECK(later.loop_guard);
    CHECK(later.answer.reason.find("loop guard") != std::string::npos);
    CHECK(f.asks() == 2);
}

TEST_CASE("approver: denials of different keys do not trip the loop guard") {
    Fixture f;
    Approver approver = f.make(2);
    f.answers({D::denied, D::denied, D::denied});
    CHECK_FALSE(approver.decide(request_for(shell_call({"a"}))).loop_guard);
    CHECK_FALSE(approver.decide(request_for(shell_call({"b"}))).loop_guard);
    CHECK_FALSE(approver.decide(request_for(shell_call({"c"}))).loop_guard);
    CHECK_FALSE(approver.run_aborted());
}

TEST_CASE("approver: the loop guard limit comes from the settings, and timed_out counts") {
    Fixture f;
    Approver approver = f.make(3);
    f.answers({D::timed_out, D::denied, D::timed_out});
    const auto request = request_for(shell_call({"curl", "example.com"}));
    CHECK_FALSE(approver.decide(request).loop_guard);
    CHECK_FALSE(approver.decide(request).loop_guard);
    CHECK_FALSE(approver.run_aborted());
    const Outcome third = approver.decide(request);
    CHECK(third.answer.decision == D::timed_out);
    CHECK(third.loop_guard);
    CHECK(approver.run_aborted());
}

TEST_CASE("approver: a grant between denials does not reset nor trip the guard") {
    Fixture f;
    Approver approver = f.make(2);
    f.answers({D::denied, D::approved, D::denied});
    const auto request = request_for(shell_call({"x"}));
    CHECK_FALSE(approver.decide(request).loop_guard);
    CHECK(approver.decide(request).answer.decision == D::approved);
    CHECK(approver.decide(request).loop_guard);  // second denial of the key in this run
}

TEST_CASE("approver: abort ends the run") {
    Fixture f;
    Approver approver = f.make();
    f.answers({D::abort});
    const Outcome o = approver.decide(request_for(shell_call({"ls"})));
    CHECK(o.answer.decision == D::abort);
    CHECK_FALSE(grants(o.answer.decision));
    CHECK_FALSE(o.loop_guard);
    CHECK(approver.run_aborted());
    CHECK(approver.abort_reason() == "abort");

    const Outcome later = approver.decide(request_for(shell_call({"ls"})));
    CHECK(later.answer.decision == D::denied);
    CHECK_FALSE(later.loop_guard);
    CHECK(f.asks() == 1);
}

TEST_CASE("approver: a session approval does not outlive an abort") {
    Fixture f;
    Approver approver = f.make();
    f.answers({D::approved_for_session, D::abort});
    const auto cached = request_for(shell_call({"ls"}));
    approver.decide(cached);
    approver.decide(request_for(shell_call({"rm", "x"})));
    CHECK(approver.decide(cached).answer.decision == D::denied);
}

TEST_CASE("approver: the answer time is recorded") {
    Fixture f;
    Approver approver = f.make();
    f.answers({D::approved});
    const Outcome o = approver.decide(request_for(shell_call({"ls"})));
    CHECK(o.answer.seconds >= 0);
    CHECK(o.answer.seconds < 60);
    CHECK(o.answer.provider == "scripted");
}

namespace {

// Blocks every ask until released, so that tests can hold asks open at the same time.
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    int asking = 0;
    int max_asking = 0;
    int total = 0;
    bool open = false;
    ApprovalDecision answer = D::approved_for_session;

    template <class Pred>
    bool wait_for(Pred pred) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(20), pred);  // failure bound only
    }
};

class GatedProvider final : public Provider {
  public:
    explicit GatedProvider(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
    std::string name() const override { return "gated"; }
    ApprovalAnswer ask(const ApprovalRequest&) override {
        std::unique_lock lock(gate_->mutex);
        ++gate_->asking;
        ++gate_->total;
        gate_->max_asking = std::max(gate_->max_asking, gate_->asking);
        gate_->changed.notify_all();
        gate_->changed.wait(lock, [&] { return gate_->open; });
        --gate_->asking;
        return {gate_->answer, "gated", "gated", 0};
    }

  private:
    std::shared_ptr<Gate> gate_;
};

}  // namespace

TEST_CASE("approver: asks for different keys run at the same time (no lock held)") {
    auto gate = std::make_shared<Gate>();
    gate->answer = D::approved;
    Approver approver(std::make_unique<GatedProvider>(gate), {});
    std::thread a([&] { approver.decide(request_for(shell_call({"a"}))); });
    std::thread b([&] { approver.decide(request_for(shell_call({"b"}))); });
    // Both asks are in the provider at once; with a lock held around ask() this would not happen.
    const bool both = gate->wait_for([&] { return gate->asking == 2; });
    {
        std::lock_guard lock(gate->mutex);
        gate->open = true;
        gate->changed.notify_all();
    }
    a.join();
    b.join();
    CHECK(both);
    CHECK(gate->max_asking == 2);
}

TEST_CASE("approver: a concurrent ask for a pending key waits and uses a session answer") {
    auto gate = std::make_shared<Gate>();
    gate->answer = D::approved_for_session;
    Approver approver(std::make_unique<GatedProvider>(gate), {});
    const auto request = request_for(shell_call({"make"}));
    Outcome first, second;
    std::thread a([&] { first = approver.decide(request); });
    REQUIRE(gate->wait_for([&] { return gate->asking == 1; }));
    std::thread b([&] { second = approver.decide(request); });
    {
        std::lock_guard lock(gate->mutex);
        gate->open = true;
        gate->changed.notify_all();
    }
    a.join();
    b.join();
    CHECK(gate->total == 1);
    CHECK(first.answer.decision == D::approved_for_session);
    CHECK(second.from_session_cache);
}

TEST_CASE("approver: a network destination's key gets the session cache and the loop guard") {
    Fixture f;
    Approver approver = f.make();
    auto ask = [](std::string host, std::uint16_t port, ToolCall call) {
        ApprovalRequest r;
        r.call = std::move(call);
        r.network = NetworkDestination{std::move(host), port};
        r.verdict.decision = policy::Decision::ask;
        r.key = "not trusted";
        return r;
    };
    f.answers({D::approved_for_session, D::denied, D::denied});
    CHECK(approver.decide(ask("pypi.org", 443, shell_call({"pip"}))).answer.decision ==
          D::approved_for_session);
    // Another call's command, the same host and port: from the cache.
    const Outcome cached = approver.decide(ask("pypi.org", 443, shell_call({"curl"})));
    CHECK(cached.from_session_cache);
    CHECK(f.asks() == 1);
    CHECK(f.script->asked_keys[0] == network_approval_key({"pypi.org", 443}));
    // Another port is another key; two denials of it trip the loop guard.
    CHECK_FALSE(approver.decide(ask("pypi.org", 80, shell_call({"pip"}))).loop_guard);
    CHECK(approver.decide(ask("pypi.org", 80, shell_call({"pip"}))).loop_guard);
    CHECK(approver.run_aborted());
    CHECK(f.asks() == 3);
}
