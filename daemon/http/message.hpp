// Plain request/response value types for the daemon's HTTP server. No Beast here: routes and
// adapters include this (through server.hpp) without paying for Beast's headers.
#pragma once

#include "rules/ascii.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rapport::http {

/// Severity for the server's logging callback.
enum class log_level { debug, info, warn, error };

/// Logging callback; the server never lets an exception from it escape.
using log_fn = std::function<void(log_level, std::string_view)>;

/// True when `a` and `b` are equal ignoring ASCII case (header names, tokens).
using rules::iequals;

/// An ordered list of header fields; lookup by name is ASCII case-insensitive.
class http_headers {
public:
    struct field {
        std::string name;
        std::string value;
    };

    /// Appends a field (repeats allowed, as on the wire).
    void add(std::string name, std::string value);
    /// Replaces every field named `name` with one field.
    void set(std::string name, std::string value);
    /// Value of the first field named `name`, if any. The view lives as long as this object.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    bool contains(std::string_view name) const noexcept { return get(name).has_value(); }

    const std::vector<field>& fields() const noexcept { return fields_; }
    std::size_t size() const noexcept { return fields_.size(); }

private:
    std::vector<field> fields_;
};

/// One query parameter, percent-decoded ('+' decodes to a space).
struct query_param {
    std::string name;
    std::string value;
};

/// A complete request as a handler sees it. Copyable value type.
struct http_request {
    std::string method;             ///< as sent, e.g. "GET" (case-sensitive per RFC 9110)
    std::string target;             ///< raw request-target, e.g. "/v1/drafts?limit=5"
    std::string path;               ///< raw path part of the target (not decoded)
    std::vector<query_param> query; ///< decoded query parameters, in order
    http_headers headers;           ///< request header fields
    std::string body;               ///< raw body bytes, untouched (signature checks)
    std::string remote_address;     ///< peer IP address, e.g. "127.0.0.1"
    unsigned short remote_port = 0; ///< peer port
    unsigned version = 11;          ///< 10 or 11

    /// First query parameter named `name` (exact match), if any.
    std::optional<std::string_view> query_value(std::string_view name) const noexcept;
};

/// What a handler returns. `content_type` empty means no Content-Type header; Content-Length
/// and Connection are set by the server.
struct http_response {
    unsigned status = 200;
    std::string content_type;
    http_headers headers;
    std::string body;
};

/// A JSON body response: `content_type` = "application/json".
http_response json_response(unsigned status, std::string body);

/// CONTRACT §5.1 error: `{"error": code, "message": message}` with proper JSON escaping.
http_response json_error(unsigned status, std::string_view code, std::string_view message);

/// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt on a malformed escape.
using rules::percent_decode;

/// Splits a query string ("a=1&b=x%20y") into decoded params; nullopt on a malformed escape.
std::optional<std::vector<query_param>> parse_query(std::string_view query);

} // namespace rapport::http
