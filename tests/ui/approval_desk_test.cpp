// `--approve web` in one process: the approvals provider asks through the workspace's socket,
// the desk of `airlock ui` holds the ask until it is answered, withdrawn or the desk closes.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <future>

#include "airlock_runner.hpp"
#include "approvals/approvals.hpp"
#include "platform/approval_socket.hpp"
#include "ui/approval_desk.hpp"

using namespace airlock;
using namespace airlock::test;
using airlock::ui::ApprovalDesk;

namespace {

approvals::ApprovalRequest touch_request() {
    approvals::ApprovalRequest r;
    r.call.call_id = "c1";
    r.call.tool = Tool::shell_exec;
    r.call.argv = {"touch", "x"};
    r.call.cwd = ".";
    r.env_keys = {"PATH"};
    r.key = approvals::approval_key(r.call, r.env_keys);
    return r;
}

Result<std::unique_ptr<approvals::Provider>> web(const fs::path& ws, int timeout_seconds = 30) {
    approvals::ProviderOptions o;
    o.timeout_seconds = timeout_seconds;
    o.workspace = ws;
    return approvals::make_provider("web", o);
}

// The asks the desk holds once it has `n` of them (waits on the desk's own notification).
nlohmann::ordered_json wait_for_asks(const ApprovalDesk& desk, std::size_t n) {
    for (;;) {
        auto s = desk.snapshot();
        if (s["asks"].size() == n) return s["asks"];
        desk.wait_change(s["version"].get<std::uint64_t>(), std::chrono::seconds(5));
    }
}

}  // namespace

TEST_CASE("web approvals: without an airlock ui it is a configuration error") {
    TempDir ws;
    auto p = web(ws.path());
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().stage == "config");
    CHECK(p.error().describe().find("no airlock ui answers approvals") != std::string::npos);
    // Positive control: with the desk listening, the provider is made.
    ApprovalDesk desk({ws.path()});
    desk.start();
    CHECK(web(ws.path()).ok());
}

TEST_CASE("web approvals: the page's answer is the provider's, with provider web") {
    TempDir ws;
    ApprovalDesk desk({ws.path()});
    desk.start();
    auto provider = web(ws.path());
    REQUIRE(provider.ok());
    for (const char* decision : {"approved", "approved_for_session", "denied"}) {
        auto answer =
            std::async(std::launch::async, [&] { return (*provider)->ask(touch_request()); });
        auto asks = wait_for_asks(desk, 1);
        CHECK(asks[0]["ask"]["request"]["argv"] == nlohmann::ordered_json({"touch", "x"}));
        CHECK(asks[0]["ask"]["key"] == touch_request().key);
        CHECK(asks[0]["timeout_seconds"] == 30);
        const std::string id = asks[0]["id"];
        CHECK(desk.answer(id, "maybe") == ApprovalDesk::Answered::bad_decision);
        CHECK(desk.answer("nope", decision) == ApprovalDesk::Answered::no_such_ask);
        CHECK(desk.answer(id, decision) == ApprovalDesk::Answered::ok);
        // Answered once only.
        CHECK(desk.answer(id, "approved") == ApprovalDesk::Answered::no_such_ask);
        const auto a = answer.get();
        CHECK(a.provider == "web");
        CHECK(approvals::decision_name(a.decision) == decision);
        CHECK(a.reason.find("on the page") != std::string::npos);
        wait_for_asks(desk, 0);
    }
}

TEST_CASE("web approvals: nobody answers -> timed_out, and the ask leaves the desk") {
    TempDir ws;
    ApprovalDesk desk({ws.path()});
    desk.start();
    auto provider = web(ws.path(), 1);
    REQUIRE(provider.ok());
    auto answer = std::async(std::launch::async, [&] { return (*provider)->ask(touch_request()); });
    wait_for_asks(desk, 1);
    const auto a = answer.get();
    CHECK(a.decision == approvals::ApprovalDecision::timed_out);
    CHECK(a.reason == "nobody answered on the page within 1 s");
    CHECK(wait_for_asks(desk, 0).empty());
}

