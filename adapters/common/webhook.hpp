// What every webhook adapter offers the daemon: read one request to /hooks/{account} and say
// what it carries. The daemon owns everything around it (routing, storing, the answer after the
// durable commit, metrics); an adapter only speaks its platform's wire format and signature
// scheme, so it stays a pure function of the request and the clock, testable and fuzzable
// without a server.
#pragma once

#include "rules/message.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::adapters {

/// One webhook request as an adapter reads it. The views live for the duration of read().
struct webhook_request {
    /// "GET" (platforms' verification challenges) or "POST".
    std::string_view method;
    /// The raw body, exactly as received (signatures are computed over it).
    std::string_view body;
    /// A header's value by name (ASCII case ignored); nothing when absent.
    std::function<std::optional<std::string_view>(std::string_view)> header;
    /// A query parameter's decoded value by exact name; nothing when absent.
    std::function<std::optional<std::string_view>(std::string_view)> query;
    /// Now, for replay windows.
    std::chrono::sys_seconds now;
};

/// What a request carries.
struct webhook_result {
    enum class outcome {
        /// Authenticated; `messages` are stored, then the request is acknowledged (200) once
        /// they are durable. Parts that were not for us are named in `ignored`; a request with
        /// no message at all is acknowledged at once.
        messages,
        /// A handshake (GET challenge, url_verification): answered with `status`,
        /// `content_type` and `body`, nothing stored.
        answer,
        /// Authentication failed: 401. `reason` is a short stable name (metric label), e.g.
        /// "bad_signature"; `detail` the message for the error body (no secrets).
        rejected,
        /// A handshake that presented the wrong verification token (Meta's GET challenge):
        /// 403, as the platform's documentation answers it, counted with the rejections
        /// under `reason`; `detail` for the error body (no secrets).
        forbidden,
        /// Authenticated but not a request of the platform's (bad JSON, missing fields): 400
        /// with `detail`.
        invalid,
        /// A method the platform never uses here: 405 with `detail`.
        method_not_allowed,
    };
    outcome what = outcome::invalid;
    std::vector<rules::message> messages;
    /// One short stable name (metric label) per part acknowledged and not stored:
    /// "edited_message", "from_bot", "echo", "unsupported_event", ...
    std::vector<std::string> ignored;
    unsigned status = 200;
    std::string content_type;
    std::string body;
    std::string reason;
    std::string detail;

    [[nodiscard]] static webhook_result rejected_because(std::string reason, std::string detail) {
        webhook_result r;
        r.what = outcome::rejected;
        r.reason = std::move(reason);
        r.detail = std::move(detail);
        return r;
    }
    [[nodiscard]] static webhook_result forbidden_because(std::string reason, std::string detail) {
        webhook_result r = rejected_because(std::move(reason), std::move(detail));
        r.what = outcome::forbidden;
        return r;
    }
    [[nodiscard]] static webhook_result invalid_because(std::string detail) {
        webhook_result r;
        r.what = outcome::invalid;
        r.reason = "bad_request";
        r.detail = std::move(detail);
        return r;
    }
    [[nodiscard]] static webhook_result method_not_allowed_because(std::string detail) {
        webhook_result r;
        r.what = outcome::method_not_allowed;
        r.detail = std::move(detail);
        return r;
    }
    [[nodiscard]] static webhook_result answer_with(unsigned status,
                                                    std::string content_type,
                                                    std::string body) {
        webhook_result r;
        r.what = outcome::answer;
        r.status = status;
        r.content_type = std::move(content_type);
        r.body = std::move(body);
        return r;
    }
};

/// One per account; built at start from the account's config and secrets. read() is called
/// from any I/O thread, concurrently, so it must not change the reader.
class webhook_reader {
public:
    virtual ~webhook_reader() = default;
    [[nodiscard]] virtual webhook_result read(const webhook_request& request) const = 0;
};

} // namespace rapport::adapters
