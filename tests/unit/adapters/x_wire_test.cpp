// X webhooks (PLATFORMS.md §7a, adapters/x/wire.hpp): the CRC answer, the signature check and
// how Account Activity and X Activity deliveries from tests/data/x become Messages.
#include "adapters/x/wire.hpp"
#include "tests/support/read_file.hpp"

#include <gtest/gtest.h>

#include <map>

namespace rapport::adapters::x {
namespace {

constexpr const char* brand = "4337869213";
constexpr const char* consumer_secret = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";

std::string fixture(const std::string& name) {
    const auto text =
        rapport::testing::read_file(std::string(RAPPORT_SOURCE_DIR) + "/tests/data/x/" + name);
    EXPECT_TRUE(text) << name;
    return text.value_or("");
}

activity_result parse(const std::string& name) {
    return parse_activity(fixture(name), "acme-x", brand);
}

TEST(x_wire, crc_answers_match_the_computed_vector) {
    // PLATFORMS.md §7a: computed with Python's hmac, as X's own CRC samples do it.
    EXPECT_EQ(webhook_signature("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
                                "9b4507b3-9040-4669-9ca3-6b94edb50553"),
              "sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8=");
    EXPECT_EQ(crc_response_body("z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu",
                                "9b4507b3-9040-4669-9ca3-6b94edb50553"),
              R"({"response_token":"sha256=Cytd4Sq+NvEcV3MMrXxWJGJx5A+y/lXzzU2Maartkx8="})");
}

TEST(x_wire, crc_tokens_that_could_be_a_webhook_body_are_not_signed) {
    EXPECT_TRUE(is_acceptable_crc_token("9b4507b3-9040-4669-9ca3-6b94edb50553"));
    EXPECT_TRUE(is_acceptable_crc_token("MTU2ODQ1NjM4NzQ1Mw+/="));
    EXPECT_FALSE(is_acceptable_crc_token(""));
    EXPECT_FALSE(is_acceptable_crc_token(R"({"for_user_id":"4337869213"})"));
    EXPECT_FALSE(is_acceptable_crc_token("a\nb"));
    EXPECT_FALSE(is_acceptable_crc_token(std::string(513, 'a')));
}

webhook_request request(std::string_view method,
                        std::string_view body,
                        std::map<std::string, std::string> headers,
                        std::map<std::string, std::string> query = {}) {
    webhook_request r;
    r.method = method;
    r.body = body;
    r.header = [headers =
                    std::move(headers)](std::string_view name) -> std::optional<std::string_view> {
        for (const auto& [k, v] : headers) {
            if (k.size() == name.size() &&
                std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                return std::string_view(v);
            }
        }
        return std::nullopt;
    };
    r.query = [query = std::move(query)](std::string_view name) -> std::optional<std::string_view> {
        const auto found = query.find(std::string(name));
        return found == query.end() ? std::nullopt : std::optional(std::string_view(found->second));
    };
    return r;
}

TEST(x_wire, the_reader_answers_the_crc_and_checks_every_post) {
    const hook_reader reader("acme-x", consumer_secret, brand);
    auto r = reader.read(request("GET", "", {}, {{"crc_token", "abc-123"}}));
    ASSERT_EQ(r.what, webhook_result::outcome::answer);
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, crc_response_body(consumer_secret, "abc-123"));
    EXPECT_EQ(reader.read(request("GET", "", {})).what, webhook_result::outcome::invalid);
    EXPECT_EQ(reader.read(request("GET", "", {}, {{"crc_token", "{\"a\":1}"}})).what,
              webhook_result::outcome::invalid);
    EXPECT_EQ(reader.read(request("PUT", "", {})).what,
              webhook_result::outcome::method_not_allowed);

    const std::string body = fixture("aaa_mention.json");
    const std::string good = webhook_signature(consumer_secret, body);
    r = reader.read(request("POST", body, {{"X-Twitter-Webhooks-Signature", good}}));
    ASSERT_EQ(r.what, webhook_result::outcome::messages) << r.detail;
    EXPECT_EQ(r.messages.size(), 1u);

    r = reader.read(request("POST", body, {}));
    EXPECT_EQ(r.what, webhook_result::outcome::rejected);
    EXPECT_EQ(r.reason, "missing_signature");
    r = reader.read(request("POST", body + " ", {{signature_header.data(), good}}));
    EXPECT_EQ(r.reason, "bad_signature");
    r = reader.read(request("POST", body, {{signature_header.data(), good.substr(7)}}));
    EXPECT_EQ(r.reason, "malformed_signature");
    r = reader.read(
        request("POST", body, {{signature_header.data(), webhook_signature("other", body)}}));
    EXPECT_EQ(r.reason, "bad_signature");
    EXPECT_EQ(r.detail.find(consumer_secret), std::string::npos);
    // No secret configured: nothing passes, not even what an empty key signs.
    const hook_reader unkeyed("acme-x", "", brand);
    r = unkeyed.read(
        request("POST", body, {{signature_header.data(), webhook_signature("", body)}}));
    EXPECT_EQ(r.reason, "bad_signature");

