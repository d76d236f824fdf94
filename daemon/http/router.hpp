// Maps (method, path pattern) to coroutine handlers. Patterns are '/'-separated segments where
// "{name}" captures one non-empty, percent-decoded segment: "/v1/drafts/{id}/approve".
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "adapters/common/net.hpp"
#include "daemon/http/message.hpp"

namespace rapport::http {

/// Values captured by "{name}" segments, percent-decoded.
class route_params {
public:
    void add(std::string name, std::string value);
    /// Captured value for `name`, if the pattern has it.
    std::optional<std::string_view> get(std::string_view name) const noexcept;
    /// Captured value for `name`; empty if absent (a route only asks for names it declared).
    std::string_view operator[](std::string_view name) const noexcept;
    const std::vector<std::pair<std::string, std::string>>& items() const noexcept {
        return items_;
    }

private:
    std::vector<std::pair<std::string, std::string>> items_;
};

/// A route handler. It runs on the connection's strand and may co_await. Write it as a named
/// function (or a non-coroutine lambda returning one): GCC 12 miscompiles capturing lambda
/// coroutines (STYLE §6). An exception escaping it becomes a 500 JSON response.
using handler_fn = std::function<net::awaitable<http_response>(http_request, route_params)>;

/// The route table. Build it before the server starts; it is immutable afterwards, so lookups
/// from several connection strands need no lock.
class router {
public:
    /// Registers `pattern` for `method`. Throws std::invalid_argument for a malformed pattern
    /// (must start with '/', "{name}" must be a whole non-empty segment) or a duplicate.
    void add(std::string method, std::string_view pattern, handler_fn handler);

    /// Outcome of a lookup.
    struct match_result {
        enum class kind { found, not_found, method_not_allowed, bad_path };
        kind outcome = kind::not_found;
        const handler_fn* handler = nullptr; ///< set when found; points into the router
        route_params params;                 ///< set when found
        std::string allow;                   ///< "GET, POST" when method_not_allowed
    };

    /// Finds the handler for `method` and the raw (not yet decoded) `path`. Among patterns that
    /// match the path, a literal segment beats a "{param}" at the first position they differ.
    match_result match(std::string_view method, std::string_view path) const;

private:
    struct segment {
        std::string text; ///< literal text, or the parameter name
        bool is_param = false;
    };
    struct route {
        std::string method;
        std::string pattern;
        std::vector<segment> segments;
        handler_fn handler;
    };
    std::vector<route> routes_;
};

} // namespace rapport::http
