#include "netproxy/proxy.hpp"

#include <fcntl.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include "netproxy/parse.hpp"
#include "netproxy/tunnel_arena.hpp"

namespace airlock::netproxy {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxClientHello = 70 * 1024;
// Connections set up at once that make the heap worth trimming once they are all set up.
constexpr std::size_t kTrimAfterBurst = 32;
// A tunnel's pipe once it carries bulk data (the default holds 64 KiB), and how many such
// pipes the proxy holds at most: their pages count against the user's pipe-user-pages-soft
// (64 MiB by default), past which every new pipe of that user, in any program, gets 8 KiB.
constexpr std::size_t kBulkPipe = 256 * 1024;
constexpr std::size_t kMaxBulkPipes = 8;

std::string header_safe(std::string_view s) {
    std::string out;
    for (char c : s)
        out += (c >= 0x20 && c < 0x7f) ? c : ' ';
    return out.substr(0, 300);
}

// This machine's own addresses (a connection to one reaches the host's services).
Result<std::vector<asio::ip::address>> machine_addresses() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return sys_error("network", "cannot list this machine's addresses", "getifaddrs");
    std::vector<asio::ip::address> out;
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr) continue;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            out.push_back(asio::ip::address_v4(ntohl(a->sin_addr.s_addr)));
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            asio::ip::address_v6::bytes_type b;
            std::memcpy(b.data(), a->sin6_addr.s6_addr, 16);
            out.push_back(asio::ip::address_v6(b));
        }
    }
    ::freeifaddrs(list);
    return out;
}

// One client connection and, once connected, its upstream.
struct Conn : std::enable_shared_from_this<Conn> {
    Conn(tcp::socket s, std::string from, TunnelArena* a)
        : arena(a),
          client(std::move(s)),
          upstream(client.get_executor()),
          resolver(client.get_executor()),
          timer(client.get_executor()),
          waiting(client.get_executor()),
          started(Clock::now()),
          origin(std::move(from)) {
        record.origin = origin;
    }
    TunnelArena* arena;  // where it, its relay and their pending waits live
    tcp::socket client, upstream;
    tcp::resolver resolver;
    asio::steady_timer timer;
    asio::steady_timer waiting;  // wakes a connection whose Decider answers later
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point started;
    std::string origin;
    bool open = true;
    std::string buffer;  // bytes read from the client and not yet used
    ConnectionRecord record;
    bool record_set = false;
    const char* protocol = "http";
    bool relaying = false;  // a Relay moves its bytes and ends it

    Clock::time_point armed = Clock::time_point::max();  // when the timer fires
    void touch(std::chrono::milliseconds d) {
        deadline = Clock::now() + d;
        // A deadline earlier than the timer's (an idle timeout shorter than the connect
        // timeout, a connect after an answer that came later) wakes the watch to re-arm it.
        if (deadline < armed) {
            armed = deadline;
            timer.cancel();
        }
    }
    void close() {
        if (!open) return;
        open = false;
        error_code ec;
        client.close(ec);
        upstream.close(ec);
        resolver.cancel();
        timer.cancel();
        waiting.cancel();
    }
};

// Lets a Decider's late answer reach the proxy's thread, and nothing once the proxy stopped.
struct Poster {
    std::mutex mutex;
    asio::io_context* io = nullptr;
};

// What the proxy serves for one origin, and who waits for it to close.
struct OriginState {
    std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
    std::size_t connections = 0;
    bool closed = false;
    std::vector<std::shared_ptr<std::promise<void>>> waiters;  // close_origin callers
};

// Closes the connection once its deadline has passed (slow clients, idle tunnels). A timer's
// callback rather than a coroutine: an open tunnel keeps no coroutine frame.
void watch(const std::shared_ptr<Conn>& c) {
    if (!c->open) return;
    c->armed = c->deadline;
    c->timer.expires_at(c->deadline);
    c->timer.async_wait(
        asio::bind_allocator(TunnelAllocator<void>(c->arena), [c](const error_code&) {
            if (!c->open) return;
            if (Clock::now() >= c->deadline)
                c->close();
            else
                watch(c);
        }));
}

