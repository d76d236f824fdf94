// Everything that can be checked without I/O (URL, request, plain-HTTP policy) is checked in
// send() on the caller's executor; the exchange itself runs as its own coroutine on a fresh
// strand, because the resolver's completion handler and the coroutine must never run at once.
// Expected failures come back as error codes (use_tuple) and become an https_failure at the
// step that saw them; that step also decides whether any request byte may have left.
#include "adapters/common/https_client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
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

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

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
            return iequals(t.host, "localhost");
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
            if (iequals(f.name, reserved)) {
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

https_result cancelled(send_stage stage, std::string_view doing, const target_url& t) {
    return failed(https_error::cancelled, stage,
                  "cancelled while " + std::string(doing) + " " + t.origin);
}

/// A connect or TLS handshake error that is not about the certificate.
https_result connect_failure(const error_code& ec,
                             const target_url& t,
                             const https_client_options& o) {
    const auto before = send_stage::before_sending;
    if (ec == beast::error::timeout) {
        return failed(https_error::timeout, before,
                      "connecting to " + t.origin + " took longer than the connect timeout of " +
                          millis(std::min(o.connect_timeout, o.request_timeout)));
    }
    if (ec == net::error::operation_aborted) {
        return cancelled(before, "connecting to", t);
    }
    return failed(https_error::connect, before,
                  "cannot connect to " + t.origin + ": " + ec.message());
}

} // namespace

