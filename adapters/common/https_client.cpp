// Everything that can be checked without I/O (URL, request, plain-HTTP policy) is checked in
// send() on the caller's executor. The exchange then runs on the strand of the target's
// host_pool: the pool's bookkeeping needs no lock there, a connection's streams always run on
// one strand whichever request holds them, and the resolver's completion handler never runs at
// once with the coroutine. Expected failures come back as error codes (use_tuple) and become an
// https_failure at the step that saw them; that step also decides whether any request byte may
// have left, which in turn decides whether a request may go again on a new connection.
#include "adapters/common/https_client.hpp"

#include "adapters/common/proxy_settings.hpp"
#include "rules/ascii.hpp"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#ifndef RAPPORT_VERSION
#error "RAPPORT_VERSION must be defined (adapters/common/CMakeLists.txt)"
#endif

namespace rapport::adapters {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using steady_clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view idempotent_methods[] = {"GET",    "HEAD",    "PUT",
                                                   "DELETE", "OPTIONS", "TRACE"};

/// tchar (RFC 9110 §5.6.2): what method and header-name tokens are made of.
bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        return true;
    }
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

/// A field value may hold visible characters, spaces, tabs and obs-text, never CR, LF, NUL or
/// other controls: those would let a value inject header fields.
bool is_field_value(std::string_view s) {
    return std::none_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && u != '\t') || u == 0x7f;
    });
}

std::string millis(steady_clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

https_result failed(https_error kind, send_stage stage, std::string message) {
    return https_result(https_failure{kind, stage, std::move(message)});
}

enum class host_kind { name, ipv4, ipv6 };

/// The parts of a request URL the client acts on.
struct target_url {
    bool tls = true;
    std::string host; ///< decoded name or address, IPv6 without brackets
    host_kind kind = host_kind::name;
    std::string port;        ///< decimal, never empty
    std::string host_header; ///< host, bracketed if IPv6, with ":port" unless the default
    std::string origin;      ///< scheme://host_header: all of the URL that messages show
    std::string target;      ///< origin-form request-target: path and query, as encoded
};

/// DNS names as the resolver, SNI and certificate matching all take them: ASCII letters,
/// digits, '-', '_' and '.'; international names must come as punycode.
bool is_plain_host_name(std::string_view s) {
    return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.';
    });
}

boost::system::result<target_url, https_failure> parse_target(std::string_view text) {
    // The URL itself is never echoed: its path or query may hold a token.
    const auto invalid = [](std::string why) {
        return https_failure{https_error::invalid_url, send_stage::before_sending,
                             "invalid URL: " + std::move(why)};
    };
    const auto parsed = boost::urls::parse_uri(text);
    if (!parsed) {
        return invalid("not an absolute URL");
    }
    const boost::urls::url_view u = *parsed;
    target_url t;
    if (u.scheme_id() == boost::urls::scheme::https) {
        t.tls = true;
    } else if (u.scheme_id() == boost::urls::scheme::http) {
        t.tls = false;
    } else {
        // The grammar limits a scheme to letters, digits, '+', '-' and '.': safe to show.
        return invalid("scheme \"" + std::string(u.scheme().substr(0, 32)) +
                       "\" is not https (or http to loopback)");
    }
    if (!u.has_authority() || u.encoded_host().empty()) {
        return invalid("no host");
    }
    if (u.has_userinfo()) {
        return invalid("credentials in the URL are not supported; send an Authorization header");
    }
    std::string port = u.has_port() ? std::string(u.port()) : std::string();
    std::string path(u.encoded_path());
    switch (u.host_type()) {
        case boost::urls::host_type::ipv4:
            t.kind = host_kind::ipv4;
            break;
        case boost::urls::host_type::ipv6:
            t.kind = host_kind::ipv6;
            break;
        case boost::urls::host_type::name:
            t.kind = host_kind::name;
            break;
        default:
            return invalid("unsupported host form");
    }
    t.host = u.host_address();
    // Boost.URL 1.81 lets a path that does not start with '/' follow the authority
    // (boostorg/url#636), which RFC 3986 §3.3 forbids: "https://host:12ab/" parses as port 12
    // and path "ab/". Its IPv4 rule also takes a prefix, so a DNS name that starts with an
    // address, "https://10.0.0.1.example.com/", parses as host 10.0.0.1 and path
    // ".example.com/". That one is a valid URL: rebuild its authority from the pieces.
    if (!path.empty() && path.front() != '/') {
        if (t.kind != host_kind::ipv4) {
            return invalid("malformed host or port");
        }
        const auto slash = path.find('/');
        const std::string authority = std::string(u.encoded_host()) +
                                      (u.has_port() ? ":" + port : std::string()) +
                                      path.substr(0, slash);
        path = slash == std::string::npos ? std::string() : path.substr(slash);
        const auto colon = authority.rfind(':');
        t.kind = host_kind::name;
        t.host = authority.substr(0, colon);
        port = colon == std::string::npos ? std::string() : authority.substr(colon + 1);
    }
    if (t.kind == host_kind::name && !is_plain_host_name(t.host)) {
        return invalid(
            "host name must be ASCII letters, digits, '-', '_' and '.' (punycode for "
            "international names)");
    }
    const std::string_view default_port = t.tls ? "443" : "80";
    if (port.empty()) {
        t.port = default_port;
    } else {
        unsigned long n = 0;
        for (const char c : port) {
            if (c < '0' || c > '9' || n > 65535) {
                return invalid("port must be a number from 1 to 65535");
            }
            n = n * 10 + static_cast<unsigned long>(c - '0');
        }
        if (n == 0 || n > 65535) {
            return invalid("port must be a number from 1 to 65535");
        }
        t.port = std::to_string(n);
    }
    t.host_header = t.kind == host_kind::ipv6 ? "[" + t.host + "]" : t.host;
    if (t.port != default_port) {
        t.host_header += ":" + t.port;
    }
    t.origin = (t.tls ? "https://" : "http://") + t.host_header;
    t.target = path.empty() ? std::string("/") : path;
    if (u.has_query()) {
        t.target += '?';
        t.target += u.encoded_query();
    }
    return t;
}

