#include "adapters/generic/wire.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace rapport::adapters::generic {
namespace {

TEST(generic_wire, platform_and_account_come_from_the_config_not_the_body) {
    const auto r = parse_webhook(
        R"({"id":"ext-1","text":"hi","author":{"id":"u1"},"platform":"x","account":"other"})",
        "acme-site");
    ASSERT_TRUE(r.message) << r.error;
    EXPECT_EQ(r.message->platform, "generic");
    EXPECT_EQ(r.message->account, "acme-site");
    EXPECT_EQ(r.message->id, "ext-1");
}

TEST(generic_wire, a_bad_body_says_why) {
    EXPECT_EQ(parse_webhook(R"({"id":"1","text":"hi"})", "a").error,
              "field 'author.id' is required");
    EXPECT_TRUE(parse_webhook("{oops", "a").error.starts_with("invalid JSON"));
}

TEST(generic_wire, the_reply_body_has_the_contract_fields_in_order) {
    reply r;
    r.draft_id = "d-1";
    r.account = "acme-site";
    r.in_reply_to = "ext-100";
    r.thread_id = "t-9";
    r.text = "Hi \"Sam\"";
    r.is_private = true;
    r.kind = "reply";
    EXPECT_EQ(
        reply_body(r),
        R"({"draft_id":"d-1","account":"acme-site","in_reply_to":"ext-100","thread_id":"t-9",)"
        R"("text":"Hi \"Sam\"","private":true,"kind":"reply"})");
}

TEST(generic_wire, an_insight_question_replies_to_nothing) {
    reply r;
    r.draft_id = "d-2";
    r.account = "a";
    r.text = "What keeps you organized?";
    r.kind = "insight_question";
    const auto v = boost::json::parse(reply_body(r));
    EXPECT_TRUE(v.at("in_reply_to").is_null());
    EXPECT_TRUE(v.at("thread_id").is_null());
    EXPECT_EQ(v.at("private"), false);
}

TEST(generic_wire, sent_id_from_the_receivers_answer) {
    EXPECT_EQ(sent_id(R"({"id":"msg-77"})"), "msg-77");
    EXPECT_EQ(sent_id(R"({"id":77})"), "77");
    EXPECT_EQ(sent_id(R"({"ok":true})"), std::nullopt);
    EXPECT_EQ(sent_id(R"({"id":""})"), std::nullopt);
    EXPECT_EQ(sent_id(R"({"id":null})"), std::nullopt);
    EXPECT_EQ(sent_id(""), std::nullopt);
    EXPECT_EQ(sent_id("accepted"), std::nullopt);
    EXPECT_EQ(sent_id(R"(["id"])"), std::nullopt);
}

} // namespace
} // namespace rapport::adapters::generic