struct https_client::shared {
    shared(net::any_io_executor ex, https_client_options o)
        : executor(std::move(ex)), options(std::move(o)), tls(ssl::context::tls_client) {
        if (options.user_agent.empty()) {
            options.user_agent = "rapport/" RAPPORT_VERSION;
        }
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

    net::any_io_executor executor;
    https_client_options options;
    ssl::context tls;
};

namespace {

using shared_ptr = std::shared_ptr<https_client::shared>;

/// Steps 4 and 5 on a connected (and, for https, handshaken) stream: write the request, read
/// the response. `stream`, `request`, `t` and `sh` belong to the frame of exchange(), which
/// awaits this directly.
template <class Stream>
net::awaitable<https_result> write_and_read(Stream& stream,
                                            https_request& request,
                                            const target_url& t,
                                            const https_client::shared& sh,
                                            steady_clock::time_point deadline) {
    const auto& o = sh.options;
    const auto cs = co_await net::this_coro::cancellation_state;
    // Past the deadline already (a slow handshake): nothing has been written yet, so say so
    // rather than let the write fail as "after sending".
    if (steady_clock::now() >= deadline) {
        co_return failed(https_error::timeout, send_stage::before_sending,
                         "no connection to " + t.origin + " within the request timeout of " +
                             millis(o.request_timeout));
    }
    if (cancel_requested(cs)) {
        co_return cancelled(send_stage::before_sending, "connecting to", t);
    }

    bhttp::request<bhttp::string_body> req;
    req.method_string(request.method);
    req.target(t.target);
    req.version(11);
    req.set(bhttp::field::host, t.host_header);
    req.set(bhttp::field::user_agent, o.user_agent);
    // One connection per request for now: say so, and the receiver need not keep it open.
    // (Pooled keep-alive connections would drop this.)
    req.set(bhttp::field::connection, "close");
    for (const auto& f : request.headers.fields()) {
        if (iequals(f.name, "user-agent")) {
            req.set(bhttp::field::user_agent, f.value);
        } else {
            req.insert(f.name, f.value);
        }
    }
    req.body() = std::move(request.body);
    req.prepare_payload();

    beast::get_lowest_layer(stream).expires_at(deadline);
    auto [write_ec, written] = co_await bhttp::async_write(stream, req, use_tuple);
    if (write_ec == beast::error::timeout) {
        co_return failed(https_error::timeout, send_stage::after_sending,
                         "sending the request to " + t.origin + " did not finish within " +
                             millis(o.request_timeout));
    }
    if (write_ec == net::error::operation_aborted) {
        co_return cancelled(send_stage::after_sending, "sending to", t);
    }
    if (write_ec) {
        co_return failed(https_error::write, send_stage::after_sending,
                         "sending the request to " + t.origin + " failed: " + write_ec.message());
    }

    beast::flat_buffer buffer;
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    // 1xx answers (103 Early Hints, a stray 100 Continue) precede the real one; a few at most.
    constexpr int max_interim = 8;
    for (int interim = 0;; ++interim) {
        if (cancel_requested(cs)) {
            co_return cancelled(send_stage::after_sending, "waiting for the response from", t);
        }
        parser.emplace();
        parser->body_limit(std::uint64_t{o.max_response_body});
        parser->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
            o.max_response_header, std::numeric_limits<std::uint32_t>::max())));
        if (request.method == "HEAD") {
            parser->skip(true);
        }
        auto [read_ec, read_n] = co_await bhttp::async_read(stream, buffer, *parser, use_tuple);
        if (read_ec) {
            const auto after = send_stage::after_sending;
            if (read_ec == beast::error::timeout) {
                co_return failed(https_error::timeout, after,
                                 "no complete response from " + t.origin + " within " +
                                     millis(o.request_timeout));
            }
            if (read_ec == net::error::operation_aborted) {
                co_return cancelled(after, "waiting for the response from", t);
            }
            if (read_ec == bhttp::error::body_limit) {
                co_return failed(https_error::response_too_large, after,
                                 "the response body from " + t.origin + " exceeds " +
                                     std::to_string(o.max_response_body) + " bytes");
            }
            if (read_ec == bhttp::error::header_limit) {
                co_return failed(https_error::response_too_large, after,
                                 "the response header from " + t.origin + " exceeds " +
                                     std::to_string(o.max_response_header) + " bytes");
            }
            // Over TLS a close without close_notify is stream_truncated, whenever it happens.
            if (read_ec == bhttp::error::end_of_stream ||
                (read_ec == ssl::error::stream_truncated && !parser->got_some())) {
                co_return failed(https_error::read, after,
                                 t.origin + " closed the connection without a response");
            }
            if (read_ec == bhttp::error::partial_message ||
                read_ec == ssl::error::stream_truncated) {
                co_return failed(https_error::read, after,
                                 t.origin + " closed the connection in the middle of the response");
            }
            if (read_ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
                co_return failed(https_error::bad_response, after,
                                 "malformed response from " + t.origin + ": " + read_ec.message());
            }
            co_return failed(
                https_error::read, after,
                "reading the response from " + t.origin + " failed: " + read_ec.message());
        }
        const unsigned status = parser->get().result_int();
        if (status < 100 || status > 199 || status == 101) {
            break;
        }
        if (interim + 1 == max_interim) {
            co_return failed(https_error::bad_response, send_stage::after_sending,
                             "too many 1xx responses from " + t.origin);
        }
    }

    auto res = parser->release();
    https_response out;
    out.status = res.result_int();
    out.reason = std::string(res.reason());
    for (const auto& f : res) {
        out.headers.add(std::string(f.name_string()), std::string(f.value()));
    }
    out.body = std::move(res.body());
    // No TLS close_notify exchange: the response is complete by its own framing, and waiting
    // for the receiver's close_notify would only add a round trip. The stream's destructor
    // closes the socket.
    co_return https_result(std::move(out));
}

