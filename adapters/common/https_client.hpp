// rapport::adapters::https_client: outbound HTTP/1.1 over TLS for the dispatcher (approved
// replies to a receiver's reply_url, Telegram's Bot API) and the notifier. Plain value types in
// and out; Beast, OpenSSL and Boost.URL stay inside https_client.cpp. Plain http:// is allowed to
// loopback only. Connections are pooled per host, and https:// may go through an HTTP proxy.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "adapters/common/net.hpp"

namespace rapport::adapters {

/// Header fields in wire order (repeats allowed); lookup by name ignores ASCII case.
class https_headers {
public:
    struct field {
        std::string name;
        std::string value;
        friend bool operator==(const field&, const field&) = default;
    };

    https_headers() = default;
    https_headers(std::initializer_list<field> fields) : fields_(fields) {}

    /// Appends a field.
    void add(std::string name, std::string value);
    /// Value of the first field named `name`, if any; the view lives as long as this object.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept;
    [[nodiscard]] bool contains(std::string_view name) const noexcept {
        return get(name).has_value();
    }

    [[nodiscard]] const std::vector<field>& fields() const noexcept { return fields_; }
    [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }

    friend bool operator==(const https_headers&, const https_headers&) = default;

private:
    std::vector<field> fields_;
};

/// One request. Copyable value type.
struct https_request {
    /// Request method token, sent as given ("POST", "PUT", ...).
    std::string method = "POST";
    /// Absolute URL: `https://host[:port]/path[?query]`, or `http://` to localhost, 127.0.0.0/8
    /// or [::1]. Userinfo (`user:pass@`) is refused; a fragment is not sent.
    std::string url;
    /// Extra header fields, sent after the client's own. Host, Content-Length,
    /// Transfer-Encoding and Connection are the client's to set and are refused here;
    /// User-Agent given here replaces the default. Values never appear in failure messages.
    https_headers headers;
    /// Request body, sent with Content-Length.
    std::string body;
};

/// A complete response, whatever its status: 3xx are not followed, 4xx/5xx are not failures.
struct https_response {
    unsigned status = 0;
    std::string reason;
    https_headers headers;
    std::string body; ///< decoded from chunked transfer coding if the server used it
};

/// What went wrong.
enum class https_error {
    invalid_url,        ///< not an absolute http(s) URL the client can use
    invalid_request,    ///< a bad method token, header name or value, or a reserved header
    plain_http_refused, ///< http:// to a host that is (or resolves to something) not loopback
    resolve,            ///< the host name could not be resolved
    connect,            ///< no TCP connection to any resolved address
    tls_handshake,      ///< the TLS handshake failed (protocol version, alert, reset, ...)
    tls_verification,   ///< the certificate chain or the host name did not verify
    timeout,            ///< the connect timeout or the whole-request timeout passed
    write,              ///< writing the request failed
    read,               ///< reading the response failed, or the connection closed early
    bad_response,       ///< the response is not valid HTTP/1.1
    response_too_large, ///< the response body or header block exceeds the configured limit
    cancelled,          ///< the awaiting coroutine was cancelled
    proxy,              ///< the proxy refused CONNECT (its status is in the message) or broke it
};

/// A short stable name for logs and metrics: "invalid_url", "tls_verification", ...
[[nodiscard]] std::string_view to_string(https_error e) noexcept;

/// Whether the receiver may have seen the request when the failure happened.
enum class send_stage {
    /// Failed before any byte of the request was written (bad URL or request, refused plain
    /// HTTP, DNS, connect, proxy, TLS handshake or verification, no free connection, or a
    /// timeout or cancellation during these): the receiver cannot have acted on it, so
    /// retrying is safe.
    before_sending,
    /// Failed once writing began (write or read error, timeout, bad or oversized response,
    /// cancellation), including on a kept-alive connection the server closed just as the
    /// request went out: the request may have been delivered and acted on.
    after_sending,
};

/// A failed send. `message` is for people: it names the URL's scheme, host and port and the
/// cause, but never header values, userinfo, path or query (all of which may carry secrets).
struct https_failure {
    https_error kind = https_error::invalid_url;
    send_stage stage = send_stage::before_sending;
    std::string message;

