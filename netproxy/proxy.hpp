// airlock's egress proxy: HTTP (CONNECT, absolute-form http://) and SOCKS5 (CONNECT) on one
// listening socket, told apart by the first byte. It knows nothing of policies or runs: every
// destination is put to a Decider, and every connection is reported to a Recorder.
//
// It resolves names itself (or takes them from `hosts`), asks about every resolved address,
// and connects to the address it asked about (no second lookup). After CONNECT, a TLS
// ClientHello whose SNI names another host than the CONNECT target closes the tunnel before
// any of it reaches the target.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "platform/result.hpp"
#include "platform/unique_fd.hpp"

namespace airlock::netproxy {

// What the proxy asks about: one destination, after resolution.
struct Destination {
    std::string host;  // as the client named it (a name or an IP literal), lower case
    std::uint16_t port = 0;
    std::string address;               // the resolved address it would connect to
    bool address_is_host_own = false;  // one of this machine's interface addresses
    std::string origin;                // the listening socket it came through (serve's origin)
};

struct Answer {
    bool allow = false;
    std::string rule;
    std::string reason;
};

// Delivers an answer that was not ready at once. Callable from any thread; the first call
// counts. After the proxy stopped, or after the connection ended, it does nothing.
using Later = std::function<void(Answer)>;

class Decider {
  public:
    virtual ~Decider() = default;
    // Called on the proxy's thread; must not block for long.
    virtual Answer decide(const Destination& destination) = 0;
    // The same, for an answer that may take time (a person is asked): the answer now, or
    // nullopt and `later` is called with it (from any thread) while the connection waits. The
    // proxy's thread is never blocked by a pending answer, and the connection's own deadlines
    // do not run while it waits: the Decider bounds the wait (close_origin and stop end it).
    virtual std::optional<Answer> decide_or_wait(const Destination& destination, Later later) {
        (void)later;
        return decide(destination);
    }
};

// One connection, when it ends. Never holds paths, queries, headers or bodies.
struct ConnectionRecord {
    std::string origin;    // the listening socket's origin (serve's argument)
    std::string protocol;  // "http", "connect", "socks5"
    std::string host;
    std::uint16_t port = 0;
    std::string address;  // the address connected to (or refused); empty before resolution
    bool allowed = false;
    std::string rule;
    std::string reason;  // why it was refused; empty when allowed
    std::uint64_t bytes_up = 0, bytes_down = 0;
    std::uint64_t duration_ms = 0;
};

struct ProxyOptions {
    std::size_t max_connections = 256;
    std::size_t max_head_bytes = 16 * 1024;
    std::chrono::milliseconds head_timeout{10000};  // a slow client's request head
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds idle_timeout{300000};  // a tunnel with no bytes either way
    // Names the proxy does not resolve: name -> address. An empty address refuses the name.
    std::map<std::string, std::string> hosts;
    bool read_only = false;  // only GET, HEAD, OPTIONS over plain HTTP; no tunnels
};

class Proxy {
  public:
    // Starts the proxy's thread; it serves nothing until given a listening socket.
    static Result<std::unique_ptr<Proxy>> start(
        ProxyOptions options, std::shared_ptr<Decider> decider,
        std::function<void(const ConnectionRecord&)> record);
    // Serves a listening stream socket (any address family; it may live in another network
    // namespace). `origin` names it: its connections' destinations and records carry it, and
    // close_origin ends them all. Several origins share the proxy's one thread.
    void serve(UniqueFd listening, std::string origin = {});
    // Stops serving `origin`: its listening socket is closed, and so is every one
    // of its connections (including those waiting for an answer). Returns once each of them has
    // been recorded. Not to be called from the proxy's own thread (a Decider or a Recorder).
    void close_origin(const std::string& origin);
    // Stops accepting, closes every connection and joins the thread. Called by the destructor.
    void stop();
    ~Proxy();

    struct Impl;

  private:
    explicit Proxy(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace airlock::netproxy
