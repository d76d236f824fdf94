#include "adapters/common/signature.hpp"

#include <gtest/gtest.h>

namespace rapport::adapters {
namespace {

using std::chrono::seconds;
using std::chrono::sys_seconds;

const sys_seconds now{seconds{1795341600}}; // 2026-11-22T10:00:00Z

TEST(signature, hmac_matches_rfc_4231) {
    // RFC 4231, test case 2.
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 1: a 20-byte key of 0x0b.
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 6: a key longer than SHA-256's block, hashed first.
    EXPECT_EQ(hmac_sha256_hex(std::string(131, '\xaa'),
                              "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(signature, hmac_takes_each_calls_own_key_even_an_empty_one) {
    // The context is reused between calls: every call must set its key, and an empty key is
    // a key, not "the previous one".
    const std::string empty = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
    const std::string jefe = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    for (int round = 0; round < 2; ++round) {
        EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), jefe);
        EXPECT_EQ(hmac_sha256_hex("", ""), empty);
    }
    // The same key twice in a row is kept from the call before; each message still gets its
    // own MAC, and the next key replaces it (RFC 4231 test case 1).
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), jefe);
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), jefe);
    EXPECT_NE(hmac_sha256_hex("Jefe", "what do ya want for nothing!"), jefe);
    EXPECT_EQ(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There"),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    EXPECT_EQ(hmac_sha256_hex("", ""), empty);
    EXPECT_EQ(hmac_sha256_hex("", ""), empty);
}

TEST(signature, raw_hmac_is_the_hex_ones_bytes) {
    const std::string raw = hmac_sha256("Jefe", "what do ya want for nothing?");
    ASSERT_EQ(raw.size(), 32u);
    EXPECT_EQ(static_cast<unsigned char>(raw[0]), 0x5b);
    EXPECT_EQ(static_cast<unsigned char>(raw[31]), 0x43);
}

TEST(signature, base64_matches_rfc_4648) {
    // RFC 4648 §10.
    EXPECT_EQ(base64(""), "");
    EXPECT_EQ(base64("f"), "Zg==");
    EXPECT_EQ(base64("fo"), "Zm8=");
    EXPECT_EQ(base64("foo"), "Zm9v");
    EXPECT_EQ(base64("foob"), "Zm9vYg==");
    EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
    // Bytes above 0x7f and the last two letters of the alphabet.
    EXPECT_EQ(base64(std::string("\xfb\xff\xbf", 3)), "+/+/");
}

TEST(signature, constant_time_equal_compares_whole_strings) {
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "ab"));
    EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(signature, signs_timestamp_dot_body) {
    const auto s = sign_rapport("secret", R"({"id":"1"})", now);
    EXPECT_EQ(s.timestamp, "1795341600");
    EXPECT_EQ(s.signature, "sha256=" + hmac_sha256_hex("secret", R"(1795341600.{"id":"1"})"));
}

TEST(signature, a_fresh_correct_signature_is_accepted) {
    const std::string body = R"({"id":"1","text":"hi","author":{"id":"u"}})";
    const auto s = sign_rapport("secret", body, now);
    EXPECT_EQ(verify_rapport_signature("secret", s.timestamp, s.signature, body, now),
              signature_problem::none);
    // Within the window either way (clocks differ).
    EXPECT_EQ(
        verify_rapport_signature("secret", s.timestamp, s.signature, body, now + seconds{300}),
        signature_problem::none);
    EXPECT_EQ(
        verify_rapport_signature("secret", s.timestamp, s.signature, body, now - seconds{300}),
        signature_problem::none);
}

TEST(signature, every_bad_request_is_refused_with_its_reason) {
    const std::string body = "{}";
    const auto s = sign_rapport("secret", body, now);
    EXPECT_EQ(verify_rapport_signature("secret", "", s.signature, body, now),
              signature_problem::missing);
    EXPECT_EQ(verify_rapport_signature("secret", s.timestamp, "", body, now),
              signature_problem::missing);
    EXPECT_EQ(verify_rapport_signature("secret", "17953416OO", s.signature, body, now),
              signature_problem::malformed);
    EXPECT_EQ(verify_rapport_signature("secret", s.timestamp, s.signature.substr(7), body, now),
              signature_problem::malformed); // no sha256= prefix
    std::string upper = s.signature;
    for (auto& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(
        verify_rapport_signature("secret", s.timestamp, "sha256=" + upper.substr(7), body, now),
        signature_problem::malformed); // lowercase hex only
    EXPECT_EQ(
        verify_rapport_signature("secret", s.timestamp, s.signature, body, now + seconds{301}),
        signature_problem::stale);
    EXPECT_EQ(
        verify_rapport_signature("secret", s.timestamp, s.signature, body, now - seconds{301}),
        signature_problem::stale);
    EXPECT_EQ(verify_rapport_signature("secret", "-9223372036854775808", s.signature, body, now),
              signature_problem::stale);
    EXPECT_EQ(verify_rapport_signature("other", s.timestamp, s.signature, body, now),
              signature_problem::mismatch);
    EXPECT_EQ(verify_rapport_signature("secret", s.timestamp, s.signature, body + " ", now),
              signature_problem::mismatch); // the raw body, byte for byte
}

TEST(signature, problems_have_stable_names) {
    EXPECT_EQ(to_string(signature_problem::missing), "missing_signature");
    EXPECT_EQ(to_string(signature_problem::malformed), "malformed_signature");
    EXPECT_EQ(to_string(signature_problem::stale), "stale_timestamp");
    EXPECT_EQ(to_string(signature_problem::mismatch), "bad_signature");
}

} // namespace
} // namespace rapport::adapters
