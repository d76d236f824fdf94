// rapport::http::http_server: the daemon's one HTTP/1.1 listener (CONTRACT §5). Plain value types
// in, plain value types out; Beast stays inside server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/common/net.hpp"
#include "daemon/http/message.hpp"
#include "daemon/http/router.hpp"

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace rapport::http {

/// Listener settings. Durations are std::chrono, never bare integers.
struct server_options {
    /// Address to bind ("127.0.0.1", "::", "0.0.0.0").
    std::string address = "127.0.0.1";
    /// Port to bind; 0 picks a free one (start() returns it).
    std::uint16_t port = 0;
    /// Largest accepted request body; beyond it the answer is 413 and the connection closes.
    std::size_t max_body_bytes = 1024 * 1024;
    /// Largest request line + header block; beyond it 431.
    std::size_t max_header_bytes = 16 * 1024;
    /// From a request's first byte (or from accept) until its header block is complete.
    std::chrono::steady_clock::duration header_timeout = std::chrono::seconds(10);
    /// For reading the body once the header is in.
    std::chrono::steady_clock::duration read_timeout = std::chrono::seconds(30);
    /// For writing one response.
    std::chrono::steady_clock::duration write_timeout = std::chrono::seconds(30);
    /// Keep-alive: how long an idle connection may wait for its next request.
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(60);
    /// Connections served at once; beyond it a connection gets 503 and is closed.
    std::size_t max_connections = 1024;
    /// false: every response says "Connection: close" (no keep-alive).
    bool keep_alive = true;
    /// When closing after an error (413, 400, 503) or "Connection: close", the server shuts
    /// down its send side and reads and discards what the client still sends, up to this many
    /// bytes and for at most `close_drain_timeout`, so the client reads the answer, not a reset.
    std::size_t max_drain_bytes = 8 * 1024 * 1024;
    std::chrono::steady_clock::duration close_drain_timeout = std::chrono::seconds(5);
    /// stop(): how long in-flight requests may take before connections are closed by force.
    std::chrono::steady_clock::duration stop_timeout = std::chrono::seconds(10);
    /// Receives the server's log lines (errors from handlers, accept failures); may be empty.
    log_fn log;
};

/// An HTTP/1.1 server: one coroutine per connection; keep-alive; CONTRACT §5.1 JSON errors for
/// 400/404/405/411/413/431/500/503.
///
/// Where connections run: by default each on a strand of its own on `ioc`. Given
/// `connection_contexts`, each accepted connection runs on the next of them in turn, without a
/// strand, so each of them must be run by exactly one thread; they must outlive the server.
/// (On two cores, a context per thread served /healthz 1.7 times as fast as one context run by
/// two threads: no handler queue shared between threads, no strand per operation.)
///
/// Thread safety: start() once, before or while the io_context runs. stop(),
/// on_stopped() and wait_stopped() may be called from any thread. Destroy the server only after
/// it has stopped (or after the io_context has been stopped): the destructor requests stop()
/// but does not wait.
class http_server {
public:
    http_server(net::io_context& ioc,
                router routes,
                server_options options,
                std::vector<net::io_context*> connection_contexts = {});
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Binds and listens, starts accepting; returns the bound port. Throws
    /// boost::system::system_error if the address cannot be bound.
    std::uint16_t start();

    /// Stops accepting, closes idle connections at once, lets in-flight requests finish and
    /// answers them with "Connection: close"; after `stop_timeout` closes the rest by force
    /// (terminal cancellation of their coroutines). Idempotent.
    void stop();

    /// Calls `done` (on the server's strand) once stop() has completed: the listener is closed
    /// and every connection coroutine has ended. Called at once if that already happened.
    void on_stopped(std::function<void()> done);

    /// Completes once stop() has completed (see on_stopped()).
    net::awaitable<void> wait_stopped();

    /// Connections currently open (approximate when read from another thread).
    std::size_t connection_count_for_test() const noexcept;

    struct state;

private:
    std::shared_ptr<state> state_;
};

} // namespace rapport::http
