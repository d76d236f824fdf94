// OAuth 1.0a signing (adapters/x/oauth1.hpp) against the published examples: X's "Creating a
// signature" page and RFC 5849.
#include "adapters/x/oauth1.hpp"

#include <gtest/gtest.h>

#include <set>

namespace rapport::adapters::x {
namespace {

// X's worked example (docs.x.com/fundamentals/authentication/oauth-1-0a/creating-a-signature).
const oauth1_credentials x_example{"xvz1evFS4wEEPTGEFPHBog",
                                   "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                                   "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                                   "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"};
const oauth1_stamp x_stamp{"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958};

std::vector<oauth1_parameter> x_example_parameters() {
    std::vector<oauth1_parameter> p{
        {"status", "Hello Ladies + Gentlemen, a signed OAuth request!"},
        {"include_entities", "true"},
    };
    const auto oauth = protocol_parameters(x_example, x_stamp);
    p.insert(p.end(), oauth.begin(), oauth.end());
    return p;
}

TEST(x_oauth1, percent_encoding_keeps_only_the_unreserved_characters) {
    EXPECT_EQ(percent_encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
    EXPECT_EQ(percent_encode("An encoded string!"), "An%20encoded%20string%21");
    EXPECT_EQ(percent_encode("Dogs, Cats & Mice"), "Dogs%2C%20Cats%20%26%20Mice");
    EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
    EXPECT_EQ(percent_encode("☃"), "%E2%98%83"); // X's percent-encoding page: UTF-8, uppercase
    EXPECT_EQ(percent_encode(std::string("a\0b", 3)), "a%00b");
}

TEST(x_oauth1, the_x_docs_example_signs_as_published) {
    // The page as it is now names api.x.com; its base string and signature, byte for byte.
    const std::string base = signature_base_string(
        "POST", "https://api.x.com/1.1/statuses/update.json", x_example_parameters());
    EXPECT_EQ(base,
              "POST&https%3A%2F%2Fapi.x.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%"
              "26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%"
              "3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%"
              "26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-"
              "GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%"
              "2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%"
              "2521");
    EXPECT_EQ(hmac_sha1_signature(base, x_example.consumer_secret, x_example.token_secret),
              "Ls93hJiZbQ3akF3HF3x1Bz8/zU4=");
}

TEST(x_oauth1, the_earlier_api_twitter_com_version_of_the_example_signs_as_published) {
    // The same page before the rename: the URL differs, so does the signature.
    const std::string base = signature_base_string(
        "post", "https://api.twitter.com/1.1/statuses/update.json", x_example_parameters());
    EXPECT_TRUE(base.starts_with("POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate."))
        << base;
    EXPECT_EQ(hmac_sha1_signature(base, x_example.consumer_secret, x_example.token_secret),
              "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");
}

TEST(x_oauth1, the_header_carries_the_signed_values_percent_encoded) {
    // The example request: include_entities in the query, status in the form body.
    const auto header = authorization_header(
        x_example, "POST", "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        parse_form("status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%"
                   "20OAuth%20request%21"),
        x_stamp);
    ASSERT_TRUE(header);
    EXPECT_EQ(*header,
              "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", "
              "oauth_nonce=\"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg\", "
              "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", "
              "oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1318622958\", "
              "oauth_token=\"370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb\", "
              "oauth_version=\"1.0\"");
    const auto parsed = parse_authorization_header(*header);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), 7u);
    EXPECT_EQ(parsed->at(2), (oauth1_parameter{"oauth_signature", "hCtSmYh+iHYCEqBWrE7C7hYmtUk="}));
}

TEST(x_oauth1, rfc_5849_section_3_4_1_normalizes_query_form_and_protocol_parameters) {
    // RFC 5849 §3.4.1.1: repeated names, '+' in a form body, an encoded '%' and an empty
    // value, sorted by name then value.
    std::vector<oauth1_parameter> p = parse_form("b5=%3D%253D&a3=a&c%40=&a2=r%20b");
    const auto body = parse_form("c2&a3=2+q");
    p.insert(p.end(), body.begin(), body.end());
    p.insert(p.end(), {{"oauth_consumer_key", "9djdj82h48djs9d2"},
                       {"oauth_token", "kkk9d7dh3k39sjv7"},
                       {"oauth_signature_method", "HMAC-SHA1"},
                       {"oauth_timestamp", "137131201"},
                       {"oauth_nonce", "7d8f3e4a"},
                       {"realm", "Example"},
                       {"oauth_signature", "bYT5CMsGcbgUdFHObYMEfcx6bsw="}});
    const auto uri = base_string_uri("http://EXAMPLE.COM:80/request?b5=%3D%253D#frag");
    ASSERT_TRUE(uri);
    EXPECT_EQ(*uri, "http://example.com/request");
    EXPECT_EQ(signature_base_string("POST", *uri, p),
              "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%"
              "3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%"
              "26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%"
              "3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7");
}

TEST(x_oauth1, rfc_5849_section_1_2_signs_the_photos_request) {
    // RFC 5849 §1.2: consumer secret kd94hf93k423kf44, token secret pfkkdhi9sl3r4s00.
    const std::vector<oauth1_parameter> p{{"file", "vacation.jpg"},
                                          {"size", "original"},
                                          {"oauth_consumer_key", "dpf43f3p2l4k3l03"},
                                          {"oauth_token", "nnch734d00sl2jdk"},
                                          {"oauth_signature_method", "HMAC-SHA1"},
                                          {"oauth_timestamp", "137131202"},
                                          {"oauth_nonce", "chapoH"}};
    const std::string base = signature_base_string("GET", "http://photos.example.net/photos", p);
    EXPECT_EQ(hmac_sha1_signature(base, "kd94hf93k423kf44", "pfkkdhi9sl3r4s00"),
              "MdpQcU8iPSUjWoN/UDMsK2sui9I=");
}

TEST(x_oauth1, the_signing_key_is_built_from_encoded_secrets) {
    // RFC 5849 §3.4.2: enc(consumer secret) & enc(token secret), the '&' kept when the token
    // secret is empty; a '&' inside a secret is encoded, so it cannot pass for the separator.
    EXPECT_NE(hmac_sha1_signature("GET&x&y", "secret", ""),
              hmac_sha1_signature("GET&x&y", "secret", "x"));
    EXPECT_NE(hmac_sha1_signature("GET&x&y", "a&b", ""), hmac_sha1_signature("GET&x&y", "a", "b"));
}

TEST(x_oauth1, base_string_uris_keep_only_non_default_ports_and_refuse_non_http) {
    EXPECT_EQ(base_string_uri("https://api.x.com/2/tweets"), "https://api.x.com/2/tweets");
    EXPECT_EQ(base_string_uri("https://api.x.com:443/2/tweets"), "https://api.x.com/2/tweets");
    EXPECT_EQ(base_string_uri("http://127.0.0.1:8080/2/tweets"), "http://127.0.0.1:8080/2/tweets");
    EXPECT_EQ(base_string_uri("HTTPS://Api.X.com"), "https://api.x.com/");
    EXPECT_EQ(base_string_uri("http://[::1]:9000/a"), "http://[::1]:9000/a");
    EXPECT_FALSE(base_string_uri("ftp://api.x.com/"));
    EXPECT_FALSE(base_string_uri("api.x.com/2/tweets"));
    EXPECT_FALSE(base_string_uri("https://user@api.x.com/"));
    EXPECT_FALSE(base_string_uri("https://api.x.com:x/"));
}

TEST(x_oauth1, nonces_are_long_unique_and_header_safe) {
    std::set<std::string> seen;
    for (int i = 0; i < 50; ++i) {
        const std::string n = make_nonce();
        EXPECT_EQ(n.size(), 43u);
        EXPECT_EQ(percent_encode(n), n);
        seen.insert(n);
    }
    EXPECT_EQ(seen.size(), 50u);
}

TEST(x_oauth1, parsing_refuses_what_is_not_an_oauth_header) {
    EXPECT_FALSE(parse_authorization_header("Bearer abc"));
    EXPECT_FALSE(parse_authorization_header("OAuth "));
    EXPECT_FALSE(parse_authorization_header("OAuth a=b"));
    EXPECT_FALSE(parse_authorization_header("OAuth a=\"b"));
    EXPECT_FALSE(parse_authorization_header("OAuth a=\"b\" c=\"d\""));
    EXPECT_FALSE(parse_authorization_header("OAuth a=\"b\", a=\"c\""));
    const auto p = parse_authorization_header("OAuth realm=\"Example\",oauth_nonce=\"a%20b+c\"");
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, (std::vector<oauth1_parameter>{{"realm", "Example"}, {"oauth_nonce", "a b+c"}}));
}

} // namespace
} // namespace rapport::adapters::x
