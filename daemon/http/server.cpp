// One coroutine per connection, each on its own strand or on a context run by one thread; the
// listener and the connection registry live on the server's strand. Errors that clients cause are
// expected outcomes (as_tuple) and end in a JSON answer or a quiet close; anything else escapes the
// session coroutine and is logged once in its co_spawn completion handler.
#include "daemon/http/server.hpp"

#include <array>
#include <atomic>
#include <exception>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace rapport::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using strand_type = net::strand<net::io_context::executor_type>;

namespace {

/// One accepted socket. The stream's executor is the connection's own strand or a context run by
/// one thread; `busy` and the stream are touched only there.
struct connection {
    connection(tcp::socket s, std::uint64_t i, bool r) : stream(std::move(s)), id(i), refused(r) {
        // Once per connection rather than a getpeername() call per request.
        error_code ec;
        const auto ep = stream.socket().remote_endpoint(ec);
        if (!ec) {
            remote_address = ep.address().to_string();
            remote_port = ep.port();
        }
    }
    beast::tcp_stream stream;
    std::string remote_address;
    unsigned short remote_port = 0;
    net::cancellation_signal cancel; ///< bound to the session's co_spawn (terminal at force stop)
    std::uint64_t id;
    bool refused;      ///< over the connection limit: answered 503 and closed
    bool busy = false; ///< a request is being served: stop() lets it finish
};

} // namespace

struct http_server::state : std::enable_shared_from_this<http_server::state> {
    state(net::io_context& c, router r, server_options o, std::vector<net::io_context*> contexts)
        : ioc(c),
          strand(net::make_strand(c)),
          acceptor(strand),
          stop_timer(strand),
          routes(std::move(r)),
          options(std::move(o)),
          connection_contexts(std::move(contexts)) {}

    net::io_context& ioc;
    strand_type strand;
    tcp::acceptor acceptor;
    net::steady_timer stop_timer;
    const router routes;
    const server_options options;
    const std::vector<net::io_context*> connection_contexts;

    // Owned by `strand`.
    std::unordered_map<std::uint64_t, std::shared_ptr<connection>> connections;
    std::size_t served = 0;   ///< connections in `connections` that are not refused
    std::size_t refusing = 0; ///< connections being answered 503
    std::uint64_t next_id = 1;
    std::size_t next_context = 0;
    bool accepting = false;
    bool stop_requested = false;
    bool stopped = false;
    std::vector<std::function<void()>> callbacks;

    // Read from connection strands.
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> open_count{0};

    void log(log_level level, std::string_view text) const noexcept {
        if (!options.log) {
            return;
        }
        try {
            options.log(level, text);
        } catch (...) {
            // Logging never throws into the server.
        }
    }

    void begin_stop();
    void force_close();
    void remove_connection(std::uint64_t id);
    void maybe_finish_stop();
};

namespace {

using state_ptr = std::shared_ptr<http_server::state>;
using conn_ptr = std::shared_ptr<connection>;

/// Errors the client caused by sending something that is not HTTP/1.1.
bool is_parse_error(const error_code& ec) {
    if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) {
        return false;
    }
    return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
           ec != bhttp::error::need_more && ec != bhttp::error::need_buffer;
}

http_response too_large(std::size_t limit) {
    return json_error(413, "payload_too_large",
                      "request body exceeds " + std::to_string(limit) + " bytes");
}

bool method_needs_length(std::string_view m) {
    return m == "POST" || m == "PUT" || m == "PATCH";
}

