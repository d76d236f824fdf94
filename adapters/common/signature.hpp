// HMAC-SHA256 request signing as Rapport speaks it (CONTRACT §5.3): the generic adapter's
// webhooks and replies, signed approval decisions and outgoing notifications all use it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace rapport::adapters {

/// The 32 raw bytes of HMAC-SHA256(key, message).
[[nodiscard]] std::string hmac_sha256(std::string_view key, std::string_view message);

/// Lowercase hex of HMAC-SHA256(key, message).
[[nodiscard]] std::string hmac_sha256_hex(std::string_view key, std::string_view message);

/// Standard base64 (RFC 4648 §4, with '=' padding) of `bytes`, as X's webhook signatures and
/// OAuth 1.0a signatures carry them.
[[nodiscard]] std::string base64(std::string_view bytes);

/// Compares in time that depends only on the lengths, never on where the bytes differ.
[[nodiscard]] bool constant_time_equal(std::string_view a, std::string_view b);

/// Why a signed request was refused; `none` when it was accepted.
enum class signature_problem { none, missing, malformed, stale, mismatch };

/// A short, stable name for metrics and logs: "missing_signature", "bad_signature", ...
[[nodiscard]] std::string_view to_string(signature_problem p);

/// A signature over a timestamp and the raw body, as Rapport (CONTRACT §5.3) and Slack (v0)
/// both shape it: the signed text is `base_prefix + timestamp + separator + body`, the header
/// `signature_prefix` + 64 lowercase hex digits of HMAC-SHA256(secret, signed text).
struct timestamped_hmac {
    std::string_view signature_prefix;
    std::string_view base_prefix;
    std::string_view separator;
};

/// CONTRACT §5.3: `sha256=` over `timestamp.body`.
inline constexpr timestamped_hmac rapport_scheme{"sha256=", "", "."};

/// The signature header value for `body` sent at `timestamp`.
[[nodiscard]] std::string sign_timestamped(const timestamped_hmac& scheme,
                                           std::string_view secret,
                                           std::string_view timestamp,
                                           std::string_view body);

/// Checks a request's headers against its raw body: `missing` when either is empty,
/// `malformed` unless the timestamp is whole unix seconds and the signature has the scheme's
/// form, `stale` when the timestamp is more than `window` from `now` either way, `mismatch`
/// when the signature differs (compared in constant time) or no secret is configured.
[[nodiscard]] signature_problem verify_timestamped(const timestamped_hmac& scheme,
                                                   std::string_view secret,
                                                   std::string_view timestamp_header,
                                                   std::string_view signature_header,
                                                   std::string_view body,
                                                   std::chrono::sys_seconds now,
                                                   std::chrono::seconds window);

/// The two headers of a signed request.
struct rapport_signature {
    /// X-Rapport-Timestamp: unix seconds.
    std::string timestamp;
    /// X-Rapport-Signature: `sha256=` + hex of HMAC-SHA256(secret, timestamp + "." + body).
    std::string signature;
};

/// Signs `body` at `now` with `secret`.
[[nodiscard]] rapport_signature sign_rapport(std::string_view secret,
                                             std::string_view body,
                                             std::chrono::sys_seconds now);

/// Checks the headers of a request against its raw body (CONTRACT §5.3): both headers present,
/// the timestamp a whole number of seconds no more than `window` from `now` either way, the
/// signature `sha256=` + 64 lowercase hex digits equal (in constant time) to the one computed.
[[nodiscard]] signature_problem verify_rapport_signature(
    std::string_view secret,
    std::string_view timestamp_header,
    std::string_view signature_header,
    std::string_view body,
    std::chrono::sys_seconds now,
    std::chrono::seconds window = std::chrono::seconds{300});

} // namespace rapport::adapters