/// Plain HTTP is for a receiver on this machine: localhost, 127.0.0.0/8 or ::1.
bool is_loopback_host(const target_url& t) {
    error_code ec;
    switch (t.kind) {
        case host_kind::name:
            return rules::iequals(t.host, "localhost");
        case host_kind::ipv4: {
            const auto a = net::ip::make_address_v4(t.host, ec);
            return !ec && a.is_loopback();
        }
        case host_kind::ipv6: {
            const auto a = net::ip::make_address_v6(t.host, ec);
            return !ec && a.is_loopback();
        }
    }
    return false;
}

std::optional<https_failure> check_request(const https_request& r) {
    const auto invalid = [](std::string why) {
        return https_failure{https_error::invalid_request, send_stage::before_sending,
                             std::move(why)};
    };
    if (!is_token(r.method)) {
        return invalid("invalid request method");
    }
    for (const auto& f : r.headers.fields()) {
        if (!is_token(f.name)) {
            return invalid("invalid header field name");
        }
        for (const std::string_view reserved :
             {"host", "content-length", "transfer-encoding", "connection"}) {
            if (rules::iequals(f.name, reserved)) {
                return invalid("header field " + f.name + " is set by the client, not the caller");
            }
        }
        // The name is a valid token by now and so safe to show; the value is not.
        if (!is_field_value(f.value)) {
            return invalid("header field " + f.name + " has control characters in its value");
        }
    }
    return std::nullopt;
}

/// A lookup the exchange can give up on: Asio cannot interrupt a getaddrinfo() already running
/// on its resolver thread, so the coroutine waits on `wake` (expiring at the connect deadline,
/// cancelled early by resolve_done) and, on timeout, leaves the lookup to finish unobserved.
/// The handler keeps this state alive until then.
struct resolve_state {
    explicit resolve_state(const net::any_io_executor& ex) : resolver(ex), wake(ex) {}
    tcp::resolver resolver;
    net::steady_timer wake;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;
};

struct resolve_done {
    std::shared_ptr<resolve_state> state;
    void operator()(const error_code& ec, tcp::resolver::results_type results) const {
        state->done = true;
        state->ec = ec;
        state->results = std::move(results);
        state->wake.cancel();
    }
};

/// Whether the awaiting side asked us to stop: checked between steps, since an operation that
/// finished just as the signal came reports success.
bool cancel_requested(const net::cancellation_state& cs) {
    return cs.cancelled() != net::cancellation_type::none;
}

https_failure cancelled(send_stage stage, std::string_view doing, std::string_view where) {
    return https_failure{https_error::cancelled, stage,
                         "cancelled while " + std::string(doing) + " " + std::string(where)};
}

std::string effective_connect_timeout(const https_client_options& o) {
    return millis(std::min(o.connect_timeout, o.request_timeout));
}

/// A connect or TLS handshake error that is not about the certificate. `where` names the
/// target, and the proxy if the connection goes through one.
https_failure connect_failure(const error_code& ec,
                              std::string_view where,
                              const https_client_options& o) {
    const auto before = send_stage::before_sending;
    if (ec == beast::error::timeout) {
        return https_failure{https_error::timeout, before,
                             "connecting to " + std::string(where) +
                                 " took longer than the connect timeout of " +
                                 effective_connect_timeout(o)};
    }
    if (ec == net::error::operation_aborted) {
        return cancelled(before, "connecting to", where);
    }
    return https_failure{https_error::connect, before,
                         "cannot connect to " + std::string(where) + ": " + ec.message()};
}

/// The timeout parameter of a Keep-Alive field ("timeout=5, max=100"), if there is a valid one.
std::optional<std::chrono::seconds> keep_alive_timeout(std::string_view value) {
    while (!value.empty()) {
        const auto comma = value.find(',');
        const std::string_view param = rules::trim_blanks(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
        const auto eq = param.find('=');
        if (eq == std::string_view::npos ||
            !rules::iequals(rules::trim_blanks(param.substr(0, eq)), "timeout")) {
            continue;
        }
        std::string_view v = rules::trim_blanks(param.substr(eq + 1));
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
            v = v.substr(1, v.size() - 2);
        }
        if (v.empty() || v.size() > 9 ||
            !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            return std::nullopt;
        }
        return std::chrono::seconds(std::stol(std::string(v)));
    }
    return std::nullopt;
}

