// A telegram account against a real rapportd (PLATFORMS.md §6, issue 5): Updates from
// tests/data/telegram POSTed to /hooks/tg with Telegram's secret-token header, and
// rapport-telegram-fake as the account's api_base_url, checking every sendMessage.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/integration/telegram_fake.hpp"

#include <optional>
#include <set>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;

constexpr const char* hook_secret = "hook-secret_0123456789";

std::string fixture(const std::string& name) {
    return telegram_fixture_file(name);
}

class telegram_fixture : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        fake_ = std::make_unique<telegram_fake>(dir_);
        // The generic account of the shared config stays; the telegram one joins it.
        write("rapport.yaml", rapport::testing::read_file(dir_ / "rapport.yaml").value_or("") +
                                  "  - {id: tg, platform: telegram, bot_token: tg-token, "
                                  "webhook_secret: tg-hook, bot_username: AcmeHelpBot,\n"
                                  "     api_base_url: \"" +
                                  fake_->url() + "\", sends_per_minute: 6000}\n");
        start({"RAPPORT_SECRET_TG_TOKEN=" + std::string(telegram_bot_token),
               "RAPPORT_SECRET_TG_HOOK=" + std::string(hook_secret)});
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        fake_.reset();
    }

    // An Update as Telegram delivers it: with the secret token, unless told otherwise.
    http_reply post_update(const std::string& body,
                           std::optional<std::string> token = std::string(hook_secret)) {
        std::vector<std::pair<std::string, std::string>> headers{
            {"Content-Type", "application/json"}};
        if (token) {
            headers.emplace_back("X-Telegram-Bot-Api-Secret-Token", *token);
        }
        return http_call(port_, "POST", "/hooks/tg", body, headers);
    }

    // The one draft a stored Update made.
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

    boost::json::array fake_calls() { return fake_->calls(); }

    void fake_answers(const std::string& rule) { fake_->answers(rule); }

    std::size_t stored_messages() {
        const auto r = http_call(port_, "GET", "/v1/messages?account=tg", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("messages").as_array().size();
    }

    std::unique_ptr<telegram_fake> fake_;
};

TEST_F(telegram_fixture, a_group_mention_is_drafted_approved_and_sent_as_a_threaded_reply) {
    const std::string id = draft_of(post_update(fixture("group_mention.json")));
    const auto pending = draft(id);
    EXPECT_EQ(pending.at("platform"), "telegram");
    EXPECT_EQ(pending.at("text"), "Sorry Ana");
    EXPECT_EQ(pending.at("in_reply_to").at("id"), "-1001234567890:1187");
    EXPECT_EQ(pending.at("in_reply_to").at("kind"), "mention");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    EXPECT_EQ(draft(id).at("sent_id"), "-1001234567890:1001");

    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    const auto& call = calls.at(0).as_object();
    EXPECT_EQ(call.at("method"), "sendMessage");
    EXPECT_EQ(call.at("token_ok"), true);
    EXPECT_EQ(call.at("content_type"), "application/json");
    EXPECT_EQ(call.at("answered"), 200);
    EXPECT_EQ(boost::json::parse(call.at("body").as_string()),
              boost::json::parse(R"({"chat_id":-1001234567890,"text":"Sorry Ana",
                                     "reply_parameters":{"message_id":1187}})"));
}

TEST_F(telegram_fixture, private_messages_and_replies_to_the_bot_are_answered_in_their_chat) {
    const std::string direct = draft_of(post_update(fixture("private_message.json")));
    const std::string reply = draft_of(post_update(fixture("reply_to_bot.json")));
    EXPECT_EQ(draft(direct).at("in_reply_to").at("kind"), "direct");
    EXPECT_EQ(draft(reply).at("in_reply_to").at("kind"), "reply");
    ASSERT_EQ(approve(direct).status, 200);
    ASSERT_EQ(approve(reply).status, 200);
    ASSERT_TRUE(draft_reaches(direct, "sent"));
    ASSERT_TRUE(draft_reaches(reply, "sent"));
    std::set<std::string> bodies;
    for (const auto& c : fake_calls()) {
        bodies.insert(boost::json::serialize(boost::json::parse(c.at("body").as_string())));
    }
    EXPECT_EQ(bodies, (std::set<std::string>{R"({"chat_id":111222333,"text":"Sorry Sam Lee",)"
                                             R"("reply_parameters":{"message_id":52}})",
                                             R"({"chat_id":-1001234567890,"text":"Sorry Ana",)"
                                             R"("reply_parameters":{"message_id":1190}})"}));
}

TEST_F(telegram_fixture, a_missing_or_wrong_secret_token_is_refused_and_nothing_is_stored) {
    const std::string update = fixture("group_mention.json");
    auto r = post_update(update, std::nullopt);
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(boost::json::parse(r.body).at("error"), "unauthorized");
    r = post_update(update, std::string(hook_secret) + "x");
    EXPECT_EQ(r.status, 401) << r.body;
    r = post_update(update, "");
    EXPECT_EQ(r.status, 401) << r.body;
    // The generic account's HMAC is no way in either (no secret token: missing).
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    const auto s = rapport::adapters::sign_rapport(secret, update, now);
    r = http_call(port_, "POST", "/hooks/tg", update,
                  {{"X-Rapport-Timestamp", s.timestamp}, {"X-Rapport-Signature", s.signature}});
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="tg",reason="missing_signature"} 3)"),
        std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_webhook_rejected_total{account="tg",reason="bad_signature"} 1)"),
              std::string::npos)
        << m;
    // Telegram sends no GET challenge.
    EXPECT_EQ(http_call(port_, "GET", "/hooks/tg").status, 405);
}

