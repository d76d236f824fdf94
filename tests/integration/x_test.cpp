// An x account against a real rapportd (PLATFORMS.md §7): rapport-x-fake plays X on both
// sides. It runs the CRC against /hooks/acme-x and POSTs deliveries from tests/data/x signed
// with x-twitter-webhooks-signature; as the account's api_base_url it checks the OAuth 1.0a
// signature of every reply rapportd sends.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/read_file.hpp"

#include <optional>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;

constexpr const char* consumer_key = "xvz1evFS4wEEPTGEFPHBog";
constexpr const char* consumer_secret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
constexpr const char* access_token = "4337869213-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
constexpr const char* access_token_secret = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";

class x_fixture : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        fake_ = std::make_unique<daemon_process>(
            std::vector<std::string>{X_FAKE_PATH, "--consumer-key-env", "X_CK",
                                     "--consumer-secret-env", "X_CS", "--token-env", "X_AT",
                                     "--token-secret-env", "X_ATS", "--quiet"},
            dir_,
            std::vector<std::string>{
                "X_CK=" + std::string(consumer_key), "X_CS=" + std::string(consumer_secret),
                "X_AT=" + std::string(access_token), "X_ATS=" + std::string(access_token_secret)},
            dir_ / "x-fake.log");
        const auto line = fake_->wait_for_log("listening port=", 20s);
        ASSERT_TRUE(line) << fake_->log_text();
        fake_port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind('=') + 1)));
        // The generic account of the shared config stays; the x one joins it.
        write("rapport.yaml",
              rapport::testing::read_file(dir_ / "rapport.yaml").value_or("") +
                  "  - {id: acme-x, platform: x, consumer_key: x-ck, consumer_secret: x-cs,\n"
                  "     access_token: x-at, access_token_secret: x-ats, user_id: \"4337869213\",\n"
                  "     api_base_url: \"http://127.0.0.1:" +
                  std::to_string(fake_port_) + "\", sends_per_minute: 6000}\n");
        start({"RAPPORT_SECRET_X_CK=" + std::string(consumer_key),
               "RAPPORT_SECRET_X_CS=" + std::string(consumer_secret),
               "RAPPORT_SECRET_X_AT=" + std::string(access_token),
               "RAPPORT_SECRET_X_ATS=" + std::string(access_token_secret)});
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        fake_.reset();
    }

    std::string hook_url() const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/acme-x";
    }

    // X POSTs a delivery to rapportd: what rapportd answered.
    http_reply deliver(const std::string& fixture, const std::string& signature = "good") {
        boost::json::object ask{
            {"url", hook_url()}, {"fixture", fixture}, {"signature", signature}};
        const auto r = http_call(fake_port_, "POST", "/_fake/deliver", boost::json::serialize(ask));
        EXPECT_EQ(r.status, 200) << r.body;
        const auto v = boost::json::parse(r.body).as_object();
        http_reply out;
        out.status = static_cast<int>(v.at("status").as_int64());
        if (const auto* body = v.if_contains("body")) {
            out.body = std::string(body->as_string());
        }
        return out;
    }

    // The one draft a stored delivery made.
    std::string draft_of(const http_reply& r) {
        EXPECT_EQ(r.status, 200) << r.body;
        const auto v = boost::json::parse(r.body);
        EXPECT_EQ(v.at("status"), "stored") << r.body;
        const auto& drafts = v.at("drafts").as_array();
        EXPECT_EQ(drafts.size(), 1u) << r.body;
        return drafts.empty() ? std::string() : std::string(drafts.at(0).as_string());
    }

    http_reply approve(const std::string& id) {
        return http_call(port_, "POST", "/v1/drafts/" + id + "/approve", "{}", as_alice);
    }

    boost::json::array fake_calls() {
        const auto r = http_call(fake_port_, "GET", "/_fake/calls");
        EXPECT_EQ(r.status, 200);
        return boost::json::parse(r.body).as_array();
    }

    void fake_answers(const std::string& rule) {
        ASSERT_EQ(http_call(fake_port_, "POST", "/_fake/answer", rule).status, 200);
    }

    std::size_t stored_messages() {
        const auto r = http_call(port_, "GET", "/v1/messages?account=acme-x", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("messages").as_array().size();
    }

    std::unique_ptr<daemon_process> fake_;
    std::uint16_t fake_port_ = 0;
};