/// RFC 9110 §9.2.2: methods whose repetition has the effect of one request, and so may be sent
/// again when a reused connection fails before an answer. POST and PATCH are not among them.
bool is_idempotent(std::string_view method) {
    return std::any_of(std::begin(idempotent_methods), std::end(idempotent_methods),
                       [&](std::string_view m) { return m == method; });
}

// ---- the pool --------------------------------------------------------------------------------

/// One connection to a target: plain TCP (http:// to loopback) or TLS, directly or through a
/// proxy's CONNECT tunnel. Its streams run on the strand of the target's host_pool.
struct connection {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;

    beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

/// Whether an idle connection can carry a request: the server has not closed or reset it and
/// has sent nothing unasked (stray bytes, a TLS alert or close_notify). A non-blocking peek at
/// the socket, so it costs one system call and never waits. It cannot see a server that is
/// about to close; that race is why a POST on a reused connection can still fail after sending.
bool still_open(connection& c) {
    if (c.tls && SSL_pending(c.tls->native_handle()) > 0) {
        return false;
    }
    auto& socket = c.tcp().socket();
    if (!socket.is_open()) {
        return false;
    }
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

struct idle_connection {
    std::unique_ptr<connection> conn;
    steady_clock::time_point reuse_until{};
};

/// A request waiting for one of its host's connections to come free.
struct pool_waiter {
    explicit pool_waiter(const net::any_io_executor& ex) : wake(ex) {}
    net::steady_timer wake; ///< expires at the request deadline; cancelled when granted
    bool granted = false;
    idle_connection handed; ///< a connection to reuse; none: a slot to open one in
};

/// The connections to one (scheme, host, port). Every exchange with that target runs on
/// `strand`, and only there are the other members touched, so they need no lock: requests to
/// one host still overlap (a strand serialises handlers, not I/O), and callers on other
/// threads reach the pool by co_spawn onto the strand.
struct host_pool {
    host_pool(const net::any_io_executor& ex, std::size_t max)
        : strand(net::make_strand(ex)), max_open(max) {}

    net::strand<net::any_io_executor> strand;
    const std::size_t max_open;
    std::size_t open = 0;              ///< idle, in use or being opened: what max_open bounds
    std::vector<idle_connection> idle; ///< the most recently used last
    std::deque<std::shared_ptr<pool_waiter>> waiters;
    /// idle.size(), readable off the strand: whether prune() is worth posting.
    std::atomic<std::size_t> idle_count{0};

    /// Closes idle connections past their reuse time or closed by the server.
    void prune(steady_clock::time_point now) {
        const auto gone = std::remove_if(idle.begin(), idle.end(), [now](idle_connection& c) {
            return now >= c.reuse_until || !still_open(*c.conn);
        });
        open -= static_cast<std::size_t>(idle.end() - gone);
        idle.erase(gone, idle.end());
        idle_count = idle.size();
    }

    /// Ends a request's use of its slot: with `c.conn`, a connection that may be reused until
    /// `c.reuse_until`; without, the connection was closed (or never opened).
    void give_back(idle_connection c) {
        if (!waiters.empty()) {
            auto w = std::move(waiters.front());
            waiters.pop_front();
            w->granted = true;
            w->handed = std::move(c);
            w->wake.cancel();
            return;
        }
        if (c.conn) {
            idle.push_back(std::move(c));
            idle_count = idle.size();
        } else {
            --open;
        }
    }
};

} // namespace

struct https_client::shared {
    shared(net::any_io_executor ex, https_client_options o)
        : executor(std::move(ex)),
          options(std::move(o)),
          tls(ssl::context::tls_client),
          proxy(load_proxy_settings(options.proxy, options.no_proxy)) {
        if (options.user_agent.empty()) {
            options.user_agent = "rapport/" RAPPORT_VERSION;
        }
        options.max_connections_per_host =
            std::max<std::size_t>(options.max_connections_per_host, 1);
        error_code ec;
        tls.set_default_verify_paths(ec);
        if (ec) {
            throw std::runtime_error("cannot use the system CA store: " + ec.message());
        }
        if (!options.extra_ca_file.empty()) {
            // Adds to the store set up above; it does not replace the system CAs.
            tls.load_verify_file(options.extra_ca_file, ec);
            if (ec) {
                throw std::runtime_error("cannot load CA file " + options.extra_ca_file + ": " +
                                         ec.message());
            }
        }
        if (SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION) != 1) {
            throw std::runtime_error("cannot require TLS 1.2 or later");
        }
        tls.set_verify_mode(ssl::verify_peer);
    }

    /// The pool for `t`'s scheme, host and port, made on first use. Pools are never removed:
    /// there is one per target the daemon talks to, a handful, and an empty one holds no socket.
    std::shared_ptr<host_pool> pool_for(const target_url& t) {
        std::string key = (t.tls ? "https://" : "http://");
        key += t.kind == host_kind::ipv6 ? "[" + t.host + "]" : rules::ascii_lowercase(t.host);
        key += ":" + t.port;
        const std::lock_guard lock(pools_mutex);
        // Idle connections elsewhere are closed lazily (a timer would keep io_context::run()
        // from returning while they wait): any request looks at every pool that has some.
        for (const auto& [other_key, p] : pools) {
            if (other_key != key && p->idle_count.load() > 0) {
                net::post(p->strand, [p = p] { p->prune(steady_clock::now()); });
            }
        }
        auto& pool = pools[key];
        if (!pool) {
            pool = std::make_shared<host_pool>(executor, options.max_connections_per_host);
        }
        return pool;
    }

