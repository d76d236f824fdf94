// Slack's v0 signatures against the example Slack publishes (PLATFORMS.md §1c), and the reading
// of Web API answers every Slack call shares.
#include "adapters/slack/signing.hpp"
#include "adapters/slack/web_api.hpp"

#include <gtest/gtest.h>

namespace rapport::adapters::slack {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr std::string_view timestamp = "1531420618";
constexpr std::string_view body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
constexpr std::string_view published =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const std::chrono::sys_seconds sent_at{1531420618s};

TEST(slack_signing, matches_the_published_example) {
    EXPECT_EQ(sign_timestamped(v0_scheme, secret, timestamp, body), published);
    EXPECT_EQ(verify(secret, timestamp, published, body, sent_at + 299s), signature_problem::none);
}

TEST(slack_signing, refuses_each_bad_request_with_its_reason) {
    EXPECT_EQ(verify(secret, std::nullopt, published, body, sent_at), signature_problem::missing);
    EXPECT_EQ(verify(secret, timestamp, std::nullopt, body, sent_at), signature_problem::missing);
    EXPECT_EQ(verify(secret, "15314206x8", published, body, sent_at), signature_problem::malformed);
    EXPECT_EQ(
        verify(secret, timestamp, "sha256=" + std::string(published.substr(3)), body, sent_at),
        signature_problem::malformed);
    // Five minutes either way, not a second more.
    EXPECT_EQ(verify(secret, timestamp, published, body, sent_at + 301s), signature_problem::stale);
    EXPECT_EQ(verify(secret, timestamp, published, body, sent_at - 301s), signature_problem::stale);
    // A body re-serialised (here: one byte changed) no longer matches.
    std::string changed(body);
    changed.back() = 'd';
    EXPECT_EQ(verify(secret, timestamp, published, changed, sent_at), signature_problem::mismatch);
    EXPECT_EQ(verify("", timestamp, published, body, sent_at), signature_problem::mismatch);
}

https_result answered(unsigned status, std::string body_text, https_headers headers = {}) {
    https_response r;
    r.status = status;
    r.body = std::move(body_text);
    r.headers = std::move(headers);
    return r;
}

TEST(slack_web_api, answers_become_deliveries) {
    const auto now = std::chrono::system_clock::now();
    const delivery sent =
        classify(answered(200, R"({"ok":true,"channel":"C123","ts":"1610241741.000200"})"), now);
    EXPECT_EQ(sent.what, delivery::outcome::sent);
    EXPECT_EQ(sent.sent_id, "C123:1610241741.000200");

    const delivery limited = classify(
        answered(429, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", "7"}}), now);
    EXPECT_EQ(limited.what, delivery::outcome::retry);
    EXPECT_EQ(limited.retry_after, 7s);
    EXPECT_EQ(classify(answered(429, ""), now).retry_after, 30s);

    const delivery refused =
        classify(answered(200, R"({"ok":false,"error":"not_in_channel"})"), now);
    EXPECT_EQ(refused.what, delivery::outcome::failed);
    EXPECT_EQ(refused.error, "Slack refused it: not_in_channel");
    EXPECT_EQ(classify(answered(200, R"({"ok":false,"error":"internal_error"})"), now).what,
              delivery::outcome::retry);
    EXPECT_EQ(classify(answered(503, "busy"), now).what, delivery::outcome::retry);
    EXPECT_EQ(classify(answered(404, "<html>"), now).what, delivery::outcome::failed);
    EXPECT_FALSE(parse_api_answer("[]"));
    EXPECT_FALSE(parse_api_answer(R"({"ok":"yes"})"));
}

} // namespace
} // namespace rapport::adapters::slack