TEST_F(x_fixture, the_crc_challenge_is_answered_with_the_consumer_secret) {
    const auto r = http_call(fake_port_, "POST", "/_fake/crc",
                             boost::json::serialize(boost::json::object{{"url", hook_url()}}));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto v = boost::json::parse(r.body);
    EXPECT_EQ(v.at("status"), 200) << r.body;
    EXPECT_EQ(v.at("valid"), true) << r.body;
    // An endpoint that fails the CRC gets no deliveries, as with X.
    const std::string other = "http://127.0.0.1:" + std::to_string(port_) + "/hooks/site";
    const auto failed = http_call(fake_port_, "POST", "/_fake/crc",
                                  boost::json::serialize(boost::json::object{{"url", other}}));
    EXPECT_EQ(boost::json::parse(failed.body).at("valid"), false) << failed.body;
    const auto refused = http_call(fake_port_, "POST", "/_fake/deliver",
                                   boost::json::serialize(boost::json::object{
                                       {"url", other}, {"fixture", "aaa_mention.json"}}));
    EXPECT_EQ(refused.status, 409) << refused.body;
    // A token that could pass for a webhook body is not signed.
    EXPECT_EQ(http_call(port_, "GET", "/hooks/acme-x?crc_token=%7B%22a%22%3A1%7D").status, 400);
    EXPECT_EQ(http_call(port_, "GET", "/hooks/acme-x").status, 400);
}

TEST_F(x_fixture, a_mention_is_drafted_approved_and_sent_as_a_signed_reply_post) {
    const std::string id = draft_of(deliver("aaa_mention.json"));
    const auto pending = draft(id);
    EXPECT_EQ(pending.at("platform"), "x");
    EXPECT_EQ(pending.at("text"), "Sorry Jordan Brinks");
    EXPECT_EQ(pending.at("in_reply_to").at("id"), "1924465506158878979");
    EXPECT_EQ(pending.at("in_reply_to").at("kind"), "mention");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    EXPECT_EQ(draft(id).at("sent_id"), "1990000000000000001");

    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    const auto& call = calls.at(0).as_object();
    EXPECT_EQ(call.at("path"), "/2/tweets");
    EXPECT_EQ(call.at("auth_ok"), true) << call.at("auth_problem");
    EXPECT_EQ(call.at("content_type"), "application/json");
    EXPECT_EQ(call.at("answered"), 201);
    EXPECT_EQ(boost::json::parse(call.at("body").as_string()),
              boost::json::parse(R"({"text":"Sorry Jordan Brinks",
                                     "reply":{"in_reply_to_tweet_id":"1924465506158878979"}})"));
}

TEST_F(x_fixture, the_fake_api_takes_no_call_without_a_valid_signature) {
    // What makes the checks above mean something: X's stand-in refuses what X would.
    const std::string body = R"({"text":"hi"})";
    auto r =
        http_call(fake_port_, "POST", "/2/tweets", body, {{"Content-Type", "application/json"}});
    EXPECT_EQ(r.status, 401) << r.body;
    r = http_call(fake_port_, "POST", "/2/tweets", body,
                  {{"Content-Type", "application/json"},
                   {"Authorization",
                    "OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\", oauth_nonce=\"n1\", "
                    "oauth_signature=\"AAAA\", oauth_signature_method=\"HMAC-SHA1\", "
                    "oauth_timestamp=\"" +
                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count()) +
                        "\", oauth_token=\"" + access_token + "\", oauth_version=\"1.0\""}});
    EXPECT_EQ(r.status, 401) << r.body;
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls.at(0).at("auth_problem"), "no Authorization header");
    EXPECT_EQ(calls.at(1).at("auth_problem"), "signature mismatch");
}

TEST_F(x_fixture, a_direct_message_is_answered_by_direct_message) {
    const std::string id = draft_of(deliver("aaa_direct_message.json"));
    EXPECT_EQ(draft(id).at("in_reply_to").at("kind"), "direct");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    EXPECT_EQ(draft(id).at("sent_id"), "1990000000000000001");
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls.at(0).at("path"), "/2/dm_conversations/with/3001969357/messages");
    EXPECT_EQ(calls.at(0).at("auth_ok"), true) << calls.at(0).at("auth_problem");
    EXPECT_EQ(boost::json::parse(calls.at(0).at("body").as_string()),
              boost::json::parse(R"({"text":"Sorry Jordan Brinks"})"));
}

TEST_F(x_fixture, a_reply_by_direct_message_may_be_longer_than_a_post) {
    const std::string long_text(400, 'a');
    const std::string edit = boost::json::serialize(boost::json::object{{"text", long_text}});
    const std::string mention = draft_of(deliver("aaa_mention.json"));
    auto r = http_call(port_, "POST", "/v1/drafts/" + mention + "/approve", edit, as_alice);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("x's limit of 280"), std::string::npos) << r.body;

    const std::string dm = draft_of(deliver("aaa_direct_message.json"));
    r = http_call(port_, "POST", "/v1/drafts/" + dm + "/approve", edit, as_alice);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_TRUE(draft_reaches(dm, "sent")) << boost::json::serialize(draft(dm));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(boost::json::parse(calls.at(0).at("body").as_string()).at("text").as_string(),
              long_text);
}