    net::any_io_executor executor;
    https_client_options options;
    ssl::context tls;
    proxy_settings proxy;
    std::mutex pools_mutex;
    std::map<std::string, std::shared_ptr<host_pool>> pools;
};

namespace {

using shared_ptr = std::shared_ptr<https_client::shared>;

/// A slot in a host's pool: a connection to reuse, or none and the right to open one.
struct lease {
    std::unique_ptr<connection> conn;
    std::optional<https_failure> failure; ///< no slot: timed out or cancelled while queued
};

/// Takes the most recently used idle connection that is still open (unless `fresh`), else a
/// slot for a new connection if the host has fewer than max_open, else waits in line until a
/// request gives one back or `deadline` passes. Runs on pool.strand; `pool`, `t` and `o` belong
/// to the awaiting frame.
net::awaitable<lease> acquire(host_pool& pool,
                              bool fresh,
                              const target_url& t,
                              const https_client_options& o,
                              steady_clock::time_point deadline) {
    const auto cs = co_await net::this_coro::cancellation_state;
    for (;;) {
        pool.prune(steady_clock::now());
        if (!fresh && !pool.idle.empty()) {
            auto c = std::move(pool.idle.back());
            pool.idle.pop_back();
            pool.idle_count = pool.idle.size();
            co_return lease{std::move(c.conn), std::nullopt};
        }
        if (pool.open < pool.max_open) {
            ++pool.open;
            co_return lease{nullptr, std::nullopt};
        }
        if (pool.idle.empty()) {
            break;
        }
        // A fresh connection is wanted and every slot is taken, some by idle connections:
        // close the least recently used to make room.
        pool.idle.erase(pool.idle.begin());
        pool.idle_count = pool.idle.size();
        --pool.open;
    }

    auto w = std::make_shared<pool_waiter>(pool.strand);
    w->wake.expires_at(deadline);
    pool.waiters.push_back(w);
    auto [ec] = co_await w->wake.async_wait(use_tuple);
    if (!w->granted) {
        std::erase(pool.waiters, w);
        if (ec == net::error::operation_aborted || cancel_requested(cs)) {
            co_return lease{nullptr, cancelled(send_stage::before_sending,
                                               "waiting for a free connection to", t.origin)};
        }
        co_return lease{nullptr, https_failure{https_error::timeout, send_stage::before_sending,
                                               "no connection to " + t.origin +
                                                   " came free within the request timeout of " +
                                                   millis(o.request_timeout) + " (all " +
                                                   std::to_string(pool.max_open) + " in use)"}};
    }
    if (cancel_requested(cs)) {
        pool.give_back(std::move(w->handed));
        co_return lease{nullptr, cancelled(send_stage::before_sending,
                                           "waiting for a free connection to", t.origin)};
    }
    // The slot is ours either way; a connection we cannot reuse is closed and replaced.
    if (w->handed.conn &&
        (fresh || steady_clock::now() >= w->handed.reuse_until || !still_open(*w->handed.conn))) {
        w->handed.conn.reset();
    }
    co_return lease{std::move(w->handed.conn), std::nullopt};
}

/// A new connection, ready for a request, or why there is none (always before_sending).
struct opened {
    std::unique_ptr<connection> conn;
    std::optional<https_failure> failure;
};

opened not_opened(https_failure f) {
    return opened{nullptr, std::move(f)};
}

/// Asks `proxy` for a tunnel to `t` over `stream` (RFC 9110 §9.3.6). Nothing of the request has
/// been sent yet, so every failure here is before_sending. The proxy's credentials go in
/// Proxy-Authorization and never into a message.
net::awaitable<std::optional<https_failure>> open_tunnel(beast::tcp_stream& stream,
                                                         const https_proxy& proxy,
                                                         const target_url& t,
                                                         const https_client_options& o) {
    const auto before = send_stage::before_sending;
    const std::string where = t.origin + " through proxy " + proxy.authority;
    const std::string authority =
        (t.kind == host_kind::ipv6 ? "[" + t.host + "]" : t.host) + ":" + t.port;
    bhttp::request<bhttp::empty_body> req{bhttp::verb::connect, authority, 11};
    req.set(bhttp::field::host, authority);
    req.set(bhttp::field::user_agent, o.user_agent);
    if (!proxy.authorization.empty()) {
        req.set(bhttp::field::proxy_authorization, proxy.authorization);
    }
    auto [write_ec, written] = co_await bhttp::async_write(stream, req, use_tuple);
    if (write_ec) {
        co_return connect_failure(write_ec, where, o);
    }

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::empty_body> parser;
    // A 2xx answer to CONNECT has no body, whatever its header says; a refusal's body is of no
    // interest, since the connection is closed after it.
    parser.skip(true);
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(o.max_response_header, std::numeric_limits<std::uint32_t>::max())));
    auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
    if (read_ec == beast::error::timeout || read_ec == net::error::operation_aborted) {
        co_return connect_failure(read_ec, where, o);
    }
    if (read_ec) {
        co_return https_failure{https_error::proxy, before,
                                "proxy " + proxy.authority +
                                    " gave no valid answer to CONNECT (for " + t.origin +
                                    "): " + read_ec.message()};
    }
    const unsigned status = parser.get().result_int();
    if (status < 200 || status > 299) {
        co_return https_failure{https_error::proxy, before,
                                "proxy " + proxy.authority + " refused CONNECT: " +
                                    std::to_string(status) + " (for " + t.origin + ")"};
    }
    // The client speaks first in TLS: anything already here did not come from the target.
    if (buffer.size() != 0) {
        co_return https_failure{https_error::proxy, before,
                                "proxy " + proxy.authority +
                                    " sent data after accepting CONNECT (for " + t.origin + ")"};
    }
    co_return std::nullopt;
}