TEST_F(telegram_fixture, a_redelivered_update_is_stored_once) {
    const std::string update = fixture("group_mention.json");
    draft_of(post_update(update));
    const auto again = post_update(update);
    EXPECT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(boost::json::parse(again.body).at("status"), "duplicate");
    EXPECT_EQ(stored_messages(), 1u);
    const auto list = http_call(port_, "GET", "/v1/drafts?account=tg", {}, as_alice);
    EXPECT_EQ(boost::json::parse(list.body).at("drafts").as_array().size(), 1u);
}

TEST_F(telegram_fixture, what_is_not_for_us_is_acknowledged_counted_and_not_stored) {
    const std::pair<const char*, const char*> cases[] = {
        {"from_bot.json", "from_bot"},
        {"group_not_addressed.json", "not_addressed"},
        {"edited_message.json", "edited_message"},
        {"unknown_update.json", "unsupported_update"},
        {"channel_post.json", "channel_post"},
    };
    for (const auto& [name, reason] : cases) {
        const auto r = post_update(fixture(name));
        EXPECT_EQ(r.status, 200) << name << ": " << r.body;
        EXPECT_EQ(
            boost::json::parse(r.body),
            boost::json::parse(std::string(R"({"status":"ignored","reason":")") + reason + "\"}"))
            << name;
    }
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="tg",reason="from_bot"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(
        m.find(R"(rapport_webhook_ignored_total{account="tg",reason="unsupported_update"} 1)"),
        std::string::npos);
    // Not an Update at all: 400.
    EXPECT_EQ(post_update("{\"update_id\":").status, 400);
}

TEST_F(telegram_fixture, a_429_is_retried_after_telegrams_retry_after) {
    fake_answers(R"({"error_code":429,"retry_after":5,"count":1})");
    const std::string id = draft_of(post_update(fixture("group_mention.json")));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(eventually([&] { return fake_calls().size() >= 1; }));
    EXPECT_TRUE(eventually([&] {
        const auto d = draft(id);
        return d.at("state") == "approved" && !d.at("last_error").is_null();
    }));
    EXPECT_EQ(draft(id).at("last_error"),
              "Telegram answered 429: Too Many Requests: retry after 5");
    ASSERT_TRUE(draft_reaches(id, "sent"));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls.at(0).at("answered"), 429);
    EXPECT_EQ(calls.at(1).at("answered"), 200);
    // Without retry_after the dispatcher's first backoff is at most 2 s; the store keeps whole
    // seconds, so an honoured 5 s shows as more than 4 s.
    const auto gap =
        calls.at(1).at("received_ms").as_int64() - calls.at(0).at("received_ms").as_int64();
    EXPECT_GE(gap, 4000) << gap;
    EXPECT_EQ(draft(id).at("attempts"), 2);
}

TEST_F(telegram_fixture, a_group_that_became_a_supergroup_is_followed_once) {
    fake_answers(R"({"error_code":400,"migrate_to_chat_id":-1001999000111,)"
                 R"("description":"Bad Request: group chat was upgraded to a supergroup chat"})");
    const std::string id = draft_of(post_update(fixture("group_mention.json")));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent"));
    EXPECT_EQ(draft(id).at("sent_id"), "-1001999000111:1001");
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls.at(0).at("answered"), 400);
    // Message ids do not carry over to the new chat: threaded if Telegram can, sent anyway.
    EXPECT_EQ(boost::json::parse(calls.at(1).at("body").as_string()),
              boost::json::parse(R"({"chat_id":-1001999000111,"text":"Sorry Ana",
                                     "reply_parameters":{"message_id":1187,
                                                         "allow_sending_without_reply":true}})"));
}

TEST_F(telegram_fixture, a_refusal_fails_the_draft_with_telegrams_description_and_no_token) {
    fake_answers(
        R"({"error_code":400,"description":"Bad Request: message to be replied not found"})");
    const std::string id = draft_of(post_update(fixture("group_mention.json")));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "failed"));
    const auto d = draft(id);
    EXPECT_EQ(d.at("last_error"),
              "Telegram answered 400: Bad Request: message to be replied not found");
    EXPECT_EQ(fake_calls().size(), 1u);
    // The token is in every request's path: it is nowhere in what rapportd says.
    EXPECT_EQ(daemon_->log_text().find("AAHdq"), std::string::npos);
    EXPECT_EQ(metrics().find("AAHdq"), std::string::npos);
}

TEST_F(telegram_fixture, a_text_over_4096_utf16_code_units_cannot_be_approved) {
    const std::string id = draft_of(post_update(fixture("group_mention.json")));
    // 2,048 emoji are 2,048 characters and 4,096 UTF-16 code units: Telegram's limit exactly.
    std::string text;
    for (int i = 0; i < 2048; ++i) {
        text += "\xF0\x9F\x98\x80";
    }
    auto r = http_call(port_, "POST", "/v1/drafts/" + id + "/approve",
                       boost::json::serialize(boost::json::object{{"text", text + "!"}}), as_alice);
    EXPECT_EQ(r.status, 422) << r.body;
    EXPECT_NE(r.body.find("4097 UTF-16 code units, over telegram's limit of 4096"),
              std::string::npos)
        << r.body;
    EXPECT_TRUE(fake_calls().empty());
    r = http_call(port_, "POST", "/v1/drafts/" + id + "/approve",
                  boost::json::serialize(boost::json::object{{"text", text}}), as_alice);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_TRUE(draft_reaches(id, "sent"));
    EXPECT_EQ(fake_calls().at(0).at("answered"), 200);
}

} // namespace