// Reads more client bytes into c->buffer; false at end of stream or error. It waits without a
// buffer and then reads what has arrived (at most kReadChunk), so that a connection holds only
// the bytes it sent: 200 clients waiting cost no 200 read buffers.
awaitable<bool> read_more(Conn& c) {
    error_code ec;
    co_await c.client.async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    const std::size_t arrived = c.client.available(ec);
    const std::size_t want = std::clamp<std::size_t>(ec ? 1 : arrived, 1, kReadChunk);
    const std::size_t had = c.buffer.size();
    c.buffer.resize(had + want);
    const std::size_t n = c.client.read_some(asio::buffer(c.buffer.data() + had, want), ec);
    c.buffer.resize(had + n);
    co_return !ec && n > 0;
}

awaitable<bool> write_all(tcp::socket& s, std::string_view bytes) {
    error_code ec;
    co_await asio::async_write(s, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(use_awaitable, ec));
    co_return !ec;
}

std::string http_refusal(int status, std::string_view status_text, const std::string& what,
                         const std::string& reason) {
    const std::string body = "airlock refused " + what + ": " + header_safe(reason) + "\n";
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(status_text) +
           "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Airlock-Refused: " +
           header_safe(reason) +
           "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
           body;
}

std::string_view status_text(int status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 403:
            return "Forbidden";
        case 431:
            return "Request Header Fields Too Large";
        case 502:
            return "Bad Gateway";
        case 504:
            return "Gateway Timeout";
        default:
            return "Error";
    }
}

}  // namespace

struct Proxy::Impl {
    ProxyOptions options;
    std::shared_ptr<Decider> decider;
    std::function<void(const ConnectionRecord&)> record;
    // Outlives io, whose pending handlers it holds; a connection's control block keeps it
    // alive too (a Decider may drop its last weak_ptr after the proxy is gone).
    std::shared_ptr<TunnelArena> arena = std::make_shared<TunnelArena>();
    asio::io_context io{1};
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::thread thread;
    using ConnSet =
        std::set<std::shared_ptr<Conn>, std::less<>, TunnelAllocator<std::shared_ptr<Conn>>>;
    ConnSet conns{ConnSet::allocator_type(arena.get())};
    std::map<std::string, OriginState> origins;
    std::shared_ptr<Poster> poster = std::make_shared<Poster>();
    bool stopping = false;
    std::atomic<bool> stopped{false};

    // The Decider's answer, waiting without blocking the thread when it comes later. While it
    // is pending, the connection's own deadlines do not run (the Decider owns the wait).
    // (`asked` is a named object in the caller's frame: GCC 12 frees a braced temporary
    // argument of a coroutine twice.)
    awaitable<Answer> decide(const std::shared_ptr<Conn>& cp, const Destination& asked) {
        Conn& c = *cp;
        Destination d = asked;
        d.origin = c.origin;
        auto slot = std::make_shared<std::optional<Answer>>();
        Later later = [poster = poster, weak = std::weak_ptr<Conn>(cp), slot](Answer a) {
            std::lock_guard<std::mutex> lock(poster->mutex);
            if (!poster->io) return;
            asio::post(*poster->io, [weak, slot, a = std::move(a)]() mutable {
                if (*slot) return;
                *slot = std::move(a);
                if (auto conn = weak.lock()) conn->waiting.cancel();
            });
        };
        if (auto now = decider->decide_or_wait(d, std::move(later))) co_return std::move(*now);
        c.deadline = Clock::time_point::max();
        while (!*slot && c.open) {
            c.waiting.expires_at(Clock::time_point::max());
            error_code ec;
            co_await c.waiting.async_wait(asio::redirect_error(use_awaitable, ec));
        }
        c.touch(options.connect_timeout);
        if (!*slot)
            co_return Answer{false, "closed", "the connection ended while its answer was pending"};
        co_return std::move(**slot);
    }

    // A connection of `origin` ended: its close_origin callers may go on once none is left.
    void connection_ended(const std::string& origin) {
        auto it = origins.find(origin);
        if (it == origins.end()) return;
        if (it->second.connections > 0) --it->second.connections;
        release_waiters(it->second);
        if (it->second.closed && it->second.connections == 0) origins.erase(it);
    }

