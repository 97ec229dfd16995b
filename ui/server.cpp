#include "ui/server.hpp"

#include <signal.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <iostream>
#include <memory>
#include <thread>

#include "ui/access.hpp"
#include "ui/api.hpp"
#include "ui/approval_desk.hpp"
#include "ui/assets.hpp"
#include "ui/run_index.hpp"
#include "wal/follow.hpp"
#include "wal/reader.hpp"
#include "wal/verify.hpp"

namespace airlock::ui {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr int kMaxConnections = 64;
constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kBodyLimit = 4 * 1024;  // only an answer has a body: an id and a word

struct Context {
    Context(std::vector<std::filesystem::path> workspaces, std::string t, unsigned short p)
        : index(workspaces), desk(workspaces), token(std::move(t)), port(p) {}
    RunIndex index;
    ApprovalDesk desk;
    const std::string token;
    const unsigned short port;
    std::atomic<int> connections{0};
};

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response make_response(const Request& req, http::status status, std::string_view type,
                       std::string body) {
    Response res{status, req.version()};
    for (const auto& [name, value] : security_headers())
        res.set(name, value);
    if (!type.empty()) res.set(http::field::content_type, type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(body);
    res.prepare_payload();
    if (req.method() == http::verb::head) res.body().clear();
    return res;
}

struct ClientGone {};

// Server-Sent Events: every verified record of the run after `after`, then what is appended,
// until the run's final record, a break in the chain, or the client goes away.
void stream_events(tcp::socket& socket, Context& ctx, const Request& req, std::string_view query) {
    auto send = [&](const std::string& text) {
        boost::system::error_code ec;
        asio::write(socket, asio::buffer(text), ec);
        if (ec) throw ClientGone{};
    };
    std::size_t ws = 0;
    if (auto w = query_param(query, "ws")) {
        auto [end, ec] = std::from_chars(w->data(), w->data() + w->size(), ws);
        if (ec != std::errc{} || end != w->data() + w->size()) ws = SIZE_MAX;
    }
    const std::string id = query_param(query, "id").value_or("");
    // Reconnecting EventSources send Last-Event-ID; a first connection may say ?after=SEQ.
    std::uint64_t after = 0;
    std::string resume(req["Last-Event-ID"]);
    if (resume.empty()) resume = query_param(query, "after").value_or("");
    if (!resume.empty()) std::from_chars(resume.data(), resume.data() + resume.size(), after);

    auto file = ctx.index.log_file(ws, id);
    Result<wal::LogReader> reader =
        file ? wal::LogReader::open(*file, id) : Result<wal::LogReader>(file.error());
    if (!reader) {
        auto res = make_response(req, http::status::not_found, "application/json",
                                 dump({{"error", reader.error().describe()}}));
        res.keep_alive(false);
        boost::system::error_code ec;
        http::write(socket, res, ec);
        return;
    }
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n";
    for (const auto& [name, value] : security_headers())
        head += name + ": " + value + "\r\n";
    send(head + "\r\nretry: 1000\n\n");
    auto on_record = [&](const wal::Record& r) {
        if (r.seq <= after) return;
        send("id: " + std::to_string(r.seq) + "\nevent: record\ndata: " + dump(record_json(r)) +
             "\n\n");
    };
    // The socket is the stop descriptor: it becomes readable when the browser closes it.
    auto end = wal::follow(*reader, on_record, socket.native_handle());
    if (!end || *end == wal::FollowEnd::stopped) return;
    send("event: end\ndata: " + dump(wal::to_json(wal::verify(*reader))) + "\n\n");
}

// Server-Sent Events: the pending asks (`--approve web`) whenever they change, and a comment
// every 10 s so that a page that went away is noticed.
void stream_asks(tcp::socket& socket, Context& ctx) {
    auto send = [&](const std::string& text) {
        boost::system::error_code ec;
        asio::write(socket, asio::buffer(text), ec);
        if (ec) throw ClientGone{};
    };
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n";
    for (const auto& [name, value] : security_headers())
        head += name + ": " + value + "\r\n";
    send(head + "\r\nretry: 1000\n\n");
    std::uint64_t seen = 0;
    for (;;) {
        const std::uint64_t now = ctx.desk.wait_change(seen, std::chrono::seconds(10));
        if (now == seen) {
            send(": still here\n\n");
            continue;
        }
        auto snapshot = ctx.desk.snapshot();
        seen = snapshot["version"].get<std::uint64_t>();
        send("event: asks\ndata: " + dump(snapshot) + "\n\n");
    }
}

// POST /api/asks/answer {"id": ..., "decision": "approved"|"approved_for_session"|"denied"}
ApiResponse answer_ask(Context& ctx, const std::string& body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_string() ||
        !j.contains("decision") || !j["decision"].is_string() || j.size() != 2)
        return {400, dump({{"error", "expected {\"id\": ..., \"decision\": ...}"}})};
    switch (ctx.desk.answer(j["id"].get<std::string>(), j["decision"].get<std::string>())) {
        case ApprovalDesk::Answered::ok:
            return {200, dump({{"ok", true}})};
        case ApprovalDesk::Answered::bad_decision:
            return {400,
                    dump({{"error", "decision must be approved, approved_for_session or denied"}})};
        case ApprovalDesk::Answered::no_such_ask:
            break;
    }
    return {404, dump({{"error", "no such ask: answered, timed out or withdrawn"}})};
}

void route(tcp::socket& socket, Context& ctx, const Request& req, bool& keep_going) {
    const AccessRequest ar{
        std::string_view(req.method_string().data(), req.method_string().size()),
        std::string_view(req.target().data(), req.target().size()),
        std::string_view(req[http::field::host].data(), req[http::field::host].size()),
        std::string_view(req[http::field::origin].data(), req[http::field::origin].size()),
        std::string_view(req[http::field::cookie].data(), req[http::field::cookie].size()),
        std::string_view(req[http::field::content_type].data(),
                         req[http::field::content_type].size()),
        std::string_view(req["Sec-Fetch-Site"].data(), req["Sec-Fetch-Site"].size())};
    const AccessDecision access = check_access(ar, ctx.token, ctx.port);
    Response res;
    const Target target = split_target(ar.target);
    switch (access.access) {
        case Access::forbidden:
            res = make_response(req, http::status::forbidden, "", "");
            res.keep_alive(false);
            break;
        case Access::not_allowed:
            res = make_response(req, http::status::method_not_allowed, "", "");
            res.set(http::field::allow, target.path == kAnswerPath ? "POST" : "GET, HEAD");
            break;
        case Access::set_cookie:
            res = make_response(req, http::status::see_other, "", "");
            res.set(http::field::location, access.location);
            res.set(http::field::set_cookie, token_cookie(ctx.token));
            break;
        case Access::allowed:
            if (target.path == kAnswerPath && req.method() != http::verb::post) {
                res = make_response(req, http::status::method_not_allowed, "", "");
                res.set(http::field::allow, "POST");
                break;
            }
            if (target.path == "/api/asks/stream") {
                stream_asks(socket, ctx);
                keep_going = false;
                return;
            }
            if (target.path == "/api/events") {
                stream_events(socket, ctx, req, target.query);
                keep_going = false;
                return;
            }
            if (target.path.starts_with("/api/")) {
                ApiResponse api{404, dump({{"error", "no such endpoint"}})};
                if (target.path == kAnswerPath)
                    api = answer_ask(ctx, req.body());
                else if (target.path == "/api/asks")
                    api = {200, dump(ctx.desk.snapshot())};
                else if (target.path == "/api/runs")
                    api = runs_response(ctx.index, target.query);
                else if (target.path == "/api/run")
                    api = run_response(ctx.index, target.query);
                else if (target.path == "/api/call")
                    api = call_response(ctx.index, target.query);
                res = make_response(req, static_cast<http::status>(api.status), "application/json",
                                    std::move(api.body));
                break;
            }
            const Asset* asset =
                find_asset(target.path == "/" ? "index.html" : target.path.substr(1));
            if (asset == nullptr)
                res = make_response(req, http::status::not_found, "text/plain; charset=utf-8",
                                    "not found\n");
            else
                res = make_response(req, http::status::ok, asset->content_type,
                                    std::string(asset->bytes));
            break;
    }
    boost::system::error_code ec;
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) keep_going = false;
}