/// Resolve, connect, handshake, then write_and_read(); runs on its own strand.
net::awaitable<https_result> exchange(shared_ptr sh,
                                      https_request request,
                                      target_url t,
                                      steady_clock::time_point start) {
    const auto& o = sh->options;
    const auto before = send_stage::before_sending;
    const auto connect_deadline = start + std::min(o.connect_timeout, o.request_timeout);
    const auto request_deadline = start + o.request_timeout;

    // Any cancellation type ends the request; we check for it ourselves between steps instead
    // of letting the next co_await throw.
    co_await net::this_coro::reset_cancellation_state(net::enable_total_cancellation());
    co_await net::this_coro::throw_if_cancelled(false);
    const auto cs = co_await net::this_coro::cancellation_state;
    const auto ex = co_await net::this_coro::executor;

    // 1. Resolve. An IP literal is converted without DNS.
    auto flags = tcp::resolver::numeric_service;
    if (t.kind != host_kind::name) {
        flags |= tcp::resolver::numeric_host;
    }
    auto lookup = std::make_shared<resolve_state>(ex);
    lookup->wake.expires_at(connect_deadline);
    lookup->resolver.async_resolve(t.host, t.port, flags, resolve_done{lookup});
    auto [wake_ec] = co_await lookup->wake.async_wait(use_tuple);
    if (!lookup->done) {
        lookup->resolver.cancel();
        if (wake_ec == net::error::operation_aborted) {
            co_return cancelled(before, "resolving", t);
        }
        co_return failed(https_error::timeout, before,
                         "resolving " + t.host + " took longer than the connect timeout of " +
                             millis(std::min(o.connect_timeout, o.request_timeout)));
    }
    if (lookup->ec) {
        co_return failed(https_error::resolve, before,
                         "cannot resolve " + t.host + ": " + lookup->ec.message());
    }
    const auto endpoints = std::move(lookup->results);
    if (!t.tls) {
        // "localhost" must mean this machine: a hosts file or resolver that says otherwise
        // would send plain HTTP across the network.
        for (const auto& e : endpoints) {
            if (!e.endpoint().address().is_loopback()) {
                co_return failed(https_error::plain_http_refused, before,
                                 "refusing plain HTTP to " + t.origin + ": " + t.host +
                                     " resolves to " + e.endpoint().address().to_string() +
                                     ", which is not a loopback address");
            }
        }
    }
    if (cancel_requested(cs)) {
        co_return cancelled(before, "resolving", t);
    }

    // 2. Connect (every resolved address in turn) and 3. the TLS handshake, both within the
    // connect deadline.
    if (!t.tls) {
        beast::tcp_stream stream(ex);
        stream.expires_at(connect_deadline);
        auto [connect_ec, peer] = co_await stream.async_connect(endpoints, use_tuple);
        if (connect_ec) {
            co_return connect_failure(connect_ec, t, o);
        }
        auto result = co_await write_and_read(stream, request, t, *sh, request_deadline);
        co_return result;
    }

    beast::ssl_stream<beast::tcp_stream> stream(ex, sh->tls);
    SSL* const ssl_handle = stream.native_handle();
    // SNI carries DNS names only (RFC 6066 §3); the certificate must match the host as written
    // in the URL, a DNS name or an IP address. OpenSSL checks it during the handshake, so a
    // mismatch fails the handshake with a verify result that names it.
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
        co_return failed(https_error::tls_handshake, before,
                         "cannot set up TLS host verification for " + t.origin);
    }

    auto& tcp_layer = beast::get_lowest_layer(stream);
    tcp_layer.expires_at(connect_deadline);
    auto [connect_ec, peer] = co_await tcp_layer.async_connect(endpoints, use_tuple);
    if (connect_ec) {
        co_return connect_failure(connect_ec, t, o);
    }
    if (cancel_requested(cs)) {
        co_return cancelled(before, "connecting to", t);
    }

    auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, use_tuple);
    if (handshake_ec) {
        const long verify = SSL_get_verify_result(ssl_handle);
        if (verify != X509_V_OK) {
            co_return failed(https_error::tls_verification, before,
                             "the TLS certificate of " + t.origin +
                                 " was not accepted: " + X509_verify_cert_error_string(verify));
        }
        if (handshake_ec == beast::error::timeout ||
            handshake_ec == net::error::operation_aborted) {
            co_return connect_failure(handshake_ec, t, o);
        }
        if (handshake_ec.category() == net::error::get_ssl_category() &&
            ERR_GET_REASON(static_cast<unsigned long>(handshake_ec.value())) ==
                SSL_R_CERTIFICATE_VERIFY_FAILED) {
            co_return failed(https_error::tls_verification, before,
                             "the TLS certificate of " + t.origin + " was not accepted");
        }
        co_return failed(https_error::tls_handshake, before,
                         "TLS handshake with " + t.origin + " failed: " + handshake_ec.message());
    }
    auto result = co_await write_and_read(stream, request, t, *sh, request_deadline);
    co_return result;
}

/// Checks that need no I/O, then the exchange on a strand of its own.
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
    const auto strand = net::make_strand(sh->executor);
    auto op = exchange(sh, std::move(request), std::move(*target), start);
    auto result = co_await net::co_spawn(strand, std::move(op), use_throw);
    co_return result;
}

} // namespace

void https_headers::add(std::string name, std::string value) {
    fields_.push_back(field{std::move(name), std::move(value)});
}

std::optional<std::string_view> https_headers::get(std::string_view name) const noexcept {
    for (const auto& f : fields_) {
        if (iequals(f.name, name)) {
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