TEST_F(x_fixture, x_activity_api_deliveries_are_read_too) {
    const std::string mention = draft_of(deliver("xaa_post_mention.json"));
    const std::string dm = draft_of(deliver("xaa_dm_received.json"));
    EXPECT_EQ(draft(mention).at("in_reply_to").at("kind"), "reply");
    EXPECT_EQ(draft(dm).at("in_reply_to").at("kind"), "direct");
    EXPECT_EQ(deliver("xaa_dm_sent.json").status, 200);
    EXPECT_EQ(stored_messages(), 2u);
}

TEST_F(x_fixture, a_bad_or_missing_signature_is_refused_and_nothing_is_stored) {
    auto r = deliver("aaa_mention.json", "bad");
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(boost::json::parse(r.body).at("error"), "unauthorized");
    r = deliver("aaa_mention.json", "none");
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="acme-x",reason="bad_signature"} 1)"),
        std::string::npos)
        << m;
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="acme-x",reason="missing_signature"} 1)"),
        std::string::npos)
        << m;
    EXPECT_EQ(m.find(consumer_secret), std::string::npos);
    EXPECT_EQ(daemon_->log_text().find(consumer_secret), std::string::npos);
}

TEST_F(x_fixture, a_redelivery_is_stored_once) {
    draft_of(deliver("aaa_mention.json"));
    const auto again = deliver("aaa_mention.json");
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(boost::json::parse(again.body).at("status"), "duplicate");
    EXPECT_EQ(stored_messages(), 1u);
    const auto list = http_call(port_, "GET", "/v1/drafts?account=acme-x", {}, as_alice);
    EXPECT_EQ(boost::json::parse(list.body).at("drafts").as_array().size(), 1u);
}

TEST_F(x_fixture, our_own_posts_and_other_events_are_acknowledged_counted_and_not_stored) {
    const std::pair<const char*, const char*> cases[] = {
        {"aaa_own_post.json", "own_post"},     {"aaa_dm_echo.json", "echo"},
        {"aaa_retweet.json", "retweet"},       {"aaa_favorite.json", "favorite_events"},
        {"aaa_other_user.json", "other_user"},
    };
    for (const auto& [name, reason] : cases) {
        const auto r = deliver(name);
        EXPECT_EQ(r.status, 200) << name << ": " << r.body;
        EXPECT_EQ(
            boost::json::parse(r.body),
            boost::json::parse(std::string(R"({"status":"ignored","reason":")") + reason + "\"}"))
            << name;
    }
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="acme-x",reason="own_post"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(
        m.find(R"(rapport_webhook_ignored_total{account="acme-x",reason="favorite_events"} 1)"),
        std::string::npos)
        << m;
}

TEST_F(x_fixture, a_429_is_retried_at_the_rate_limit_reset) {
    fake_answers(R"({"status":429,"reset_in":5,"count":1})");
    const std::string id = draft_of(deliver("aaa_mention.json"));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(eventually([&] { return fake_calls().size() >= 1; }));
    EXPECT_TRUE(eventually([&] {
        const auto d = draft(id);
        return d.at("state") == "approved" && !d.at("last_error").is_null();
    }));
    EXPECT_EQ(draft(id).at("last_error"), "X answered 429: Too Many Requests");
    ASSERT_TRUE(draft_reaches(id, "sent"));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls.at(0).at("answered"), 429);
    EXPECT_EQ(calls.at(1).at("answered"), 201);
    EXPECT_EQ(calls.at(1).at("auth_ok"), true); // a fresh nonce for the retry
    // Without a reset the dispatcher's first backoff is at most 2 s; whole seconds on both
    // sides, so an honoured 5 s reset shows as more than 3 s.
    const auto gap =
        calls.at(1).at("received_ms").as_int64() - calls.at(0).at("received_ms").as_int64();
    EXPECT_GE(gap, 3000) << gap;
    EXPECT_EQ(draft(id).at("attempts"), 2);
}

TEST_F(x_fixture, a_refusal_fails_the_draft_with_xs_words) {
    fake_answers(
        R"({"status":403,"detail":"You are not allowed to create a Tweet with duplicate content."})");
    const std::string id = draft_of(deliver("aaa_mention.json"));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "failed"));
    EXPECT_EQ(draft(id).at("last_error"),
              "X answered 403: You are not allowed to create a Tweet with duplicate content.");
    EXPECT_EQ(fake_calls().size(), 1u);
    for (const char* secret : {consumer_secret, access_token_secret, access_token}) {
        EXPECT_EQ(daemon_->log_text().find(secret), std::string::npos) << secret;
    }
}

} // namespace