    static void release_waiters(OriginState& o) {
        if (o.connections > 0 || !o.closed) return;
        for (auto& w : o.waiters)
            w->set_value();
        o.waiters.clear();
    }

    void finish(Conn& c, const char* protocol) {
        if (!c.record_set) return;
        c.record.protocol = protocol;
        c.record.duration_ms = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - c.started)
                .count());
        if (record) record(c.record);
        c.record_set = false;
    }

    void refuse_record(Conn& c, std::string host, std::uint16_t port, std::string rule,
                       std::string reason) {
        c.record.host = std::move(host);
        c.record.port = port;
        c.record.allowed = false;
        c.record.rule = std::move(rule);
        c.record.reason = std::move(reason);
        c.record_set = true;
    }

    // The policy on the name, then on every address it resolves to; the addresses to connect
    // to, or empty with the refusal filled in (`unreachable` when the name does not resolve).
    awaitable<std::vector<asio::ip::address>> resolve_and_decide(const std::shared_ptr<Conn>& cp,
                                                                 const std::string& host,
                                                                 std::uint16_t port,
                                                                 bool& unreachable) {
        Conn& c = *cp;
        unreachable = false;
        c.record.host = host;
        c.record.port = port;
        c.record_set = true;
        error_code ec;
        const auto literal = asio::ip::make_address(host, ec);
        std::vector<asio::ip::address> addresses;
        if (!ec) {
            addresses.push_back(literal.is_v6() && literal.to_v6().is_v4_mapped()
                                    ? asio::ip::address(asio::ip::make_address_v4(
                                          asio::ip::v4_mapped, literal.to_v6()))
                                    : literal);
        } else {
            // Asked first by name: a denied name is never looked up (no DNS exfiltration).
            const Destination by_name_destination{host, port, "", false, ""};
            Answer by_name = co_await decide(cp, by_name_destination);
            if (!by_name.allow) {
                c.record.rule = by_name.rule;
                c.record.reason = by_name.reason;
                co_return std::vector<asio::ip::address>{};
            }
            auto pinned = options.hosts.find(host);
            if (pinned != options.hosts.end()) {
                auto a = asio::ip::make_address(pinned->second, ec);
                if (pinned->second.empty() || ec) {
                    c.record.rule = "hosts";
                    c.record.reason = "the policy's hosts entries for this name disagree";
                    co_return std::vector<asio::ip::address>{};
                }
                addresses.push_back(a);
            } else {
                c.touch(options.connect_timeout);
                auto results = co_await c.resolver.async_resolve(
                    host, std::to_string(port), asio::redirect_error(use_awaitable, ec));
                if (ec || results.empty()) {
                    unreachable = true;
                    c.record.rule = "resolve";
                    c.record.reason = "the name does not resolve";
                    co_return std::vector<asio::ip::address>{};
                }
                for (const auto& r : results) {
                    auto a = r.endpoint().address();
                    if (a.is_v6() && a.to_v6().is_v4_mapped())
                        a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
                    bool seen = false;
                    for (const auto& x : addresses)
                        seen = seen || x == a;
                    if (!seen) addresses.push_back(a);
                }
            }
        }
        // The machine's addresses as they are now (an interface may have come up since the
        // proxy started), listed only once a connection needs them.
        const auto own = machine_addresses();
        if (!own) {
            c.record.rule = "addresses";
            c.record.reason = own.error().describe();
            co_return std::vector<asio::ip::address>{};
        }
        // Every address must pass: one refused address refuses the name.
        for (const auto& a : addresses) {
            const bool is_own = std::find(own->begin(), own->end(), a) != own->end();
            const Destination destination{host, port, a.to_string(), is_own, ""};
            Answer ans = co_await decide(cp, destination);
            c.record.rule = ans.rule;
            if (!ans.allow) {
                c.record.address = a.to_string();
                c.record.reason = ans.reason;
                co_return std::vector<asio::ip::address>{};
            }
        }
        co_return addresses;
    }

    awaitable<bool> connect_upstream(Conn& c, const std::vector<asio::ip::address>& addresses,
                                     std::uint16_t port) {
        for (const auto& a : addresses) {
            error_code ec;
            c.touch(options.connect_timeout);
            c.upstream = tcp::socket(c.client.get_executor());
            co_await c.upstream.async_connect(tcp::endpoint(a, port),
                                              asio::redirect_error(use_awaitable, ec));
            if (!c.open) co_return false;
            if (!ec) {
                c.record.address = a.to_string();
                c.upstream.set_option(tcp::no_delay(true), ec);
                co_return true;
            }
        }
        c.record.reason = "the destination did not accept the connection";
        co_return false;
    }

    // Moves a connection's bytes once its head is done. Each way reads what has arrived into the
    // proxy's one relay buffer and sends it on at once; what the destination does not take
    // waits in the way's pipe (kernel memory) and goes first when it can write again. A copy
    // through this process, not splice(2): the receiver pays for spliced pages (curl took
    // 0.18 s of CPU per 100 MiB through them, 0.15 s through a copy), and on a busy machine
    // the copy here costs the download less. It runs on callbacks, not coroutines: the
    // set-up's coroutine frames are freed when it starts, and an open tunnel costs its Conn,
    // two pipes and two pending waits.
    struct Relay : std::enable_shared_from_this<Relay> {
        struct Way {
            tcp::socket* from = nullptr;
            tcp::socket* to = nullptr;
            std::uint64_t* count = nullptr;
            UniqueFd pipe_read, pipe_write;
            std::size_t in_pipe = 0;   // bytes taken from `from` and not yet given to `to`
            std::size_t capacity = 0;  // of the pipe
            bool bulk = false;         // grown to kBulkPipe
            bool running = false;
        };
        Impl* impl = nullptr;
        std::shared_ptr<Conn> conn;
        std::chrono::milliseconds idle{};
        bool end_with_response = false;  // plain HTTP: the response's end ends the connection
        std::array<Way, 2> ways;         // 0: client -> upstream, 1: upstream -> client

        template <typename Wait>
        void wait(std::size_t i, tcp::socket& s, Wait what) {
            s.async_wait(what,
                         asio::bind_allocator(TunnelAllocator<void>(impl->arena.get()),
                                              [self = shared_from_this(), i](const error_code& ec) {
                                                  self->resume(i, ec);
                                              }));
        }

        void pump(std::size_t i) {
            Way& w = ways[i];
            Conn& c = *conn;
            char* const buffer = impl->relay_buffer.get();
            while (c.open) {
                if (w.in_pipe > 0) {  // what `to` did not take last time goes first
                    const ssize_t m =
                        ::splice(w.pipe_read.get(), nullptr, w.to->native_handle(), nullptr,
                                 w.in_pipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
                    if (m < 0) {
                        if (errno == EINTR) continue;
                        if (errno != EAGAIN) break;
                        return wait(i, *w.to, tcp::socket::wait_write);
                    }
                    w.in_pipe -= static_cast<std::size_t>(m);
                    *w.count += static_cast<std::uint64_t>(m);
                    c.touch(idle);
                    continue;
                }
                // No more than the pipe holds, so that what `to` leaves fits in it.
                const std::size_t want = std::min(kBulkPipe, w.capacity);
                const ssize_t n = ::recv(w.from->native_handle(), buffer, want, MSG_DONTWAIT);
                if (n == 0) return done(i, true);
                if (n < 0) {
                    if (errno == EINTR) continue;
                    if (errno != EAGAIN) break;
                    return wait(i, *w.from, tcp::socket::wait_read);
                }
                c.touch(idle);
                const auto got = static_cast<std::size_t>(n);
                if (got == w.capacity && !w.bulk && impl->bulk_pipes < kMaxBulkPipes) {
                    // A bulk transfer filled what the pipe holds: a larger one moves more per
                    // wake-up. Refused (the per-user pipe limit), the default serves the same.
                    const int grown =
                        ::fcntl(w.pipe_write.get(), F_SETPIPE_SZ, static_cast<int>(kBulkPipe));
                    if (grown > 0) {
                        w.capacity = static_cast<std::size_t>(grown);
                        w.bulk = true;
                        ++impl->bulk_pipes;
                    }
                }
                ssize_t m = ::send(w.to->native_handle(), buffer, got, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (m < 0) {
                    if (errno != EAGAIN && errno != EINTR) break;
                    m = 0;
                }
                const auto sent = static_cast<std::size_t>(m);
                *w.count += sent;
                if (sent < got) {
                    // The pipe is empty and holds `want` bytes: all of the rest fits at once.
                    const ssize_t kept = ::write(w.pipe_write.get(), buffer + sent, got - sent);
                    if (kept != static_cast<ssize_t>(got - sent)) break;
                    w.in_pipe = got - sent;
                }
            }
            done(i, false);  // an error, or closed under us
        }

        void resume(std::size_t i, const error_code& ec) {
            if (ec) return done(i, false);
            pump(i);
        }

        // One way ended: at the end of its stream (everything passed on) or not. When both
        // have, the connection ends.
        void done(std::size_t i, bool at_end) {
            Way& w = ways[i];
            w.running = false;
            w.pipe_read.reset();
            w.pipe_write.reset();
            if (w.bulk) {
                w.bulk = false;
                --impl->bulk_pipes;
            }
            error_code ignored;
            if (!at_end)
                conn->close();
            else if (conn->open) {
                w.to->shutdown(tcp::socket::shutdown_send, ignored);
                if (i == 1 && end_with_response) conn->close();
            }
            if (!ways[0].running && !ways[1].running) impl->end(conn);
        }
    };

    // Hands the connection to a Relay (both ways, or only upstream -> client). From then on
    // the Relay ends it; the caller returns.
    void relay(Conn& c, bool both_ways, bool end_with_response = false) {
        auto r = std::allocate_shared<Relay>(TunnelAllocator<Relay>(arena.get()));
        r->impl = this;
        r->conn = c.shared_from_this();
        r->idle = options.idle_timeout;
        r->end_with_response = end_with_response;
        r->ways[0].from = &c.client;
        r->ways[0].to = &c.upstream;
        r->ways[0].count = &c.record.bytes_up;
        r->ways[1].from = &c.upstream;
        r->ways[1].to = &c.client;
        r->ways[1].count = &c.record.bytes_down;
        error_code ec;
        c.client.native_non_blocking(true, ec);
        c.upstream.native_non_blocking(true, ec);
        for (std::size_t i = both_ways ? 0 : 1; i < 2; ++i) {
            Relay::Way& w = r->ways[i];
            int fds[2];
            if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
                c.close();  // the caller ends it
                return;
            }
            w.pipe_read = UniqueFd(fds[0]);
            w.pipe_write = UniqueFd(fds[1]);
            // What the pipe holds bounds each read (the rest of it must fit); a page, should the
            // kernel not say.
            const int capacity = ::fcntl(fds[1], F_GETPIPE_SZ);
            w.capacity = capacity > 0 ? static_cast<std::size_t>(capacity) : 4096;
            w.running = true;
        }
        c.relaying = true;
        set_up_done();
        c.touch(options.idle_timeout);
        for (std::size_t i = 0; i < 2; ++i)
            if (r->ways[i].running) r->pump(i);
    }

    // Connections accepted and neither relaying nor ended yet, and the most of them at once
    // since the heap was last trimmed.
    std::size_t setting_up = 0, setting_up_peak = 0;
    std::size_t bulk_pipes = 0;  // relays' pipes grown to kBulkPipe
    // Every relay's bytes pass through it, one way at a time (one thread); its pages are
    // touched only once bytes pass.
    std::unique_ptr<char[]> relay_buffer = std::make_unique_for_overwrite<char[]>(kBulkPipe);

    void set_up_done() {
        if (setting_up > 0) --setting_up;
        // A burst of set-ups (a client opening many connections at once) leaves their freed
        // coroutine frames and buffers spread over the heap, which malloc keeps: once the burst
        // is over, the pages it no longer uses go back, and open tunnels cost only their state.
        if (setting_up == 0 && setting_up_peak >= kTrimAfterBurst) {
            setting_up_peak = 0;
            ::malloc_trim(0);
        }
    }

    // The connection's end: recorded, closed, its place freed.
    void end(const std::shared_ptr<Conn>& c) {
        if (!c->relaying) set_up_done();
        finish(*c, c->protocol);
        c->close();
        conns.erase(c);
        connection_ended(c->origin);
    }

    // After a tunnel opened: a TLS ClientHello must name the tunnel's host. A server that
    // speaks first (ssh) gets its tunnel unchecked: there is no hello to read.
    awaitable<void> tunnel(Conn& c, const std::string& host) {
        if (c.buffer.empty()) {
            c.touch(options.head_timeout);
            auto first = co_await (c.client.async_wait(tcp::socket::wait_read, use_awaitable) ||
                                   c.upstream.async_wait(tcp::socket::wait_read, use_awaitable));
            if (first.index() == 1) {
                relay(c, true);
                co_return;
            }
        }
        error_code ec;
        const bool host_is_name = (asio::ip::make_address(host, ec), static_cast<bool>(ec));
        while (true) {
            const ClientHelloSni hello = parse_client_hello_sni(c.buffer);
            if (hello.state == ParseState::complete) {
                if (hello.is_tls && hello.sni && (!host_is_name || *hello.sni != host)) {
                    c.record.allowed = false;
                    c.record.rule = "sni";
                    c.record.reason = "the TLS server name differs from the tunnel's host";
                    c.close();
                    co_return;
                }
                break;
            }
            if (hello.state == ParseState::malformed) {
                c.record.allowed = false;
                c.record.rule = "sni";
                c.record.reason = "malformed TLS ClientHello: " + hello.problem;
                c.close();
                co_return;
            }
            if (c.buffer.size() > kMaxClientHello || !co_await read_more(c)) {
                c.record.allowed = false;
                c.record.rule = "sni";
                c.record.reason = "no complete TLS ClientHello";
                c.close();
                co_return;
            }
        }
        if (!co_await write_all(c.upstream, c.buffer)) co_return;
        c.record.bytes_up += c.buffer.size();
        std::string().swap(c.buffer);  // an open tunnel keeps no buffer
        relay(c, true);
    }

    awaitable<void> http(std::shared_ptr<Conn> cp) {
        Conn& c = *cp;
        HttpParse p;
        while ((p = parse_http_request(c.buffer, options.max_head_bytes)).state ==
               ParseState::incomplete) {
            if (!co_await read_more(c)) {
                refuse_record(c, "", 0, "malformed", "the client closed before a request head");
                co_return;
            }
        }
        if (p.state == ParseState::malformed) {
            refuse_record(c, p.head.host, p.head.port, "malformed", p.problem);
            const std::string answer =
                http_refusal(p.status, status_text(p.status), "the request", p.problem);
            co_await write_all(c.client, answer);
            co_return;
        }
        const HttpRequestHead& h = p.head;
        const bool tunnel_request = h.method == "CONNECT";
        const std::string what = h.host + ":" + std::to_string(h.port);
        if (options.read_only && (tunnel_request || !is_read_only_method(h.method))) {
            refuse_record(c, h.host, h.port, "methods",
                          tunnel_request ? "the network is read-only: tunnels cannot be checked"
                                         : "the network is read-only: GET, HEAD and OPTIONS only");
            const std::string answer = http_refusal(403, "Forbidden", what, c.record.reason);
            co_await write_all(c.client, answer);
            co_return;
        }
        bool unreachable = false;
        auto addresses = co_await resolve_and_decide(cp, h.host, h.port, unreachable);
        if (addresses.empty()) {
            c.record.allowed = false;
            // (Named first: GCC 12 mishandles temporaries of a conditional inside co_await.)
            const std::string answer = unreachable
                                           ? http_refusal(502, "Bad Gateway", what, c.record.reason)
                                           : http_refusal(403, "Forbidden", what, c.record.reason);
            co_await write_all(c.client, answer);
            co_return;
        }
        c.record.allowed = true;
        if (!co_await connect_upstream(c, addresses, h.port)) {
            const std::string answer = http_refusal(502, "Bad Gateway", what, c.record.reason);
            co_await write_all(c.client, answer);
            co_return;
        }
        c.buffer.erase(0, h.head_bytes);
        if (tunnel_request) {
            static constexpr std::string_view kEstablished =
                "HTTP/1.1 200 Connection established\r\n\r\n";
            if (!co_await write_all(c.client, kEstablished)) co_return;
            co_await tunnel(c, h.host);
            co_return;
        }
        const std::string head = origin_request_head(h);
        if (!co_await write_all(c.upstream, head)) co_return;
        c.record.bytes_up += head.size();
        if (options.read_only) {
            // Nothing after a read-only request's head goes upstream (no body, no second
            // request on the same connection).
            c.buffer.clear();
            error_code ec;
            c.upstream.shutdown(tcp::socket::shutdown_send, ec);
            relay(c, false, true);
            co_return;
        }
        if (!c.buffer.empty()) {
            if (!co_await write_all(c.upstream, c.buffer)) co_return;
            c.record.bytes_up += c.buffer.size();
            c.buffer.clear();
        }
        relay(c, true, true);
    }

    awaitable<void> socks5(std::shared_ptr<Conn> cp) {
        Conn& c = *cp;
        Socks5Greeting g;
        while ((g = parse_socks5_greeting(c.buffer)).state == ParseState::incomplete)
            if (!co_await read_more(c)) co_return;
        if (g.state == ParseState::malformed || !g.no_auth_offered) {
            refuse_record(c, "", 0, "malformed", "a SOCKS5 greeting without \"no authentication\"");
            static constexpr std::string_view kNoMethod("\x05\xff", 2);
            co_await write_all(c.client, kNoMethod);
            co_return;
        }
        c.buffer.erase(0, g.bytes);
        static constexpr std::string_view kNoAuth("\x05\x00", 2);
        if (!co_await write_all(c.client, kNoAuth)) co_return;
        Socks5Request r;
        while ((r = parse_socks5_request(c.buffer)).state == ParseState::incomplete)
            if (!co_await read_more(c)) co_return;
        if (r.state == ParseState::malformed) {
            refuse_record(c, r.host, r.port, "malformed", "an unsupported SOCKS5 request");
            {
                const std::string reply = socks5_reply(r.reply_on_error);
                co_await write_all(c.client, reply);
            }
            co_return;
        }
        c.buffer.erase(0, r.bytes);
        if (options.read_only) {
            refuse_record(c, r.host, r.port, "methods",
                          "the network is read-only: tunnels cannot be checked");
            {
                const std::string reply = socks5_reply(0x02);
                co_await write_all(c.client, reply);
            }
            co_return;
        }
        bool unreachable = false;
        auto addresses = co_await resolve_and_decide(cp, r.host, r.port, unreachable);
        if (addresses.empty()) {
            c.record.allowed = false;
            {
                const std::string reply = socks5_reply(unreachable ? 0x04 : 0x02);
                co_await write_all(c.client, reply);
            }
            co_return;
        }
        c.record.allowed = true;
        if (!co_await connect_upstream(c, addresses, r.port)) {
            {
                const std::string reply = socks5_reply(0x05);
                co_await write_all(c.client, reply);
            }
            co_return;
        }
        {
            const std::string reply = socks5_reply(0x00);
            if (!co_await write_all(c.client, reply)) co_return;
        }
        co_await tunnel(c, r.host);
    }

    awaitable<void> handle(std::shared_ptr<Conn> c) {
        c->touch(options.head_timeout);
        watch(c);
        try {
            if (co_await read_more(*c)) {
                if (static_cast<unsigned char>(c->buffer[0]) == 0x05) {
                    c->protocol = "socks5";
                    co_await socks5(c);
                } else {
                    if (c->buffer.starts_with("CONNECT ")) c->protocol = "connect";
                    co_await http(c);
                }
            }
        } catch (const std::exception&) {
            // A connection closed under an operation (its deadline, or the proxy stopping):
            // it is still recorded and its place freed.
            if (c->record_set && !c->record.allowed && c->record.reason.empty())
                c->record.reason = "the connection was closed (timeout or shutdown)";
        }
        if (c->relaying) co_return;  // the Relay ends it
        end(c);
    }

    awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor, std::string origin) {
        while (!stopping) {
            error_code ec;
            tcp::socket s =
                co_await acceptor->async_accept(asio::redirect_error(use_awaitable, ec));
            if (ec) {
                if (ec == asio::error::operation_aborted || stopping) co_return;
                if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
                    // Out of descriptors: wait for some to be freed rather than spin.
                    asio::steady_timer t(io, std::chrono::milliseconds(50));
                    co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
                }
                continue;
            }
            if (conns.size() >= options.max_connections) continue;  // closed: over the bound
            auto o = origins.find(origin);
            if (o == origins.end() || o->second.closed) co_return;
            s.set_option(tcp::no_delay(true), ec);
            auto c = std::allocate_shared<Conn>(SharedTunnelAllocator<Conn>(arena), std::move(s),
                                                origin, arena.get());
            conns.insert(c);
            setting_up_peak = std::max(setting_up_peak, ++setting_up);
            ++o->second.connections;
            asio::co_spawn(io, handle(c), asio::detached);
        }
    }

    void serve_on_thread(UniqueFd listening, const std::string& origin) {
        OriginState& o = origins[origin];
        if (o.closed || stopping) return;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        if (::getsockname(listening.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
        auto acceptor = std::make_shared<tcp::acceptor>(io);
        error_code ec;
        acceptor->assign(ss.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), listening.release(), ec);
        if (ec) return;
        o.acceptors.push_back(acceptor);
        asio::co_spawn(io, accept_loop(acceptor, origin), asio::detached);
    }

    // On the proxy's thread: closes what serves `origin` and every connection of it.
    void close_origin_here(const std::string& origin, std::shared_ptr<std::promise<void>> done) {
        OriginState& o = origins[origin];
        o.closed = true;
        error_code ec;
        for (auto& a : o.acceptors)
            a->close(ec);
        o.acceptors.clear();
        // Closing ends each connection's coroutine, which records it and counts it out.
        std::vector<std::shared_ptr<Conn>> open(conns.begin(), conns.end());
        for (auto& c : open)
            if (c->origin == origin) c->close();
        if (done) o.waiters.push_back(std::move(done));
        release_waiters(o);
        if (o.connections == 0 && o.waiters.empty()) origins.erase(origin);
    }
};