    /// True when the request cannot have reached the receiver.
    [[nodiscard]] bool retry_is_safe() const noexcept {
        return stage == send_stage::before_sending;
    }
};

/// Throws std::runtime_error(f.message); lets `https_result::value()` throw on a failure.
[[noreturn]] void throw_exception_from_error(const https_failure& f,
                                             const boost::source_location& loc);

/// The response, or why there is none.
using https_result = boost::system::result<https_response, https_failure>;

/// Client settings. Durations are std::chrono, never bare integers.
struct https_client_options {
    /// From the moment a new connection may be opened (at once, unless the host's connections
    /// are all busy) until it is ready for the request: name resolution, TCP connect (all
    /// resolved addresses), the proxy's CONNECT and the TLS handshake. A lookup still running
    /// then is abandoned, not stopped (Asio cannot interrupt getaddrinfo()); it ends unobserved
    /// within the system resolver's own timeouts.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(5);
    /// From the start of send() until the whole response is read, time spent waiting for a free
    /// connection included; also bounds connect_timeout.
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(30);
    /// Connections kept open to one (scheme, host, port), busy and idle together. Requests
    /// beyond it wait for one to come free (within request_timeout). Receivers and the Bot API
    /// rate-limit per client anyway; a bound keeps a burst of approvals from opening hundreds
    /// of TLS sessions. 0 counts as 1.
    std::size_t max_connections_per_host = 8;
    /// How long an idle connection is kept for the next request. Node-based servers close idle
    /// connections after 5 s; reusing one just as the server closes it would make a POST fail
    /// after sending, so the default stays a second short of that. A server's `Keep-Alive:
    /// timeout=N` shortens it to N - 1 s. Zero: a connection per request.
    std::chrono::steady_clock::duration idle_timeout = std::chrono::seconds(4);
    /// An http:// proxy for https:// requests (`http://[user:password@]host[:port]`), used by
    /// CONNECT. Unset: `https_proxy`, else `HTTPS_PROXY`, from the environment when the client
    /// is made; empty: no proxy. Plain http:// (loopback only) never goes through it.
    std::optional<std::string> proxy;
    /// Hosts that bypass the proxy: comma-separated names (each covering its subdomains, a
    /// leading "." optional), IP addresses or CIDR networks, or "*". Unset: `no_proxy`, else
    /// `NO_PROXY`, from the environment. Loopback hosts never use the proxy.
    std::optional<std::string> no_proxy;
    /// Largest accepted response body (after de-chunking); beyond it, response_too_large.
    std::size_t max_response_body = 1024 * 1024;
    /// Largest accepted status line + header block; beyond it, response_too_large.
    std::size_t max_response_header = 64 * 1024;
    /// A PEM file of extra trusted CA certificates (tests, corporate CAs), added to the
    /// system store, not replacing it. Empty: the system store only.
    std::string extra_ca_file;
    /// User-Agent header; empty: "rapport/<version>".
    std::string user_agent;
};

/// An HTTP/1.1 client with keep-alive connections; no redirects, no compression.
///
/// Pooling: a TLS handshake costs a round trip or two and some CPU on both ends, and the
/// dispatcher often sends several replies to one receiver or to api.telegram.org in a row, so
/// connections are kept per (scheme, host, port) after a response whose framing allows it
/// (HTTP/1.1, body read to its end, no `Connection: close`), for at most idle_timeout. An idle
/// connection is peeked at without blocking before it is reused; one the server has closed is
/// dropped and another taken, which is safe since nothing was written. The server can still
/// close one just as the request goes out. Then a POST is reported after_sending and never sent
/// again by the client (RFC 9110 §9.2.2: the receiver may have acted on it; the dispatcher
/// decides). Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) are retried once on a
/// new connection if no byte of a response came back. Idle connections are closed lazily, when
/// a later request looks at the pools, or with the client: no timer keeps the executor busy.
///
/// Proxy: https:// requests to hosts that the proxy settings do not exclude go through an
/// http:// proxy's CONNECT tunnel; TLS runs end to end through it, with SNI and certificate
/// checks against the target host, never the proxy. Pooled tunnels are kept per target. A
/// refused CONNECT is https_error::proxy, before sending. Proxy credentials go in
/// Proxy-Authorization only and never into a message.
///
/// TLS: OpenSSL with the system CA store (plus `extra_ca_file`), TLS 1.2 or later, peer
/// verification, host-name verification (DNS name, or IP address for an IP-literal URL) and
/// SNI for DNS names.
///
/// Thread safety: send() may be called from any thread, concurrently; requests to one host run
/// on that host's strand of the client's executor (their I/O still overlaps). The client may be
/// destroyed while requests are in flight: they keep what they need alive. Copies share the
/// options, the TLS context and the pool. Every copy must be destroyed before the executor's
/// execution context is, since idle connections live on it.
class https_client {
public:
    /// Throws std::runtime_error if the TLS context cannot be set up, `extra_ca_file` cannot
    /// be loaded (the message names the file), or the proxy URL is unusable (the message names
    /// the option or environment variable, never the URL, which may hold a password).
    https_client(net::any_io_executor executor, https_client_options options = {});
    ~https_client();
    https_client(const https_client&) = default;
    https_client& operator=(const https_client&) = default;

    /// Sends `request` and reads the whole response. Invalid URLs and requests and refused
    /// plain HTTP fail before any I/O. Never throws for network, TLS or protocol failures (they
    /// are results); only std::bad_alloc and the like escape. A cancellation that reaches this
    /// operation (any type the awaiting coroutine's filter lets through; terminal by default)
    /// ends the request with https_error::cancelled. The returned awaitable holds no
    /// reference to this client.
    [[nodiscard]] net::awaitable<https_result> send(https_request request) const;

    [[nodiscard]] const https_client_options& options() const noexcept;

    struct shared;

private:
    std::shared_ptr<shared> shared_;
};

} // namespace rapport::adapters