/// The status line and header of `resp`: the handler's fields, then the framing fields, which
/// the server alone sets (a handler's own Content-Length or Connection is left out).
std::string serialize_header(const http_response& resp, unsigned version, bool keep_alive) {
    std::string out;
    out.reserve(160);
    out += "HTTP/";
    out += static_cast<char>('0' + version / 10 % 10);
    out += '.';
    out += static_cast<char>('0' + version % 10);
    out += ' ';
    out += std::to_string(resp.status);
    out += ' ';
    const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(resp.status));
    out.append(reason.data(), reason.size());
    out += "\r\n";
    const auto field = [&out](std::string_view name, std::string_view value) {
        out.append(name).append(": ").append(value).append("\r\n");
    };
    for (const auto& f : resp.headers.fields()) {
        if (iequals(f.name, "Content-Length") || iequals(f.name, "Transfer-Encoding") ||
            iequals(f.name, "Connection") ||
            (!resp.content_type.empty() && iequals(f.name, "Content-Type"))) {
            continue;
        }
        field(f.name, f.value);
    }
    if (!resp.content_type.empty()) {
        field("Content-Type", resp.content_type);
    }
    field("Content-Length", std::to_string(resp.body.size()));
    // HTTP/1.1 keeps the connection unless told; HTTP/1.0 closes it unless told.
    if (version >= 11 && !keep_alive) {
        field("Connection", "close");
    } else if (version < 11 && keep_alive) {
        field("Connection", "keep-alive");
    }
    out += "\r\n";
    return out;
}

/// Writes `resp`; false if the write failed (the connection is then unusable). Header and body
/// go out in one gathered write.
net::awaitable<bool> write_response(
    state_ptr st, conn_ptr conn, http_response resp, unsigned version, bool keep_alive) {
    if (resp.status < 100 || resp.status > 599) {
        st->log(log_level::error, "handler returned invalid HTTP status " +
                                      std::to_string(resp.status) + "; answering 500");
        resp = json_error(500, "internal", "internal server error");
    }
    const std::string header = serialize_header(resp, version, keep_alive);
    const std::array<net::const_buffer, 2> buffers{net::buffer(header), net::buffer(resp.body)};
    conn->stream.expires_after(st->options.write_timeout);
    auto [ec, n] = co_await net::async_write(conn->stream, buffers, use_tuple);
    co_return !ec;
}

/// Half-closes and reads what the client still sends (bounded in bytes and time) before the
/// socket closes, so a client busy writing a body reads our answer instead of a reset.
net::awaitable<void> close_gracefully(state_ptr st, conn_ptr conn) {
    error_code ec;
    conn->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!ec) {
        conn->stream.expires_after(st->options.close_drain_timeout);
        std::array<char, 16 * 1024> sink{};
        std::size_t total = 0;
        while (total < st->options.max_drain_bytes) {
            auto [rec, n] = co_await conn->stream.async_read_some(net::buffer(sink), use_tuple);
            if (rec) {
                break;
            }
            total += n;
        }
    }
    conn->stream.close();
}

net::awaitable<void> reply_and_close(state_ptr st, conn_ptr conn, http_response resp) {
    conn->busy = true;
    const bool written = co_await write_response(st, conn, std::move(resp), 11, false);
    if (written) {
        co_await close_gracefully(st, conn);
    }
    conn->stream.close();
}

/// Routes one request and runs its handler; handler exceptions become 500.
net::awaitable<http_response> run_handler(state_ptr st, http_request req) {
    auto m = st->routes.match(req.method, req.path);
    switch (m.outcome) {
        case router::match_result::kind::bad_path:
            co_return json_error(400, "bad_request", "malformed request path");
        case router::match_result::kind::not_found:
            co_return json_error(404, "not_found", "no such resource: " + req.path);
        case router::match_result::kind::method_not_allowed: {
            auto r = json_error(405, "method_not_allowed",
                                "method " + req.method + " not allowed; allowed: " + m.allow);
            r.headers.set("Allow", m.allow);
            co_return r;
        }
        case router::match_result::kind::found:
            break;
    }
    const std::string what = req.method + " " + req.path;
    try {
        http_response resp = co_await (*m.handler)(std::move(req), std::move(m.params));
        co_return resp;
    } catch (const std::exception& e) {
        st->log(log_level::error, "handler for " + what + " threw: " + e.what());
    } catch (...) {
        st->log(log_level::error, "handler for " + what + " threw a non-std exception");
    }
    co_return json_error(500, "internal", "internal server error");
}

/// Fills an http_request from a parsed Beast message; false if the query string is malformed.
bool to_request(bhttp::request<bhttp::string_body>&& msg,
                const connection& conn,
                http_request& out) {
    out.method = std::string(msg.method_string());
    out.target = std::string(msg.target());
    const auto q = out.target.find('?');
    out.path = out.target.substr(0, q);
    if (q != std::string::npos) {
        auto params = parse_query(std::string_view(out.target).substr(q + 1));
        if (!params) {
            return false;
        }
        out.query = std::move(*params);
    }
    for (const auto& f : msg) {
        out.headers.add(std::string(f.name_string()), std::string(f.value()));
    }
    out.body = std::move(msg.body());
    out.version = msg.version();
    out.remote_address = conn.remote_address;
    out.remote_port = conn.remote_port;
    return true;
}

