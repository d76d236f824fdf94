// How the generic adapter reads a receiver's answer (CONTRACT §9).
#include "adapters/generic/sender.hpp"

#include <gtest/gtest.h>

namespace rapport::adapters::generic {
namespace {

using namespace std::chrono_literals;
using outcome = delivery::outcome;

const auto now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 10h;

https_result answered(unsigned status, std::string body = {}, https_headers headers = {}) {
    https_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

https_result failed(https_error kind, send_stage stage, std::string message) {
    return https_failure{kind, stage, std::move(message)};
}

TEST(generic_sender, a_2xx_is_sent_and_its_id_kept) {
    auto d = classify(answered(200, R"({"id":"chat-991"})"), now);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_EQ(d.sent_id, "chat-991");
    d = classify(answered(204), now);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_FALSE(d.sent_id);
}

TEST(generic_sender, 429_and_5xx_are_retried_with_their_retry_after) {
    auto d = classify(answered(429, "", {{"Retry-After", "120"}}), now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 120s);
    EXPECT_EQ(d.error, "reply_url answered 429");
    d = classify(answered(503, "", {{"Retry-After", "Tue, 24 Nov 2026 10:01:00 GMT"}}), now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 60s);
    d = classify(answered(500, "oops"), now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_FALSE(d.retry_after);
    d = classify(answered(502, "", {{"Retry-After", "soon"}}), now);
    EXPECT_FALSE(d.retry_after); // unreadable: the dispatcher's own backoff applies
}

TEST(generic_sender, other_statuses_fail_with_what_the_receiver_said) {
    auto d = classify(answered(400, "{\"error\":\"unknown thread\"}\n"), now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error, "reply_url answered 400: {\"error\":\"unknown thread\"} ");
    d = classify(answered(404, std::string(500, 'x')), now);
    EXPECT_EQ(d.error.size(), std::string("reply_url answered 404: ").size() + 200 + 3);
    d = classify(answered(408), now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error, "reply_url answered 408");
    d = classify(answered(301), now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_NE(d.error.find("redirects are not followed"), std::string::npos);
}

TEST(generic_sender, no_connection_is_retried_but_a_lost_answer_is_unknown) {
    auto d = classify(failed(https_error::connect, send_stage::before_sending,
                             "http://127.0.0.1:9: connection refused"),
                      now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.error, "http://127.0.0.1:9: connection refused");
    d = classify(failed(https_error::tls_verification, send_stage::before_sending, "bad cert"),
                 now);
    EXPECT_EQ(d.what, outcome::retry);
    d = classify(failed(https_error::timeout, send_stage::after_sending, "no answer in 30 s"), now);
    EXPECT_EQ(d.what, outcome::unknown);
    d = classify(failed(https_error::read, send_stage::after_sending, "connection reset"), now);
    EXPECT_EQ(d.what, outcome::unknown);
}

TEST(generic_sender, a_url_the_client_refuses_fails_at_once) {
    for (const auto kind : {https_error::invalid_url, https_error::plain_http_refused,
                            https_error::invalid_request}) {
        const auto d = classify(failed(kind, send_stage::before_sending, "no"), now);
        EXPECT_EQ(d.what, outcome::failed) << to_string(kind);
    }
}

} // namespace
} // namespace rapport::adapters::generic
