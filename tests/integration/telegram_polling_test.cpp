// A telegram account in polling mode (`updates: polling`, PLATFORMS.md §6c) against a real
// rapportd: rapport-telegram-fake queues Updates from tests/data/telegram and serves them by
// getUpdates, and takes the replies by sendMessage.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/integration/telegram_fake.hpp"

#include <csignal>
#include <map>
#include <set>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;

class telegram_polling : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        // Updates one getUpdates at a time: a stream long enough to crash in the middle of.
        fake_ =
            std::make_unique<telegram_fake>(dir_, std::vector<std::string>{"--batch-limit", "1"});
        // The generic account of the shared config stays; the telegram one joins it, with no
        // webhook_secret: a polling account takes no webhooks.
        write("rapport.yaml", rapport::testing::read_file(dir_ / "rapport.yaml").value_or("") +
                                  "  - {id: tg, platform: telegram, updates: polling, "
                                  "bot_token: tg-token, bot_username: AcmeHelpBot,\n"
                                  "     api_base_url: \"" +
                                  fake_->url() + "\", sends_per_minute: 6000}\n");
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        fake_.reset();
    }

    void start_polling(const std::string& token = telegram_bot_token) {
        start({"RAPPORT_SECRET_TG_TOKEN=" + token});
    }

    std::size_t stored_messages() {
        const auto r = http_call(port_, "GET", "/v1/messages?account=tg&limit=500", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("messages").as_array().size();
    }

    boost::json::array drafts_of_tg() {
        const auto r = http_call(port_, "GET", "/v1/drafts?account=tg&limit=500", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("drafts").as_array();
    }

    // A private message from tests/data/telegram with its own message_id and text.
    static std::string private_message(int n) {
        auto update = boost::json::parse(telegram_fixture_file("private_message.json")).as_object();
        auto& m = update.at("message").as_object();
        m["message_id"] = 5000 + n;
        m["text"] = "my acme toaster is broken (" + std::to_string(n) + ")";
        return boost::json::serialize(update);
    }

    std::unique_ptr<telegram_fake> fake_;
};

TEST_F(telegram_polling, polled_updates_are_drafted_approved_and_answered_in_their_chat) {
    // A webhook left over from webhook mode: polling deletes it at start.
    ASSERT_EQ(fake_->call("setWebhook", R"({"url":"https://example.invalid/hooks/tg"})").at("ok"),
              true);
    fake_->queue("[" + telegram_fixture_file("private_message.json") + "," +
                 telegram_fixture_file("edited_message.json") + "," +
                 telegram_fixture_file("from_bot.json") + "," +
                 telegram_fixture_file("group_mention.json") + "]");
    start_polling();
    ASSERT_TRUE(eventually([&] { return stored_messages() == 2; })) << daemon_->log_text();
    EXPECT_EQ(fake_->call("getWebhookInfo").at("result").at("url"), "");
    EXPECT_NE(daemon_->log_text().find("telegram_webhook_deleted account=tg"), std::string::npos);

    // Only messages are asked for; the bot's own message is read and passed over.
    const auto polls = fake_->calls_of("getUpdates");
    ASSERT_FALSE(polls.empty());
    const auto first = boost::json::parse(polls.front().at("body").as_string());
    EXPECT_EQ(first.at("allowed_updates"), boost::json::parse(R"(["message"])"));
    EXPECT_EQ(first.at("timeout"), 25);
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="tg",reason="from_bot"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_messages_total{account="tg",kind="direct"} 1)"), std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_stream_connected{account="tg"} 1)"), std::string::npos) << m;

    // The same drafts and replies as a webhook's Updates make.
    std::map<std::string, std::string> draft_by_kind;
    for (const auto& d : drafts_of_tg()) {
        draft_by_kind[std::string(d.at("in_reply_to").at("kind").as_string())] =
            std::string(d.at("id").as_string());
    }
    ASSERT_EQ(draft_by_kind.size(), 2u);
    for (const auto& [kind, id] : draft_by_kind) {
        ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + id + "/approve", "{}", as_alice).status,
                  200);
        ASSERT_TRUE(draft_reaches(id, "sent")) << kind;
    }
    std::set<std::string> bodies;
    for (const auto& c : fake_->calls_of("sendMessage")) {
        EXPECT_EQ(c.at("answered"), 200);
        bodies.insert(boost::json::serialize(boost::json::parse(c.at("body").as_string())));
    }
    EXPECT_EQ(bodies, (std::set<std::string>{R"({"chat_id":111222333,"text":"Sorry Sam Lee",)"
                                             R"("reply_parameters":{"message_id":52}})",
                                             R"({"chat_id":-1001234567890,"text":"Sorry Ana",)"
                                             R"("reply_parameters":{"message_id":1187}})"}));
    // A polling account has no webhook.
    EXPECT_EQ(
        http_call(port_, "POST", "/hooks/tg", telegram_fixture_file("group_mention.json")).status,
        404);
}