using request_parser = bhttp::request_parser<bhttp::string_body>;

/// Parses from `buffer` into `parser`, reading more from the stream while it needs more, until
/// the header is parsed (or, when `whole`, the message). Beast's async_read_header and
/// async_read do the same as composed operations, which cost a handoff through the event loop
/// even when the request is already in the buffer, as it usually is.
net::awaitable<error_code> read_request(beast::tcp_stream& stream,
                                        beast::flat_buffer& buffer,
                                        request_parser& parser,
                                        bool whole) {
    parser.eager(whole);
    const auto finished = [&] { return whole ? parser.is_done() : parser.is_header_done(); };
    for (;;) {
        if (buffer.size() > 0) {
            error_code ec;
            const std::size_t used = parser.put(buffer.data(), ec);
            buffer.consume(used);
            if (ec && ec != bhttp::error::need_more) {
                co_return ec;
            }
            if (finished()) {
                co_return error_code{};
            }
            if (!ec && used > 0 && buffer.size() > 0) {
                continue; // parsed a part; what is left may parse on its own
            }
        }
        auto [ec, n] = co_await stream.async_read_some(
            buffer.prepare(beast::read_size(buffer, 65536)), use_tuple);
        if (ec == net::error::eof) {
            // As Beast reports it: nothing of a message yet is a clean end, a part is not.
            if (!parser.got_some()) {
                co_return bhttp::error::end_of_stream;
            }
            error_code eof_ec;
            parser.put_eof(eof_ec);
            if (eof_ec) {
                co_return eof_ec;
            }
            co_return finished() ? error_code{} : error_code{bhttp::error::partial_message};
        }
        if (ec) {
            co_return ec;
        }
        buffer.commit(n);
    }
}

/// Serves requests on one connection until it closes, times out, or the server stops.
net::awaitable<void> run_session(state_ptr st, conn_ptr conn) {
    const auto& opt = st->options;
    auto& stream = conn->stream;
    beast::flat_buffer buffer;
    bool first = true;
    while (!st->stopping) {
        conn->busy = false;
        if (!first && buffer.size() == 0) {
            // Keep-alive: wait for the next request's first byte under the idle timeout; the
            // header timeout starts with that byte.
            stream.expires_after(opt.idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), use_tuple);
            if (ec) {
                break;
            }
            buffer.commit(n);
        }
        first = false;

        request_parser parser;
        parser.header_limit(
            static_cast<std::uint32_t>(std::min<std::size_t>(opt.max_header_bytes, UINT32_MAX)));
        parser.body_limit(opt.max_body_bytes);
        stream.expires_after(opt.header_timeout);
        if (const auto ec = co_await read_request(stream, buffer, parser, false); ec) {
            if (ec == bhttp::error::header_limit) {
                http_response err =
                    json_error(431, "headers_too_large", "request header too large");
                co_await reply_and_close(st, conn, std::move(err));
            } else if (ec == bhttp::error::body_limit) {
                // The parser compares Content-Length with body_limit while reading the header.
                http_response err = too_large(opt.max_body_bytes);
                co_await reply_and_close(st, conn, std::move(err));
            } else if (is_parse_error(ec)) {
                http_response err = json_error(400, "bad_request", "malformed request");
                co_await reply_and_close(st, conn, std::move(err));
            }
            break; // eof, timeout, reset, stop
        }
        conn->busy = true;

        const auto& head = parser.get();
        const bool client_keep_alive = head.keep_alive();
        const auto length = parser.content_length();
        if (length && *length > opt.max_body_bytes) {
            http_response err = too_large(opt.max_body_bytes);
            co_await reply_and_close(st, conn, std::move(err));
            break;
        }
        if (!length && !parser.chunked() && method_needs_length(head.method_string())) {
            http_response err = json_error(411, "length_required", "Content-Length required");
            co_await reply_and_close(st, conn, std::move(err));
            break;
        }
        if (!parser.is_done()) {
            if (const auto expect = head[bhttp::field::expect]; iequals(expect, "100-continue")) {
                bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
                stream.expires_after(opt.write_timeout);
                const auto [write_ec, write_n] =
                    co_await bhttp::async_write(stream, go_on, use_tuple);
                if (write_ec) {
                    break;
                }
            }
            stream.expires_after(opt.read_timeout);
            if (const auto ec = co_await read_request(stream, buffer, parser, true); ec) {
                if (ec == bhttp::error::body_limit) {
                    http_response err = too_large(opt.max_body_bytes);
                    co_await reply_and_close(st, conn, std::move(err));
                } else if (is_parse_error(ec)) {
                    http_response err = json_error(400, "bad_request", "malformed body");
                    co_await reply_and_close(st, conn, std::move(err));
                }
                break;
            }
        }
        stream.expires_never();

        const unsigned version = parser.get().version();
        http_request req;
        if (!to_request(parser.release(), *conn, req)) {
            http_response err = json_error(400, "bad_request", "malformed query string");
            co_await reply_and_close(st, conn, std::move(err));
            break;
        }
        http_response resp = co_await run_handler(st, std::move(req));
        const bool keep_alive = client_keep_alive && opt.keep_alive && !st->stopping;
        const bool written =
            co_await write_response(st, conn, std::move(resp), version, keep_alive);
        if (!written) {
            break;
        }
        if (!keep_alive) {
            co_await close_gracefully(st, conn);
            break;
        }
    }
    conn->busy = false;
    conn->stream.close();
}