/// Resolves, connects and, for https, asks the proxy for a tunnel and runs the TLS handshake,
/// all before `deadline`. Runs on the target's strand; `sh`, `t` and `proxy` belong to the
/// awaiting frame.
net::awaitable<opened> open_connection(https_client::shared& sh,
                                       const target_url& t,
                                       const https_proxy* proxy,
                                       steady_clock::time_point deadline) {
    const auto& o = sh.options;
    const auto before = send_stage::before_sending;
    const auto cs = co_await net::this_coro::cancellation_state;
    const auto ex = co_await net::this_coro::executor;
    const std::string where =
        proxy == nullptr ? t.origin : t.origin + " through proxy " + proxy->authority;

    // 1. Resolve the target, or the proxy. An IP literal is converted without DNS; through a
    // proxy, the target's name is the proxy's to resolve.
    const std::string& host = proxy == nullptr ? t.host : proxy->host;
    auto flags = tcp::resolver::numeric_service;
    if (proxy == nullptr ? t.kind != host_kind::name : proxy->host_is_address) {
        flags |= tcp::resolver::numeric_host;
    }
    const std::string what = proxy == nullptr ? host : "proxy host " + host;
    auto lookup = std::make_shared<resolve_state>(ex);
    lookup->wake.expires_at(deadline);
    lookup->resolver.async_resolve(host, proxy == nullptr ? t.port : proxy->port, flags,
                                   resolve_done{lookup});
    auto [wake_ec] = co_await lookup->wake.async_wait(use_tuple);
    if (!lookup->done) {
        lookup->resolver.cancel();
        if (wake_ec == net::error::operation_aborted) {
            co_return not_opened(cancelled(before, "resolving", what));
        }
        co_return not_opened(https_failure{https_error::timeout, before,
                                           "resolving " + what +
                                               " took longer than the connect timeout of " +
                                               effective_connect_timeout(o)});
    }
    if (lookup->ec) {
        co_return not_opened(https_failure{https_error::resolve, before,
                                           "cannot resolve " + what + ": " + lookup->ec.message()});
    }
    const auto endpoints = std::move(lookup->results);
    if (!t.tls) {
        // "localhost" must mean this machine: a hosts file or resolver that says otherwise
        // would send plain HTTP across the network.
        for (const auto& e : endpoints) {
            if (!e.endpoint().address().is_loopback()) {
                co_return not_opened(https_failure{
                    https_error::plain_http_refused, before,
                    "refusing plain HTTP to " + t.origin + ": " + t.host + " resolves to " +
                        e.endpoint().address().to_string() + ", which is not a loopback address"});
            }
        }
    }
    if (cancel_requested(cs)) {
        co_return not_opened(cancelled(before, "resolving", what));
    }

    // 2. Connect (every resolved address in turn).
    auto conn = std::make_unique<connection>();
    auto& tcp_stream = conn->plain.emplace(ex);
    tcp_stream.expires_at(deadline);
    auto [connect_ec, peer] = co_await tcp_stream.async_connect(endpoints, use_tuple);
    if (connect_ec) {
        co_return not_opened(connect_failure(connect_ec, where, o));
    }
    if (cancel_requested(cs)) {
        co_return not_opened(cancelled(before, "connecting to", where));
    }
    if (!t.tls) {
        co_return opened{std::move(conn), std::nullopt};
    }

    // 3. Through a proxy: the tunnel, on the same deadline.
    if (proxy != nullptr) {
        auto refused = co_await open_tunnel(tcp_stream, *proxy, t, o);
        if (refused) {
            co_return not_opened(std::move(*refused));
        }
        if (cancel_requested(cs)) {
            co_return not_opened(cancelled(before, "connecting to", where));
        }
    }

    // 4. The TLS handshake with the target, end to end through any tunnel.
    auto& stream = conn->tls.emplace(std::move(tcp_stream), sh.tls);
    conn->plain.reset();
    SSL* const ssl_handle = stream.native_handle();
    // SNI carries DNS names only (RFC 6066 §3); the certificate must match the host as written
    // in the URL, a DNS name or an IP address, never the proxy's. OpenSSL checks it during the
    // handshake, so a mismatch fails the handshake with a verify result that names it.
    X509_VERIFY_PARAM* const param = SSL_get0_param(ssl_handle);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    // SSL_ctrl is what the SSL_set_tlsext_host_name macro expands to, minus its C cast.
    const bool names_set =
        t.kind == host_kind::name
            ? SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                       const_cast<char*>(t.host.c_str())) == 1 &&
                  X509_VERIFY_PARAM_set1_host(param, t.host.data(), t.host.size()) == 1
            : X509_VERIFY_PARAM_set1_ip_asc(param, t.host.c_str()) == 1;
    if (!names_set) {
        co_return not_opened(https_failure{https_error::tls_handshake, before,
                                           "cannot set up TLS host verification for " + t.origin});
    }
    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (handshake_ec) {
        const long verify = SSL_get_verify_result(ssl_handle);
        if (verify != X509_V_OK) {
            co_return not_opened(
                https_failure{https_error::tls_verification, before,
                              "the TLS certificate of " + t.origin +
                                  " was not accepted: " + X509_verify_cert_error_string(verify)});
        }
        if (handshake_ec == beast::error::timeout ||
            handshake_ec == net::error::operation_aborted) {
            co_return not_opened(connect_failure(handshake_ec, where, o));
        }
        if (handshake_ec.category() == net::error::get_ssl_category() &&
            ERR_GET_REASON(static_cast<unsigned long>(handshake_ec.value())) ==
                SSL_R_CERTIFICATE_VERIFY_FAILED) {
            co_return not_opened(
                https_failure{https_error::tls_verification, before,
                              "the TLS certificate of " + t.origin + " was not accepted"});
        }
        co_return not_opened(
            https_failure{https_error::tls_handshake, before,
                          "TLS handshake with " + where + " failed: " + handshake_ec.message()});
    }
    co_return opened{std::move(conn), std::nullopt};
}