Result<std::unique_ptr<Proxy>> Proxy::start(ProxyOptions options, std::shared_ptr<Decider> decider,
                                            std::function<void(const ConnectionRecord&)> record) {
    auto impl = std::make_unique<Impl>();
    impl->options = std::move(options);
    impl->decider = std::move(decider);
    impl->record = std::move(record);
    impl->poster->io = &impl->io;
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->io.run(); });
    return std::unique_ptr<Proxy>(new Proxy(std::move(impl)));
}

Proxy::Proxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

void Proxy::serve(UniqueFd listening, std::string origin) {
    auto fd = std::make_shared<UniqueFd>(std::move(listening));
    asio::post(impl_->io, [impl = impl_.get(), fd, origin = std::move(origin)] {
        impl->serve_on_thread(std::move(*fd), origin);
    });
}

void Proxy::close_origin(const std::string& origin) {
    if (!impl_ || !impl_->thread.joinable()) return;
    auto done = std::make_shared<std::promise<void>>();
    auto closed = done->get_future();
    asio::post(impl_->io,
               [impl = impl_.get(), origin, done] { impl->close_origin_here(origin, done); });
    // A stop racing this call may drop the posted close; the stop closes everything anyway.
    while (closed.wait_for(std::chrono::milliseconds(200)) != std::future_status::ready)
        if (impl_->stopped) return;
}

void Proxy::stop() {
    if (!impl_ || !impl_->thread.joinable()) return;
    asio::post(impl_->io, [impl = impl_.get()] {
        impl->stopping = true;
        error_code ec;
        for (auto& [name, o] : impl->origins) {
            for (auto& a : o.acceptors)
                a->close(ec);
        }
        // Closing ends each connection's coroutine, which records it.
        std::vector<std::shared_ptr<Conn>> open(impl->conns.begin(), impl->conns.end());
        for (auto& c : open)
            c->close();
        impl->work.reset();
    });
    impl_->thread.join();
    impl_->stopped = true;
    {
        // Late answers go nowhere from now on; a close_origin that raced the stop returns.
        std::lock_guard<std::mutex> lock(impl_->poster->mutex);
        impl_->poster->io = nullptr;
    }
    for (auto& [name, o] : impl_->origins) {
        for (auto& w : o.waiters)
            w->set_value();
        o.waiters.clear();
    }
}

Proxy::~Proxy() {
    stop();
}

}  // namespace airlock::netproxy