/// Over the connection limit: answer 503 (before reading the request) and close gracefully.
net::awaitable<void> run_refused(state_ptr st, conn_ptr conn) {
    http_response err = json_error(503, "overloaded", "too many connections; retry later");
    co_await reply_and_close(st, conn, std::move(err));
}

/// co_spawn completion of a connection coroutine: log what escaped, deregister.
struct session_done {
    state_ptr st;
    std::uint64_t id;
    void operator()(const std::exception_ptr& e) const {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                st->log(log_level::error, std::string("connection failed: ") + ex.what());
            } catch (...) {
                st->log(log_level::error, "connection failed with a non-std exception");
            }
        }
        net::post(st->strand, [s = st, i = id] { s->remove_connection(i); });
    }
};

void spawn_connection(const state_ptr& st, tcp::socket socket) {
    const bool refuse = st->served >= st->options.max_connections;
    if (refuse && st->refusing >= 64) {
        return; // Under a flood, dropping the socket is the cheapest answer.
    }
    auto conn = std::make_shared<connection>(std::move(socket), st->next_id++, refuse);
    st->connections.emplace(conn->id, conn);
    (refuse ? st->refusing : st->served) += 1;
    st->open_count = st->connections.size();
    auto ex = conn->stream.get_executor();
    auto slot = conn->cancel.slot();
    net::co_spawn(ex, refuse ? run_refused(st, conn) : run_session(st, conn),
                  net::bind_cancellation_slot(slot, session_done{st, conn->id}));
}

/// Where the next accepted connection runs (on the server's strand).
net::any_io_executor next_connection_executor(http_server::state& st) {
    if (st.connection_contexts.empty()) {
        return net::make_strand(st.ioc);
    }
    const std::size_t i = st.next_context++ % st.connection_contexts.size();
    return st.connection_contexts[i]->get_executor();
}

net::awaitable<void> accept_loop(state_ptr st) {
    for (;;) {
        auto [ec, socket] =
            co_await st->acceptor.async_accept(next_connection_executor(*st), use_tuple);
        if (st->stop_requested) {
            break; // `socket`, if any, closes here.
        }
        if (ec) {
            if (ec == net::error::operation_aborted) {
                break;
            }
            // EMFILE and friends: back off briefly instead of spinning.
            st->log(log_level::warn, "accept failed: " + ec.message());
            net::steady_timer pause(st->strand, std::chrono::milliseconds(100));
            co_await pause.async_wait(use_tuple);
            continue;
        }
        spawn_connection(st, std::move(socket));
    }
}