TEST_CASE("web approvals: the ui going away while an ask waits is a denial") {
    TempDir ws;
    auto desk = std::make_unique<ApprovalDesk>(std::vector<fs::path>{ws.path()});
    desk->start();
    auto provider = web(ws.path());
    REQUIRE(provider.ok());
    auto answer = std::async(std::launch::async, [&] { return (*provider)->ask(touch_request()); });
    wait_for_asks(*desk, 1);
    desk.reset();
    const auto a = answer.get();
    CHECK(a.decision == approvals::ApprovalDecision::denied);
    CHECK(a.reason.find("went away") != std::string::npos);
    // The socket is gone with it: a new provider is a configuration error again.
    CHECK_FALSE(fs::exists(approval_socket_path(ws.path())));
    CHECK_FALSE(web(ws.path()).ok());
}

TEST_CASE("web approvals: one desk per workspace, and a stale socket is replaced") {
    TempDir ws;
    {
        ApprovalDesk first({ws.path()});
        ApprovalDesk second({ws.path()});
        CHECK(first.warnings().empty());
        REQUIRE(second.warnings().size() == 1);
        CHECK(second.snapshot()["workspaces"][0]["approvals"] == "elsewhere");
        CHECK(first.snapshot()["workspaces"][0]["approvals"] == "here");
    }
    // A socket file left by a process that ended (bound, then closed: nobody listens).
    const fs::path sock = approval_socket_path(ws.path());
    {
        auto address = unix_address(sock);
        REQUIRE(address.ok());
        UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
        REQUIRE(::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address->address),
                       sizeof address->address) == 0);
    }
    CHECK_FALSE(web(ws.path()).ok());
    REQUIRE(fs::exists(sock));
    ApprovalDesk again({ws.path()});
    again.start();
    CHECK(again.warnings().empty());
    CHECK(web(ws.path()).ok());
}

TEST_CASE("web approvals: a workspace whose socket path is longer than a unix socket's limit") {
    TempDir dir;
    const fs::path ws = dir.path() / std::string(100, 'w');
    fs::create_directories(ws);
    REQUIRE(approval_socket_path(ws).string().size() > sizeof(sockaddr_un::sun_path));
    ApprovalDesk desk({ws});
    desk.start();
    CHECK(desk.warnings().empty());
    auto provider = web(ws);
    REQUIRE(provider.ok());
    auto answer = std::async(std::launch::async, [&] { return (*provider)->ask(touch_request()); });
    const std::string id = wait_for_asks(desk, 1)[0]["id"];
    CHECK(desk.answer(id, "approved") == ApprovalDesk::Answered::ok);
    CHECK(answer.get().decision == approvals::ApprovalDecision::approved);
}

TEST_CASE("web approvals: the session cache and the loop guard hold for page answers") {
    TempDir ws;
    ApprovalDesk desk({ws.path()});
    desk.start();
    auto provider = web(ws.path());
    REQUIRE(provider.ok());
    approvals::Approver approver(std::move(provider).value(), policy::ApprovalSettings{2, 30});
    auto decide_with = [&](const char* decision, approvals::ApprovalRequest request) {
        auto outcome = std::async(std::launch::async,
                                  [&approver, request] { return approver.decide(request); });
        const std::string id = wait_for_asks(desk, 1)[0]["id"];
        REQUIRE(desk.answer(id, decision) == ApprovalDesk::Answered::ok);
        return outcome.get();
    };
    // Approved for the session: the identical request is not asked again (the desk stays empty).
    auto first = decide_with("approved_for_session", touch_request());
    CHECK(first.answer.provider == "web");
    auto again = approver.decide(touch_request());
    CHECK(again.from_session_cache);
    CHECK(approvals::grants(again.answer.decision));
    CHECK(desk.snapshot()["asks"].empty());
    // Another request, denied twice on the page: the loop guard ends the run.
    auto other = touch_request();
    other.call.argv = {"touch", "y"};
    CHECK_FALSE(decide_with("denied", other).loop_guard);
    CHECK(decide_with("denied", other).loop_guard);
    CHECK(approver.run_aborted());
    CHECK(approver.abort_reason() == "loop_guard");
    // Nothing is asked any more, not even what the session approved.
    CHECK_FALSE(approvals::grants(approver.decide(touch_request()).answer.decision));
    CHECK(desk.snapshot()["asks"].empty());
}
