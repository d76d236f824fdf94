#include "adapters/common/signature.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <memory>

namespace rapport::adapters {

namespace {

struct free_mac_context {
    void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// OpenSSL 3's one-shot HMAC() looks the algorithm and the digest up in the provider store on
// every call, which costs several times the hashing of a webhook body. Each thread keeps one
// HMAC-SHA256 context instead and only sets the key per call. Null if OpenSSL cannot make one.
EVP_MAC_CTX* hmac_sha256_context() {
    thread_local const std::unique_ptr<EVP_MAC_CTX, free_mac_context> context = [] {
        std::unique_ptr<EVP_MAC_CTX, free_mac_context> c;
        EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
        if (mac == nullptr) {
            return c;
        }
        c.reset(EVP_MAC_CTX_new(mac));
        EVP_MAC_free(mac); // the context keeps its own reference
        char digest[] = "SHA256";
        const OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
            OSSL_PARAM_construct_end()};
        if (c && EVP_MAC_CTX_set_params(c.get(), params) != 1) {
            c.reset();
        }
        return c;
    }();
    return context.get();
}

} // namespace

namespace {

/// HMAC-SHA256 under `key` of `parts` one after the other, into `digest`; returns its length.
/// A key the thread's context already holds is not set up again: webhooks of one account
/// come one after another, and setting the key hashes two blocks of it each time.
std::size_t hmac_parts(std::string_view key,
                       std::initializer_list<std::string_view> parts,
                       unsigned char* digest) {
    thread_local std::string context_key;
    thread_local bool keyed = false;
    std::size_t length = 0;
    EVP_MAC_CTX* context = hmac_sha256_context();
    // A null key means "the previous key" to EVP_MAC_init: an empty one must not be null.
    static constexpr unsigned char no_key = 0;
    const auto* key_bytes =
        key.empty() ? &no_key : reinterpret_cast<const unsigned char*>(key.data());
    const bool same_key = keyed && context_key == key;
    bool ok = context != nullptr &&
              (same_key ? EVP_MAC_init(context, nullptr, 0, nullptr)
                        : EVP_MAC_init(context, key_bytes, key.size(), nullptr)) == 1;
    keyed = ok;
    if (ok && !same_key) {
        context_key.assign(key);
    }
    for (const std::string_view part : parts) {
        ok = ok && EVP_MAC_update(context, reinterpret_cast<const unsigned char*>(part.data()),
                                  part.size()) == 1;
    }
    if (ok && EVP_MAC_final(context, digest, &length, EVP_MAX_MD_SIZE) == 1) {
        return length;
    }
    keyed = false;
    std::string message;
    for (const std::string_view part : parts) {
        message.append(part);
    }
    unsigned int one_shot_length = 0;
    HMAC(EVP_sha256(), key_bytes, static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest,
         &one_shot_length);
    return one_shot_length;
}

std::string to_hex(const unsigned char* bytes, std::size_t length) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(2 * length, '0');
    for (std::size_t i = 0; i < length; ++i) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 0xf];
    }
    return out;
}

} // namespace

std::string hmac_sha256(std::string_view key, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    const std::size_t length = hmac_parts(key, {message}, digest);
    return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    return to_hex(digest, hmac_parts(key, {message}, digest));
}

std::string base64(std::string_view bytes) {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n =
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
            static_cast<unsigned char>(bytes[i + 2]);
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += alphabet[n >> 6 & 63];
        out += alphabet[n & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        out += alphabet[n >> 18 & 63];
        out += alphabet[n >> 12 & 63];
        out += rest == 2 ? alphabet[n >> 6 & 63] : '=';
        out += '=';
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view to_string(signature_problem p) {
    switch (p) {
        case signature_problem::none:
            return "ok";
        case signature_problem::missing:
            return "missing_signature";
        case signature_problem::malformed:
            return "malformed_signature";
        case signature_problem::stale:
            return "stale_timestamp";
        case signature_problem::mismatch:
            return "bad_signature";
    }
    return "bad_signature";
}

namespace {

bool is_lower_hex(std::string_view s) {
    for (const char c : s) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string sign_timestamped(const timestamped_hmac& scheme,
                             std::string_view secret,
                             std::string_view timestamp,
                             std::string_view body) {
    // The signed text is never put together: the body goes into the MAC where it lies.
    unsigned char digest[EVP_MAX_MD_SIZE];
    const std::size_t length =
        hmac_parts(secret, {scheme.base_prefix, timestamp, scheme.separator, body}, digest);
    return std::string(scheme.signature_prefix) + to_hex(digest, length);
}

signature_problem verify_timestamped(const timestamped_hmac& scheme,
                                     std::string_view secret,
                                     std::string_view timestamp_header,
                                     std::string_view signature_header,
                                     std::string_view body,
                                     std::chrono::sys_seconds now,
                                     std::chrono::seconds window) {
    if (timestamp_header.empty() || signature_header.empty()) {
        return signature_problem::missing;
    }
    std::int64_t seconds = 0;
    const auto [end, ec] = std::from_chars(
        timestamp_header.data(), timestamp_header.data() + timestamp_header.size(), seconds);
    const std::string_view prefix = scheme.signature_prefix;
    const std::string_view hex = signature_header.substr(
        signature_header.starts_with(prefix) ? prefix.size() : signature_header.size());
    if (ec != std::errc{} || end != timestamp_header.data() + timestamp_header.size() ||
        !signature_header.starts_with(prefix) || hex.size() != 64 || !is_lower_hex(hex)) {
        return signature_problem::malformed;
    }
    // Compared without subtracting the sender's number, which could overflow.
    const std::int64_t at = now.time_since_epoch().count();
    if (seconds < at - window.count() || seconds > at + window.count()) {
        return signature_problem::stale;
    }
    if (secret.empty()) {
        return signature_problem::mismatch;
    }
    const std::string expected = sign_timestamped(scheme, secret, timestamp_header, body);
    return constant_time_equal(expected, signature_header) ? signature_problem::none
                                                           : signature_problem::mismatch;
}

rapport_signature sign_rapport(std::string_view secret,
                               std::string_view body,
                               std::chrono::sys_seconds now) {
    rapport_signature s;
    s.timestamp = std::to_string(now.time_since_epoch().count());
    s.signature = sign_timestamped(rapport_scheme, secret, s.timestamp, body);
    return s;
}

signature_problem verify_rapport_signature(std::string_view secret,
                                           std::string_view timestamp_header,
                                           std::string_view signature_header,
                                           std::string_view body,
                                           std::chrono::sys_seconds now,
                                           std::chrono::seconds window) {
    return verify_timestamped(rapport_scheme, secret, timestamp_header, signature_header, body, now,
                              window);
}

} // namespace rapport::adapters