TEST_F(telegram_polling, a_crash_mid_stream_loses_nothing_and_stores_each_update_once) {
    constexpr int updates = 60;
    std::string batch = "[";
    for (int n = 0; n < updates; ++n) {
        batch += (n > 0 ? "," : "") + private_message(n);
    }
    const auto ids = fake_->queue(batch + "]");
    ASSERT_EQ(ids.size(), static_cast<std::size_t>(updates));
    start_polling();
    // Killed while Updates are still arriving one getUpdates at a time.
    ASSERT_TRUE(eventually([&] { return stored_messages() >= 10; })) << daemon_->log_text();
    daemon_->signal(SIGKILL);
    daemon_->wait(20s);

    start_polling();
    ASSERT_TRUE(eventually([&] { return stored_messages() == updates; })) << daemon_->log_text();
    // Telegram's queue empties: every Update was confirmed, after it was stored.
    ASSERT_TRUE(eventually([&] {
        return fake_->call("getWebhookInfo").at("result").at("pending_update_count") == 0;
    }));
    EXPECT_EQ(stored_messages(), static_cast<std::size_t>(updates));
    const auto drafts = drafts_of_tg();
    EXPECT_EQ(drafts.size(), static_cast<std::size_t>(updates));
    std::set<std::string> answered;
    for (const auto& d : drafts) {
        answered.insert(std::string(d.at("in_reply_to").at("id").as_string()));
    }
    EXPECT_EQ(answered.size(), static_cast<std::size_t>(updates));
    // The restarted poller began at the saved offset: never past an Update it had not stored.
    const auto log = daemon_->log_text();
    const auto at = log.find("telegram_polling account=tg offset=");
    ASSERT_NE(at, std::string::npos) << log;
    const std::string saved = log.substr(at + 35, log.find_first_of(" \n", at + 35) - at - 35);
    ASSERT_NE(saved, "none") << log;
    // At least the first nine were confirmed (ten were stored; the tenth's offset may not
    // have been saved yet).
    EXPECT_GE(std::stoll(saved), ids.front() + 9);
    EXPECT_LE(std::stoll(saved), ids.back() + 1);
}

TEST_F(telegram_polling, a_429_is_waited_out_for_telegrams_retry_after) {
    fake_->answers(R"({"method":"getUpdates","error_code":429,"retry_after":3,"count":1})");
    fake_->queue(telegram_fixture_file("private_message.json"));
    start_polling();
    ASSERT_TRUE(eventually([&] { return stored_messages() == 1; })) << daemon_->log_text();
    const auto polls = fake_->calls_of("getUpdates");
    ASSERT_GE(polls.size(), 2u);
    EXPECT_EQ(polls.at(0).at("answered"), 429);
    EXPECT_EQ(polls.at(1).at("answered"), 200);
    const auto gap =
        polls.at(1).at("received_ms").as_int64() - polls.at(0).at("received_ms").as_int64();
    // Honoured: the next poll came no sooner than Telegram asked (whole seconds, less a
    // little for the clocks' rounding).
    EXPECT_GE(gap, 2900) << gap;
    EXPECT_NE(daemon_->log_text().find("telegram_poll_rate_limited account=tg"), std::string::npos);
}

TEST_F(telegram_polling, a_refused_token_is_reported_without_the_token) {
    const std::string wrong = "7000000001:AAwrongwrongwrongwrongwrongwrongwro";
    start_polling(wrong);
    ASSERT_TRUE(daemon_->wait_for_log("telegram_poll_unauthorized account=tg", 20s))
        << daemon_->log_text();
    const auto log = daemon_->log_text();
    EXPECT_NE(log.find("Telegram answered 401: Unauthorized"), std::string::npos) << log;
    EXPECT_NE(log.find("check the account's bot_token"), std::string::npos) << log;
    EXPECT_EQ(log.find("AAwrong"), std::string::npos) << log;
    EXPECT_EQ(metrics().find("AAwrong"), std::string::npos);
    EXPECT_NE(metrics().find(R"(rapport_stream_connected{account="tg"} 0)"), std::string::npos);
}

} // namespace
