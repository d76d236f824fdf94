// OAuth 1.0a request signing (RFC 5849 §3 with HMAC-SHA1), as the X API takes it for user-context
// calls (PLATFORMS.md §7c): every call Rapport makes for a brand account carries an
// `Authorization: OAuth ...` header signed with the app's consumer secret and the account's
// access token secret. Pure functions: the nonce and the timestamp are arguments, so the
// published examples are tests and the fake can recompute our signatures exactly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::adapters::x {

/// The four values that sign a user-context request. Never logged.
struct oauth1_credentials {
    std::string consumer_key;
    std::string consumer_secret;
    std::string token;
    std::string token_secret;
};

/// One request parameter, decoded (the raw value, before any percent-encoding).
struct oauth1_parameter {
    std::string name;
    std::string value;
    friend bool operator==(const oauth1_parameter&, const oauth1_parameter&) = default;
};

/// RFC 3986 percent-encoding as OAuth requires it (RFC 5849 §3.6): the unreserved characters
/// `A-Z a-z 0-9 - . _ ~` stay, every other byte becomes `%XX` with uppercase hex.
[[nodiscard]] std::string percent_encode(std::string_view s);

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body):
/// `name=value` pairs split on '&', '+' read as a space, `%XX` decoded. A name without '='
/// has an empty value; empty pieces are skipped. Malformed escapes are kept literally.
[[nodiscard]] std::vector<oauth1_parameter> parse_form(std::string_view text);

/// The base string URI (RFC 5849 §3.4.1.2) of an absolute http(s) URL: scheme and host in
/// lowercase, the port only when it is not the scheme's default, the path ("/" when empty),
/// no query or fragment. Nothing when `url` is not an absolute http(s) URL.
[[nodiscard]] std::optional<std::string> base_string_uri(std::string_view url);

/// The signature base string (RFC 5849 §3.4.1): `METHOD&enc(base_uri)&enc(normalized)`, where
/// the normalized parameters are every one of `parameters` (query, form body and the oauth_*
/// set, but never oauth_signature or realm), each name and value percent-encoded, sorted by
/// name then value, joined as `name=value` with '&'.
[[nodiscard]] std::string signature_base_string(std::string_view method,
                                                std::string_view base_uri,
                                                const std::vector<oauth1_parameter>& parameters);

/// base64(HMAC-SHA1(enc(consumer_secret) & enc(token_secret), base_string)).
[[nodiscard]] std::string hmac_sha1_signature(std::string_view base_string,
                                              std::string_view consumer_secret,
                                              std::string_view token_secret);

/// What makes one signature unique: a nonce and the time. Tests give fixed ones; calls use
/// make_nonce() and the clock.
struct oauth1_stamp {
    std::string nonce;
    std::int64_t timestamp = 0;
};

/// 32 random bytes as 43 characters of base64url without padding (letters, digits, '-', '_'):
/// unique per request, as X asks.
[[nodiscard]] std::string make_nonce();

/// The oauth_* protocol parameters of a request signed at `stamp` (without oauth_signature):
/// consumer key, nonce, signature method HMAC-SHA1, timestamp, token, version 1.0.
[[nodiscard]] std::vector<oauth1_parameter> protocol_parameters(const oauth1_credentials& c,
                                                                const oauth1_stamp& stamp);

/// The `Authorization` header value for `method url` with the given form-body parameters
/// (only for an `application/x-www-form-urlencoded` body; a JSON body is never signed). The
/// URL's query parameters are signed too. Nothing when `url` is not an absolute http(s) URL.
/// Form: `OAuth oauth_consumer_key="...", oauth_nonce="...", oauth_signature="...",
/// oauth_signature_method="HMAC-SHA1", oauth_timestamp="...", oauth_token="...",
/// oauth_version="1.0"`, each value percent-encoded.
[[nodiscard]] std::optional<std::string> authorization_header(
    const oauth1_credentials& credentials,
    std::string_view method,
    std::string_view url,
    const std::vector<oauth1_parameter>& form_parameters,
    const oauth1_stamp& stamp);

/// The parameters of an `Authorization: OAuth ...` header, decoded, in order (realm included
/// when present); nothing when the header is not one (wrong scheme, a value not in double
/// quotes, a repeated name).
[[nodiscard]] std::optional<std::vector<oauth1_parameter>> parse_authorization_header(
    std::string_view header);

} // namespace rapport::adapters::x
