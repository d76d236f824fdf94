// rapport::adapters::https_client: outbound HTTP/1.1 over TLS for the dispatcher (approved
// replies to a receiver's reply_url). Plain value types in and out; Beast, OpenSSL and Boost.URL
// stay inside https_client.cpp. Plain http:// is allowed to loopback only.
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
};

/// A short stable name for logs and metrics: "invalid_url", "tls_verification", ...
[[nodiscard]] std::string_view to_string(https_error e) noexcept;

/// Whether the receiver may have seen the request when the failure happened.
enum class send_stage {
    /// Failed before any byte of the request was written (bad URL or request, refused plain
    /// HTTP, DNS, connect, TLS handshake or verification, or a timeout or cancellation during
    /// these): the receiver cannot have acted on it, so retrying is safe.
    before_sending,
    /// Failed once writing began (write or read error, timeout, bad or oversized response,
    /// cancellation): the request may have been delivered and acted on.
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
    /// From the start of send() until the connection is ready for the request: name
    /// resolution, TCP connect (all resolved addresses) and the TLS handshake. A lookup still
    /// running then is abandoned, not stopped (Asio cannot interrupt getaddrinfo()); it ends
    /// unobserved within the system resolver's own timeouts.
    std::chrono::steady_clock::duration connect_timeout = std::chrono::seconds(5);
    /// From the start of send() until the whole response is read; also bounds connect_timeout.
    std::chrono::steady_clock::duration request_timeout = std::chrono::seconds(30);
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

/// An HTTP/1.1 client: one connection per request, closed after the response (the request says
/// `Connection: close`); no redirects, no proxies, no compression.
///
/// TLS: OpenSSL with the system CA store (plus `extra_ca_file`), TLS 1.2 or later, peer
/// verification, host-name verification (DNS name, or IP address for an IP-literal URL) and
/// SNI for DNS names.
///
/// Thread safety: send() may be called from any thread, concurrently; each request runs on its
/// own strand of the client's executor. The client may be destroyed while requests are in
/// flight: they keep what they need alive. Copies share the options and the TLS context.
class https_client {
public:
    /// Throws std::runtime_error if the TLS context cannot be set up or `extra_ca_file`
    /// cannot be loaded (the message names the file).
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