struct accept_done {
    state_ptr st;
    void operator()(const std::exception_ptr& e) const {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                st->log(log_level::error, std::string("accept loop failed: ") + ex.what());
            } catch (...) {
                st->log(log_level::error, "accept loop failed");
            }
        }
        net::post(st->strand, [s = st] {
            s->accepting = false;
            s->maybe_finish_stop();
        });
    }
};

/// wait_stopped()'s initiation: turns the (move-only) coroutine handler into an on_stopped()
/// callback that resumes the waiter on its own executor.
struct initiate_wait_stopped {
    http_server* server;
    template <typename Handler>
    void operator()(Handler&& handler) const {
        auto ex = net::get_associated_executor(handler);
        auto held = std::make_shared<std::decay_t<Handler>>(std::forward<Handler>(handler));
        server->on_stopped([ex, held] { net::post(ex, [held] { std::move (*held)(); }); });
    }
};

} // namespace

void http_server::state::begin_stop() {
    if (stop_requested) {
        return;
    }
    stop_requested = true;
    stopping = true;
    error_code ec;
    acceptor.close(ec); // the pending accept completes with operation_aborted
    for (auto& [id, conn] : connections) {
        net::post(conn->stream.get_executor(), [c = conn] {
            if (!c->busy) {
                c->stream.close(); // idle or mid-header: nothing in flight to finish
            }
        });
    }
    stop_timer.expires_after(options.stop_timeout);
    stop_timer.async_wait([self = shared_from_this()](error_code tec) {
        if (!tec) {
            self->force_close();
        }
    });
    maybe_finish_stop();
}

void http_server::state::force_close() {
    if (!connections.empty()) {
        log(log_level::warn, "stop timeout: closing " + std::to_string(connections.size()) +
                                 " connection(s) by force");
    }
    for (auto& [id, conn] : connections) {
        net::post(conn->stream.get_executor(), [c = conn] {
            c->cancel.emit(net::cancellation_type::terminal);
            c->stream.close();
        });
    }
}

void http_server::state::remove_connection(std::uint64_t id) {
    const auto it = connections.find(id);
    if (it == connections.end()) {
        return;
    }
    (it->second->refused ? refusing : served) -= 1;
    connections.erase(it);
    open_count = connections.size();
    maybe_finish_stop();
}

void http_server::state::maybe_finish_stop() {
    if (!stop_requested || stopped || accepting || !connections.empty()) {
        return;
    }
    stopped = true;
    stop_timer.cancel();
    log(log_level::info, "http server stopped");
    auto cbs = std::move(callbacks);
    for (auto& cb : cbs) {
        try {
            cb();
        } catch (...) {
            log(log_level::error, "on_stopped callback threw");
        }
    }
}

} // namespace rapport::http

namespace rapport::http {

http_server::http_server(net::io_context& ioc,
                         router routes,
                         server_options options,
                         std::vector<net::io_context*> connection_contexts)
    : state_(std::make_shared<state>(
          ioc, std::move(routes), std::move(options), std::move(connection_contexts))) {}

http_server::~http_server() {
    stop();
}

std::uint16_t http_server::start() {
    auto& st = *state_;
    const tcp::endpoint endpoint(net::ip::make_address(st.options.address), st.options.port);
    st.acceptor.open(endpoint.protocol());
    st.acceptor.set_option(net::socket_base::reuse_address(true));
    st.acceptor.bind(endpoint);
    st.acceptor.listen(net::socket_base::max_listen_connections);
    const auto port = st.acceptor.local_endpoint().port();
    st.accepting = true;
    net::co_spawn(st.strand, accept_loop(state_), accept_done{state_});
    return port;
}

void http_server::stop() {
    net::post(state_->strand, [st = state_] { st->begin_stop(); });
}

void http_server::on_stopped(std::function<void()> done) {
    net::post(state_->strand, [st = state_, cb = std::move(done)]() mutable {
        if (st->stopped) {
            cb();
        } else {
            st->callbacks.push_back(std::move(cb));
        }
    });
}

net::awaitable<void> http_server::wait_stopped() {
    net::use_awaitable_t<> token;
    co_await net::async_initiate<net::use_awaitable_t<>, void()>(initiate_wait_stopped{this},
                                                                 token);
}

std::size_t http_server::connection_count_for_test() const noexcept {
    return state_->open_count.load();
}

} // namespace rapport::http