/// The request as it goes on the wire, built once: a retry sends the same bytes.
bhttp::request<bhttp::string_body> make_request(https_request& request,
                                                const target_url& t,
                                                const https_client_options& o) {
    bhttp::request<bhttp::string_body> req;
    req.method_string(request.method);
    req.target(t.target);
    req.version(11);
    req.set(bhttp::field::host, t.host_header);
    req.set(bhttp::field::user_agent, o.user_agent);
    // No Connection header: HTTP/1.1 connections persist by default, and the pool keeps them.
    for (const auto& f : request.headers.fields()) {
        if (rules::iequals(f.name, "user-agent")) {
            req.set(bhttp::field::user_agent, f.value);
        } else {
            req.insert(f.name, f.value);
        }
    }
    req.body() = std::move(request.body);
    req.prepare_payload();
    return req;
}

/// What one try on one connection gave.
struct attempt {
    explicit attempt(https_result r) : result(std::move(r)) {}
    https_result result;
    /// Part of a response arrived: the request was received, whatever happened next.
    bool response_started = false;
    /// Set when the connection may carry another request: for at most this long from now.
    std::optional<steady_clock::duration> reusable_for;
};

/// A failed read of the response, as a failure the caller can act on.
https_failure read_failure(const error_code& read_ec,
                           bool got_some,
                           const target_url& t,
                           const https_client_options& o) {
    const auto after = send_stage::after_sending;
    if (read_ec == beast::error::timeout) {
        return https_failure{
            https_error::timeout, after,
            "no complete response from " + t.origin + " within " + millis(o.request_timeout)};
    }
    if (read_ec == net::error::operation_aborted) {
        return cancelled(after, "waiting for the response from", t.origin);
    }
    if (read_ec == bhttp::error::body_limit) {
        return https_failure{https_error::response_too_large, after,
                             "the response body from " + t.origin + " exceeds " +
                                 std::to_string(o.max_response_body) + " bytes"};
    }
    if (read_ec == bhttp::error::header_limit) {
        return https_failure{https_error::response_too_large, after,
                             "the response header from " + t.origin + " exceeds " +
                                 std::to_string(o.max_response_header) + " bytes"};
    }
    // Over TLS a close without close_notify is stream_truncated, whenever it happens.
    if (read_ec == bhttp::error::end_of_stream ||
        (read_ec == ssl::error::stream_truncated && !got_some)) {
        return https_failure{https_error::read, after,
                             t.origin + " closed the connection without a response"};
    }
    if (read_ec == bhttp::error::partial_message || read_ec == ssl::error::stream_truncated) {
        return https_failure{https_error::read, after,
                             t.origin + " closed the connection in the middle of the response"};
    }
    if (read_ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
        return https_failure{https_error::bad_response, after,
                             "malformed response from " + t.origin + ": " + read_ec.message()};
    }
    return https_failure{https_error::read, after,
                         "reading the response from " + t.origin + " failed: " + read_ec.message()};
}