    // Signed but not X's: 400.
    const std::string junk = "{\"for_user_id\":4}";
    r = reader.read(request("POST", junk,
                            {{signature_header.data(), webhook_signature(consumer_secret, junk)}}));
    EXPECT_EQ(r.what, webhook_result::outcome::invalid);
}

TEST(x_wire, a_mention_of_the_brand_is_a_mention) {
    const auto r = parse("aaa_mention.json");
    ASSERT_TRUE(r.error.empty()) << r.error;
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_TRUE(r.ignored.empty());
    const rules::message& m = r.messages[0];
    EXPECT_EQ(m.id, "1924465506158878979");
    EXPECT_EQ(m.kind, rules::message_kind::mention);
    EXPECT_EQ(m.text, "@AcmeHelp my toaster is broken again, third time this month");
    EXPECT_EQ(m.author.id, "3001969357");
    EXPECT_EQ(m.author.handle, "furiouscamper");
    EXPECT_EQ(m.author.name, "Jordan Brinks");
    EXPECT_EQ(m.author.followers, 22);
    EXPECT_EQ(m.thread_id, "1924465506158878979");
    EXPECT_FALSE(m.in_reply_to);
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2025-05-19T14:01:46Z"));
    EXPECT_EQ(m.lang, "en");
    EXPECT_EQ(m.platform, "x");
    EXPECT_EQ(m.account, "acme-x");
}

TEST(x_wire, a_reply_to_the_brand_is_a_reply_to_its_post) {
    const auto r = parse("aaa_reply.json");
    ASSERT_EQ(r.messages.size(), 1u) << r.error;
    const rules::message& m = r.messages[0];
    EXPECT_EQ(m.kind, rules::message_kind::reply);
    EXPECT_EQ(m.id, "1924470112233445566");
    EXPECT_EQ(m.in_reply_to, "1924466000000000001");
    EXPECT_FALSE(m.thread_id); // AAA does not say where the conversation started
    EXPECT_EQ(m.author.name, "Sam Lee");
}

TEST(x_wire, a_truncated_post_is_read_in_full) {
    const auto r = parse("aaa_longform.json");
    ASSERT_EQ(r.messages.size(), 1u) << r.error << (r.ignored.empty() ? "" : r.ignored[0]);
    const rules::message& m = r.messages[0];
    EXPECT_EQ(m.kind, rules::message_kind::mention); // the mention is past the cut
    EXPECT_TRUE(m.text.ends_with("is there a firmware fix? @AcmeHelp")) << m.text;
    EXPECT_GT(m.text.size(), 280u);
}

TEST(x_wire, a_direct_message_is_direct_with_the_senders_names) {
    const auto r = parse("aaa_direct_message.json");
    ASSERT_EQ(r.messages.size(), 1u) << r.error;
    const rules::message& m = r.messages[0];
    EXPECT_EQ(m.kind, rules::message_kind::direct);
    EXPECT_EQ(m.id, "954491830116155396");
    EXPECT_EQ(m.text, "Hello! My order arrived broken, what now?");
    EXPECT_EQ(m.author.id, "3001969357");
    EXPECT_EQ(m.author.handle, "furiouscamper");
    EXPECT_EQ(m.author.name, "Jordan Brinks");
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2018-01-19T23:12:40Z"));
}

TEST(x_wire, x_activity_api_mentions_and_dms_read_like_their_aaa_twins) {
    auto r = parse("xaa_post_mention.json");
    ASSERT_EQ(r.messages.size(), 1u) << r.error;
    const rules::message& m = r.messages[0];
    EXPECT_EQ(m.kind, rules::message_kind::reply); // in_reply_to_user_id is the brand
    EXPECT_EQ(m.id, "2080765813578191303");
    EXPECT_EQ(m.text, "@AcmeHelp hey, the kettle lid is broken again");
    EXPECT_EQ(m.author.id, "2222222222222222222");
    EXPECT_EQ(m.author.handle, "OtherUser");
    EXPECT_EQ(m.author.name, "Other User");
    EXPECT_EQ(m.author.followers, 97);
    EXPECT_EQ(m.thread_id, "2080765000000000000");
    EXPECT_EQ(m.in_reply_to, "2080765000000000000");
    EXPECT_EQ(m.created_at, rules::parse_timestamp("2026-07-24T21:23:23Z"));

    r = parse("xaa_dm_received.json");
    ASSERT_EQ(r.messages.size(), 1u) << r.error;
    EXPECT_EQ(r.messages[0].kind, rules::message_kind::direct);
    EXPECT_EQ(r.messages[0].id, "2080765901528535096");
    EXPECT_EQ(r.messages[0].author.handle, "OtherUser");
    EXPECT_EQ(r.messages[0].author.name, "Other User");
}

TEST(x_wire, what_is_not_for_us_is_ignored_by_name) {
    const std::pair<const char*, const char*> cases[] = {
        {"aaa_own_post.json", "own_post"},      {"aaa_retweet.json", "retweet"},
        {"aaa_dm_echo.json", "echo"},           {"aaa_favorite.json", "favorite_events"},
        {"aaa_follow.json", "follow_events"},   {"aaa_tweet_delete.json", "tweet_delete_events"},
        {"aaa_other_user.json", "other_user"},  {"xaa_dm_sent.json", "echo"},
        {"xaa_like.json", "unsupported_event"},
    };
    for (const auto& [name, reason] : cases) {
        const auto r = parse(name);
        EXPECT_TRUE(r.error.empty()) << name << ": " << r.error;
        EXPECT_TRUE(r.messages.empty()) << name;
        EXPECT_EQ(r.ignored, std::vector<std::string>{reason}) << name;
    }
}

TEST(x_wire, a_post_that_neither_mentions_nor_answers_the_brand_is_not_addressed) {
    auto body = fixture("aaa_mention.json");
    body.replace(body.find("\"id_str\": \"4337869213\""), 22, "\"id_str\": \"999\"");
    const auto r = parse_activity(body, "acme-x", brand);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.ignored, std::vector<std::string>{"not_addressed"});
}

