// Slack's request signing (PLATFORMS.md §1c), shared by the Events API and the interactivity
// endpoint: `v0=` + hex HMAC-SHA256(signing_secret, "v0:" + timestamp + ":" + raw body), within
// five minutes either way, compared in constant time.
#pragma once

#include "adapters/common/signature.hpp"

#include <optional>
#include <string_view>

namespace rapport::adapters::slack {

inline constexpr std::string_view timestamp_header = "X-Slack-Request-Timestamp";
inline constexpr std::string_view signature_header = "X-Slack-Signature";
inline constexpr timestamped_hmac v0_scheme{"v0=", "v0:", ":"};

/// Checks a request's two headers (either may be absent) against its raw body; see
/// verify_timestamped for what each problem means.
[[nodiscard]] inline signature_problem verify(std::string_view signing_secret,
                                              std::optional<std::string_view> timestamp,
                                              std::optional<std::string_view> signature,
                                              std::string_view body,
                                              std::chrono::sys_seconds now) {
    return verify_timestamped(v0_scheme, signing_secret, timestamp.value_or(""),
                              signature.value_or(""), body, now, std::chrono::seconds{300});
}

} // namespace rapport::adapters::slack