void connection(tcp::socket socket, Context& ctx) {
    struct Count {
        std::atomic<int>& n;
        ~Count() { --n; }
    } count{ctx.connections};
    try {
        beast::flat_buffer buffer;
        for (bool keep_going = true; keep_going;) {
            http::request_parser<http::string_body> parser;
            parser.header_limit(kHeaderLimit);
            parser.body_limit(kBodyLimit);
            boost::system::error_code ec;
            http::read(socket, buffer, parser, ec);
            if (ec) return;
            route(socket, ctx, parser.get(), keep_going);
        }
    } catch (const ClientGone&) {
    } catch (const std::exception&) {
        // One broken connection never takes the server down.
    }
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

Result<void> serve(const ServerOptions& options,
                   const std::function<void(const std::string&)>& ready) {
    auto token = new_token();
    if (!token) return token.error();
    // A browser that goes away mid-write must not end the server.
    ::signal(SIGPIPE, SIG_IGN);
    asio::io_context io;
    tcp::acceptor acceptor(io);
    boost::system::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), options.port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        return make_error("ui", "cannot listen on 127.0.0.1:" + std::to_string(options.port) +
                                    ": " + ec.message());
    auto ctx =
        std::make_shared<Context>(options.workspaces, *token, acceptor.local_endpoint().port());
    for (const auto& warning : ctx->desk.warnings())
        std::cerr << "airlock ui: " << warning << "\n";
    ctx->desk.start();
    ready("http://127.0.0.1:" + std::to_string(ctx->port) + "/?token=" + ctx->token);
    for (;;) {
        tcp::socket socket(io);
        acceptor.accept(socket, ec);
        if (ec) {
            if (ec == asio::error::interrupted || ec == asio::error::connection_aborted) continue;
            return make_error("ui", "accept failed: " + ec.message());
        }
        if (ctx->connections >= kMaxConnections) continue;  // closed by the socket's destructor
        ++ctx->connections;
        std::thread([socket = std::move(socket), ctx]() mutable {
            connection(std::move(socket), *ctx);
        }).detach();
    }
}

}  // namespace airlock::ui