TEST(x_wire, mentions_from_users_the_brand_blocked_are_ignored) {
    auto body = fixture("aaa_mention.json");
    body.replace(body.find("\"user_has_blocked\": \"false\""), 27,
                 "\"user_has_blocked\": \"true\"");
    const auto r = parse_activity(body, "acme-x", brand);
    EXPECT_TRUE(r.messages.empty());
    EXPECT_EQ(r.ignored, std::vector<std::string>{"blocked_user"});
}

TEST(x_wire, deliveries_that_are_not_x_shapes_are_invalid_and_yield_nothing) {
    for (const std::string& body : {
             std::string("not json"),
             std::string("[1,2]"),
             std::string(R"({"tweet_create_events":[]})"),
             std::string(R"({"for_user_id":4337869213,"tweet_create_events":[]})"),
             std::string(R"({"for_user_id":"4337869213","tweet_create_events":[{"id_str":"1"}]})"),
             std::string(R"({"for_user_id":"4337869213","tweet_create_events":[7]})"),
             std::string(R"({"for_user_id":"4337869213","direct_message_events":[)"
                         R"({"type":"message_create","message_create":{}}]})"),
             std::string(R"({"data":{"event_type":"post.mention.create",)"
                         R"("filter":{"user_id":"4337869213"}}})"),
             std::string(R"({"data":{"event_type":"dm.received","filter":{"user_id":"4337869213"},)"
                         R"("payload":{}}})"),
         }) {
        const auto r = parse_activity(body, "acme-x", brand);
        EXPECT_FALSE(r.error.empty()) << body;
        EXPECT_TRUE(r.messages.empty()) << body;
    }
    // An object with nothing Rapport knows is X's too, and acknowledged.
    const auto r = parse_activity("{}", "acme-x", brand);
    EXPECT_TRUE(r.error.empty());
    EXPECT_EQ(r.ignored, std::vector<std::string>{"unsupported_event"});
}

TEST(x_wire, request_bodies_are_json_with_the_reply_threaded) {
    EXPECT_EQ(create_post_body("Sorry \"Jo\"", std::string_view("1924465506158878979")),
              R"({"text":"Sorry \"Jo\"","reply":{"in_reply_to_tweet_id":"1924465506158878979"}})");
    EXPECT_EQ(create_post_body("What do you think?", std::nullopt),
              R"({"text":"What do you think?"})");
    EXPECT_EQ(direct_message_body("Hi"), R"({"text":"Hi"})");
}

TEST(x_wire, answers_give_the_new_id_or_the_problem) {
    auto a = parse_api_answer(R"({"data":{"id":"1445880548472328192","text":"Hi"}})");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, "1445880548472328192");
    a = parse_api_answer(
        R"({"data":{"dm_conversation_id":"1582103724607971328","dm_event_id":"1582103724607971332"}})");
    EXPECT_EQ(a->id, "1582103724607971332");
    a = parse_api_answer(
        R"({"detail":"You are not allowed to create a Tweet with duplicate content.",)"
        R"("type":"about:blank","title":"Forbidden","status":403})");
    EXPECT_EQ(a->problem, "You are not allowed to create a Tweet with duplicate content.");
    a = parse_api_answer(
        R"({"errors":[{"message":"Requested tweet is not found"}],)"
        R"("title":"Invalid Request","detail":"One or more parameters to your )"
        R"(request was invalid.","type":"https://api.twitter.com/2/problems/invalid-request"})");
    EXPECT_EQ(a->problem,
              "One or more parameters to your request was invalid.: Requested tweet is not found");
    a = parse_api_answer(R"({"errors":[{"code":88,"message":"Rate limit exceeded"}]})");
    EXPECT_EQ(a->problem, "Rate limit exceeded");
    EXPECT_FALSE(parse_api_answer("<html>"));
}

} // namespace
} // namespace rapport::adapters::x
