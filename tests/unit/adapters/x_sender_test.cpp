// X's way out (PLATFORMS.md §7b-7d, adapters/x/sender.hpp): which call a reply becomes, how
// X's answers become deliveries, and a signed request to a local server.
#include "adapters/x/sender.hpp"
#include "adapters/x/wire.hpp"
#include "tests/support/scripted_server.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <exception>

namespace rapport::adapters::x {
namespace {

using namespace std::chrono_literals;
using outcome = delivery::outcome;
using testing::one_shot_server;

const auto now = std::chrono::sys_days{std::chrono::year{2026} / 11 / 24} + 10h;
const oauth1_credentials credentials{"xvz1evFS4wEEPTGEFPHBog",
                                     "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                                     "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
                                     "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"};

rules::message mention() {
    rules::message m;
    m.id = "1924465506158878979";
    m.kind = rules::message_kind::mention;
    m.author.id = "3001969357";
    m.platform = "x";
    return m;
}

outgoing_reply reply_to(std::optional<rules::message> m, bool is_private = false) {
    outgoing_reply r;
    r.draft_id = "d-1";
    r.account = "acme-x";
    r.kind = m ? "reply" : "insight_question";
    r.text = "Sorry Jordan";
    r.is_private = is_private;
    r.in_reply_to = std::move(m);
    return r;
}

https_result answered(unsigned status, std::string body, https_headers headers = {}) {
    https_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

TEST(x_sender, a_public_reply_is_a_post_replying_to_the_message) {
    const auto t = target_of(reply_to(mention()));
    EXPECT_TRUE(t.error.empty());
    EXPECT_EQ(t.path, "/2/tweets");
    EXPECT_EQ(t.body,
              R"({"text":"Sorry Jordan","reply":{"in_reply_to_tweet_id":"1924465506158878979"}})");
}

TEST(x_sender, direct_messages_and_private_replies_go_to_the_authors_dms) {
    rules::message dm = mention();
    dm.kind = rules::message_kind::direct;
    dm.id = "954491830116155396";
    for (const auto& t : {target_of(reply_to(dm)), target_of(reply_to(mention(), true))}) {
        EXPECT_TRUE(t.error.empty());
        EXPECT_EQ(t.path, "/2/dm_conversations/with/3001969357/messages");
        EXPECT_EQ(t.body, R"({"text":"Sorry Jordan"})");
    }
}

TEST(x_sender, an_insight_question_is_a_new_post) {
    const auto t = target_of(reply_to(std::nullopt));
    EXPECT_TRUE(t.error.empty());
    EXPECT_EQ(t.path, "/2/tweets");
    EXPECT_EQ(t.body, R"({"text":"Sorry Jordan"})");
}

TEST(x_sender, ids_that_are_not_x_ids_never_reach_a_path_or_a_body) {
    rules::message odd = mention();
    odd.id = "../1";
    EXPECT_FALSE(target_of(reply_to(odd)).error.empty());
    odd = mention();
    odd.author.id = "3001969357/../../2/tweets";
    EXPECT_FALSE(target_of(reply_to(odd, true)).error.empty());
}

TEST(x_sender, created_posts_and_dms_are_sent_with_their_ids) {
    auto d =
        classify(answered(201, R"({"data":{"id":"1445880548472328192","text":"Sorry"}})"), now);
    EXPECT_EQ(d.what, outcome::sent);
    EXPECT_EQ(d.sent_id, "1445880548472328192");
    EXPECT_TRUE(d.error.empty());
    d = classify(answered(201, R"({"data":{"dm_conversation_id":"3001969357-4337869213",)"
                               R"("dm_event_id":"1582103724607971332"}})"),
                 now);
    EXPECT_EQ(d.sent_id, "1582103724607971332");
}

TEST(x_sender, a_429_waits_for_the_rate_limit_reset) {
    const auto reset =
        std::chrono::floor<std::chrono::seconds>(now).time_since_epoch().count() + 37;
    auto d = classify(answered(429,
                               R"({"title":"Too Many Requests","detail":"Too Many Requests",)"
                               R"("type":"about:blank","status":429})",
                               {{"x-rate-limit-limit", "100"},
                                {"x-rate-limit-remaining", "0"},
                                {"x-rate-limit-reset", std::to_string(reset)}}),
                      now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.retry_after, 37s);
    EXPECT_EQ(d.error, "X answered 429: Too Many Requests");
    // A reset already past: now. No reset: Retry-After. Neither: the dispatcher's backoff.
    d = classify(answered(429, "{}", {{"x-rate-limit-reset", "1000"}}), now);
    EXPECT_EQ(d.retry_after, 0s);
    d = classify(answered(429, "{}", {{"Retry-After", "12"}}), now);
    EXPECT_EQ(d.retry_after, 12s);
    d = classify(answered(429, "{}"), now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_FALSE(d.retry_after);
}

TEST(x_sender, server_errors_are_retried_and_refusals_fail_with_xs_words) {
    auto d = classify(answered(503, R"({"title":"Service Unavailable"})"), now);
    EXPECT_EQ(d.what, outcome::retry);
    EXPECT_EQ(d.error, "X answered 503: Service Unavailable");
    d = classify(answered(403, R"({"detail":"You are not allowed to create a Tweet with )"
                               R"(duplicate content.","type":"about:blank","title":"Forbidden",)"
                               R"("status":403})"),
                 now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_EQ(d.error,
              "X answered 403: You are not allowed to create a Tweet with duplicate content.");
    d = classify(answered(401, R"({"title":"Unauthorized","type":"about:blank","status":401,)"
                               R"("detail":"Unauthorized"})"),
                 now);
    EXPECT_EQ(d.what, outcome::failed);
    EXPECT_NE(d.error.find("check the account's consumer_key"), std::string::npos);
    d = classify(answered(400, "<html>bad</html>"), now);
    EXPECT_EQ(d.error, "X answered 400: <html>bad</html>");
}

TEST(x_sender, transport_failures_retry_only_when_nothing_was_sent) {
    auto d = classify(https_failure{https_error::connect, send_stage::before_sending, "down"}, now);
    EXPECT_EQ(d.what, outcome::retry);
    d = classify(https_failure{https_error::timeout, send_stage::after_sending, "slow"}, now);
    EXPECT_EQ(d.what, outcome::unknown);
    d = classify(https_failure{https_error::invalid_url, send_stage::before_sending, "bad"}, now);
    EXPECT_EQ(d.what, outcome::failed);
}

oauth1_stamp fixed_stamp() {
    return {"kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", 1318622958};
}

delivery send_with(const std::string& base_url, const outgoing_reply& reply) {
    net::io_context ioc;
    https_client client(ioc.get_executor());
    auto sender = std::make_shared<api_sender>(client, base_url, credentials, fixed_stamp);
    delivery out;
    net::co_spawn(ioc, sender->send(reply), [&](std::exception_ptr e, delivery d) {
        if (e) {
            std::rethrow_exception(e);
        }
        out = std::move(d);
    });
    ioc.run();
    return out;
}

TEST(x_sender, posts_json_signed_with_oauth_1_0a_over_the_url_alone) {
    const std::string body = R"({"data":{"id":"1445880548472328192","text":"Sorry Jordan"}})";
    one_shot_server server(
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
        "Content-Length: " +
        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    const auto d = send_with(base + "/", reply_to(mention()));
    EXPECT_EQ(d.what, outcome::sent) << d.error;
    EXPECT_EQ(d.sent_id, "1445880548472328192");
    const std::string request = server.request();
    EXPECT_EQ(request.rfind("POST /2/tweets HTTP/1.1\r\n", 0), 0u) << request;
    EXPECT_NE(request.find("Content-Type: application/json\r\n"), std::string::npos);
    EXPECT_NE(request.find(R"({"text":"Sorry Jordan","reply":{"in_reply_to_tweet_id":")"
                           R"(1924465506158878979"}})"),
              std::string::npos)
        << request;
    // The signature a server recomputes: method, URL, oauth_* parameters; not the JSON body.
    const auto header_at = request.find("Authorization: ");
    ASSERT_NE(header_at, std::string::npos) << request;
    const std::string header =
        request.substr(header_at + 15, request.find("\r\n", header_at) - header_at - 15);
    const auto params = parse_authorization_header(header);
    ASSERT_TRUE(params) << header;
    std::string signature;
    std::vector<oauth1_parameter> signed_params;
    for (const auto& p : *params) {
        (p.name == "oauth_signature" ? signature : signed_params.emplace_back(p).value) = p.value;
    }
    EXPECT_EQ(signature,
              hmac_sha1_signature(signature_base_string("POST", base + "/2/tweets", signed_params),
                                  credentials.consumer_secret, credentials.token_secret));
    EXPECT_EQ(request.find(credentials.consumer_secret), std::string::npos);
    EXPECT_EQ(request.find(credentials.token_secret), std::string::npos);
}

TEST(x_sender, failures_never_name_the_credentials) {
    std::uint16_t closed = 0;
    {
        net::io_context ioc;
        net::ip::tcp::acceptor a(ioc, {net::ip::make_address("127.0.0.1"), 0});
        closed = a.local_endpoint().port();
    }
    for (const std::string& base : {"http://127.0.0.1:" + std::to_string(closed),
                                    std::string("http://192.0.2.1"), std::string("ftp://x")}) {
        const auto d = send_with(base, reply_to(mention()));
        EXPECT_NE(d.what, outcome::sent) << base;
        EXPECT_FALSE(d.error.empty()) << base;
        for (const auto& secret : {credentials.consumer_key, credentials.consumer_secret,
                                   credentials.token, credentials.token_secret}) {
            EXPECT_EQ(d.error.find(secret), std::string::npos) << d.error;
        }
    }
}

} // namespace
} // namespace rapport::adapters::x