/// How long a connection may wait for its next request after `res`, or nothing if it must not
/// carry another. Reuse needs HTTP/1.1 framing that ended the body by itself, no `Connection:
/// close`, and nothing left over. A server's `Keep-Alive: timeout=N` caps the wait at N - 1 s:
/// the server's clock started when it wrote the response, before ours did, and a request that
/// crosses its close would fail after sending. The same second of margin puts idle_timeout's
/// default at 4 s against Node's 5.
std::optional<steady_clock::duration> reuse_window(
    const bhttp::response_parser<bhttp::string_body>& parser,
    std::size_t left_over,
    const https_client_options& o) {
    const auto& res = parser.get();
    if (res.version() != 11 || res.result_int() == 101 || !parser.keep_alive() ||
        !parser.is_done() || left_over != 0) {
        return std::nullopt;
    }
    steady_clock::duration window = o.idle_timeout;
    const auto field = res.find(bhttp::field::keep_alive);
    if (field != res.end()) {
        if (const auto timeout = keep_alive_timeout(field->value())) {
            window = std::min(window, steady_clock::duration(*timeout - std::chrono::seconds(1)));
        }
    }
    if (window <= steady_clock::duration::zero()) {
        return std::nullopt;
    }
    return window;
}

/// Writes the request and reads the response on a ready connection. `stream`, `req`, `t` and
/// `o` belong to the frame of exchange(), which awaits this directly.
template <class Stream>
net::awaitable<attempt> write_and_read(Stream& stream,
                                       const bhttp::request<bhttp::string_body>& req,
                                       const target_url& t,
                                       const https_client_options& o,
                                       steady_clock::time_point deadline) {
    const auto cs = co_await net::this_coro::cancellation_state;
    // Past the deadline already (a slow handshake): nothing has been written yet, so say so
    // rather than let the write fail as "after sending".
    if (steady_clock::now() >= deadline) {
        co_return attempt(failed(https_error::timeout, send_stage::before_sending,
                                 "no connection to " + t.origin +
                                     " within the request timeout of " +
                                     millis(o.request_timeout)));
    }
    if (cancel_requested(cs)) {
        co_return attempt(
            https_result(cancelled(send_stage::before_sending, "connecting to", t.origin)));
    }

    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [write_ec, written] = co_await bhttp::async_write(stream, req, use_tuple);
    if (write_ec == beast::error::timeout) {
        co_return attempt(failed(https_error::timeout, send_stage::after_sending,
                                 "sending the request to " + t.origin + " did not finish within " +
                                     millis(o.request_timeout)));
    }
    if (write_ec == net::error::operation_aborted) {
        co_return attempt(
            https_result(cancelled(send_stage::after_sending, "sending to", t.origin)));
    }
    if (write_ec) {
        co_return attempt(
            failed(https_error::write, send_stage::after_sending,
                   "sending the request to " + t.origin + " failed: " + write_ec.message()));
    }

    beast::flat_buffer buffer;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    bool response_started = false;
    // 1xx answers (103 Early Hints, a stray 100 Continue) precede the real one; a few at most.
    constexpr int max_interim = 8;
    for (int interim = 0;; ++interim) {
        if (cancel_requested(cs)) {
            attempt a(https_result(
                cancelled(send_stage::after_sending, "waiting for the response from", t.origin)));
            a.response_started = response_started;
            co_return a;
        }
        parser.emplace();
        parser->body_limit(std::uint64_t{o.max_response_body});
        parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            o.max_response_header, std::numeric_limits<std::uint32_t>::max())));
        if (req.method_string() == "HEAD") {
            parser->skip(true);
        }
        auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, *parser, use_tuple);
        response_started = response_started || parser->got_some();
        if (read_ec) {
            attempt a(https_result(read_failure(read_ec, parser->got_some(), t, o)));
            a.response_started = response_started;
            co_return a;
        }
        const unsigned status = parser->get().result_int();
        if (status < 100 || status > 199 || status == 101) {
            break;
        }
        if (interim + 1 == max_interim) {
            attempt a(failed(https_error::bad_response, send_stage::after_sending,
                             "too many 1xx responses from " + t.origin));
            a.response_started = true;
            co_return a;
        }
    }

    const auto reusable_for = reuse_window(*parser, buffer.size(), o);
    beast::get_lowest_layer(stream).expires_never();
    auto res = parser->release();
    https_response out;
    out.status = res.result_int();
    out.reason = std::string(res.reason());
    for (const auto& f : res) {
        out.headers.add(std::string(f.name_string()), std::string(f.value()));
    }
    out.body = std::move(res.body());
    attempt a{https_result(std::move(out))};
    a.response_started = true;
    a.reusable_for = reusable_for;
    co_return a;
}

/// A failure on the second try, after a reused connection failed once the request was being
/// written: the receiver may have the first copy, so it is never "before sending".
https_failure after_retry(bool retried, https_failure f) {
    if (retried) {
        f.stage = send_stage::after_sending;
        f.message += " (on a new connection, after a reused one failed while sending)";
    }
    return f;
}

