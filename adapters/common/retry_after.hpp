// Retry-After (RFC 9110 §10.2.3): how long a receiver that answered 429 or 503 asks us to wait.
// Pure parsing, no I/O, so the dispatcher's backoff can be tested without a clock.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace rapport::adapters {

/// Parses a Retry-After field value.
///
/// Accepts delta-seconds ("120") and an HTTP-date in any of the three forms a recipient must
/// accept (RFC 9110 §5.6.7): IMF-fixdate ("Wed, 21 Oct 2026 07:28:00 GMT"), the obsolete RFC 850
/// form ("Wednesday, 21-Oct-26 07:28:00 GMT") and asctime ("Wed Oct 21 07:28:00 2026").
/// Surrounding spaces and tabs are ignored.
///
/// @return the wait from `now`: a date at or before `now` gives 0 s, a date in the future is
/// rounded up to whole seconds; delta-seconds too large to represent count as 2^31 s (as RFC
/// 9111 §1.2.2 tells caches to). std::nullopt for anything else (empty, signs, fractions, a
/// malformed or impossible date such as 31 Feb).
[[nodiscard]] std::optional<std::chrono::seconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

} // namespace rapport::adapters