/// Takes a connection from the target's pool (or opens one), sends, and gives the connection
/// back if it can carry another request; runs on the pool's strand. A reused connection that
/// fails before any response byte is tried again once on a fresh connection, for idempotent
/// methods only (RFC 9110 §9.2.2): a POST may have been acted on, so it is reported after_sending
/// and left to the caller.
net::awaitable<https_result> exchange(shared_ptr sh,
                                      std::shared_ptr<host_pool> pool,
                                      https_request request,
                                      target_url t,
                                      steady_clock::time_point start) {
    const auto& o = sh->options;
    const auto request_deadline = start + o.request_timeout;

    // Any cancellation type ends the request; we check for it ourselves between steps instead
    // of letting the next co_await throw.
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);

    const https_proxy* const proxy =
        t.tls && sh->proxy.applies_to(t.host) ? &*sh->proxy.proxy : nullptr;
    const bool idempotent = is_idempotent(request.method);
    const auto req = make_request(request, t, o);
    bool retried = false;
    for (;;) {
        auto slot = co_await acquire(*pool, retried, t, o, request_deadline);
        if (slot.failure) {
            co_return https_result(after_retry(retried, std::move(*slot.failure)));
        }
        const bool reused = slot.conn != nullptr;
        auto conn = std::move(slot.conn);
        if (!conn) {
            // The connect timeout runs from when the slot came free: time queued behind busy
            // connections counts against the request timeout only.
            const auto connect_deadline =
                std::min(steady_clock::now() + o.connect_timeout, request_deadline);
            auto fresh = co_await open_connection(*sh, t, proxy, connect_deadline);
            if (!fresh.conn) {
                pool->give_back(idle_connection{});
                co_return https_result(after_retry(retried, std::move(*fresh.failure)));
            }
            conn = std::move(fresh.conn);
        }

        std::optional<attempt> tried;
        if (conn->tls) {
            auto a = co_await write_and_read(*conn->tls, req, t, o, request_deadline);
            tried.emplace(std::move(a));
        } else {
            auto a = co_await write_and_read(*conn->plain, req, t, o, request_deadline);
            tried.emplace(std::move(a));
        }

        if (tried->result) {
            idle_connection back;
            if (tried->reusable_for) {
                back.conn = std::move(conn);
                back.reuse_until = steady_clock::now() + *tried->reusable_for;
            }
            // Dropping a connection closes it without a TLS close_notify: the response is
            // complete by its own framing, and waiting for the server's would add a round trip.
            conn.reset();
            pool->give_back(std::move(back));
            co_return std::move(tried->result);
        }
        conn.reset();
        pool->give_back(idle_connection{});
        const auto failure = tried->result.error();
        const bool connection_lost =
            failure.kind == https_error::write || failure.kind == https_error::read;
        if (reused && idempotent && !retried && !tried->response_started && connection_lost) {
            retried = true;
            continue;
        }
        co_return https_result(after_retry(retried, failure));
    }
}

/// Checks that need no I/O, then the exchange on the strand of the target's pool.
net::awaitable<https_result> perform(shared_ptr sh, https_request request) {
    const auto start = steady_clock::now();
    auto target = parse_target(request.url);
    if (!target) {
        co_return https_result(target.error());
    }
    if (auto problem = check_request(request)) {
        co_return https_result(std::move(*problem));
    }
    if (!target->tls && !is_loopback_host(*target)) {
        co_return failed(
            https_error::plain_http_refused, send_stage::before_sending,
            "refusing plain HTTP to " + target->origin +
                ": http:// is only for localhost, 127.0.0.0/8 and [::1]; use https://");
    }
    auto pool = sh->pool_for(*target);
    const auto strand = pool->strand;
    auto op =
        exchange(std::move(sh), std::move(pool), std::move(request), std::move(*target), start);
    auto result = co_await net::co_spawn(strand, std::move(op), use_throw);
    co_return result;
}

} // namespace

void https_headers::add(std::string name, std::string value) {
    fields_.push_back(field{std::move(name), std::move(value)});
}

std::optional<std::string_view> https_headers::get(std::string_view name) const noexcept {
    for (const auto& f : fields_) {
        if (rules::iequals(f.name, name)) {
            return std::string_view{f.value};
        }
    }
    return std::nullopt;
}

std::string_view to_string(https_error e) noexcept {
    switch (e) {
        case https_error::invalid_url:
            return "invalid_url";
        case https_error::invalid_request:
            return "invalid_request";
        case https_error::plain_http_refused:
            return "plain_http_refused";
        case https_error::resolve:
            return "resolve";
        case https_error::connect:
            return "connect";
        case https_error::tls_handshake:
            return "tls_handshake";
        case https_error::tls_verification:
            return "tls_verification";
        case https_error::timeout:
            return "timeout";
        case https_error::write:
            return "write";
        case https_error::read:
            return "read";
        case https_error::bad_response:
            return "bad_response";
        case https_error::response_too_large:
            return "response_too_large";
        case https_error::cancelled:
            return "cancelled";
        case https_error::proxy:
            return "proxy";
    }
    return "unknown";
}

void throw_exception_from_error(const https_failure& f, const boost::source_location&) {
    throw std::runtime_error(f.message);
}

https_client::https_client(net::any_io_executor executor, https_client_options options)
    : shared_(std::make_shared<shared>(std::move(executor), std::move(options))) {}

https_client::~https_client() = default;

net::awaitable<https_result> https_client::send(https_request request) const {
    // Not a coroutine itself: the frame of perform() owns a copy of shared_, never `this`.
    return perform(shared_, std::move(request));
}

const https_client_options& https_client::options() const noexcept {
    return shared_->options;
}

} // namespace rapport::adapters
