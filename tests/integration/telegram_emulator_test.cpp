// A telegram account in polling mode against someone else's Bot API emulator: telegram-test-api
// from npm (tests/peers/telegram-test-api, installed by `npm ci` in scripts/test.sh), started by
// its launch.js on a free loopback port. Its simulated user writes to the bot; rapportd polls,
// drafts, and sends the approved reply, which the user's client receives. The emulator ignores
// webhook secrets and fails when a webhook target errors, so webhook cases stay with
// rapport-telegram-fake; here it checks our reading of getUpdates and our sendMessage against
// an implementation we did not write.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/read_file.hpp"

#include <filesystem>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;

constexpr const char* bot_token = "7000000002:AAEmulatorEmulatorEmulatorEmulator";

class telegram_emulator : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        // Missing tools fail the test, loudly: a skipped test would hide that CI never ran it.
        ASSERT_FALSE(std::string(NODE_PATH).empty())
            << "node was not found when the build was configured: scripts/install-deps.sh "
               "installs Debian's nodejs and npm";
        const fs::path peer = fs::path(RAPPORT_SOURCE_DIR) / "tests/peers/telegram-test-api";
        ASSERT_TRUE(fs::exists(peer / "node_modules/telegram-test-api/package.json"))
            << "telegram-test-api is not installed: run `npm ci --no-audit --no-fund` in "
            << peer.string() << " (scripts/test.sh does)";
        emulator_ = std::make_unique<daemon_process>(
            std::vector<std::string>{NODE_PATH, (peer / "launch.js").string()}, dir_,
            std::vector<std::string>{"BOT_TOKEN=" + std::string(bot_token)}, dir_ / "emulator.log");
        const auto line = emulator_->wait_for_log("listening port=", 30s);
        ASSERT_TRUE(line) << emulator_->log_text();
        const auto port_at = line->find("port=") + 5;
        const auto control_at = line->find("control=") + 8;
        const std::string api_port = line->substr(port_at, line->find(' ', port_at) - port_at);
        control_port_ = static_cast<std::uint16_t>(std::stoi(line->substr(control_at)));
        write("rapport.yaml", rapport::testing::read_file(dir_ / "rapport.yaml").value_or("") +
                                  "  - {id: tg, platform: telegram, updates: polling, "
                                  "bot_token: tg-token, bot_username: AcmeHelpBot,\n"
                                  "     api_base_url: \"http://127.0.0.1:" +
                                  api_port + "\", sends_per_minute: 6000}\n");
        start({"RAPPORT_SECRET_TG_TOKEN=" + std::string(bot_token)});
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        emulator_.reset();
    }

    // The simulated user writes to the bot in their private chat.
    void user_says(const std::string& text) {
        const auto r = http_call(control_port_, "POST", "/user/say",
                                 boost::json::serialize(boost::json::object{{"text", text}}));
        ASSERT_EQ(r.status, 200) << r.body;
    }

    // What the user's client has received from the bot, oldest first.
    boost::json::array user_inbox() {
        const auto r = http_call(control_port_, "GET", "/user/inbox");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? boost::json::parse(r.body).as_array() : boost::json::array{};
    }

    boost::json::array drafts_of_tg() {
        const auto r = http_call(port_, "GET", "/v1/drafts?account=tg", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("drafts").as_array();
    }

    std::unique_ptr<daemon_process> emulator_;
    std::uint16_t control_port_ = 0;
};

TEST_F(telegram_emulator, the_users_message_is_drafted_and_the_approved_reply_reaches_them) {
    user_says("my acme toaster is broken");
    ASSERT_TRUE(eventually([&] { return drafts_of_tg().size() == 1; })) << daemon_->log_text();
    const auto d = drafts_of_tg().at(0).as_object();
    EXPECT_EQ(d.at("text"), "Sorry Sam");
    const auto& message = d.at("in_reply_to").as_object();
    EXPECT_EQ(message.at("kind"), "direct");
    EXPECT_EQ(message.at("text"), "my acme toaster is broken");
    EXPECT_EQ(message.at("author").at("id"), "111222333");
    // "<chat>:<message_id>": the emulator's message id comes after the private chat's.
    const std::string message_id(message.at("id").as_string());
    ASSERT_EQ(message_id.rfind("111222333:", 0), 0u) << message_id;
    const std::int64_t user_message_id = std::stoll(message_id.substr(10));

    const std::string id(d.at("id").as_string());
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + id + "/approve", "{}", as_alice).status,
              200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << daemon_->log_text();

    boost::json::array inbox;
    ASSERT_TRUE(eventually([&] {
        inbox = user_inbox();
        return !inbox.empty();
    }));
    ASSERT_EQ(inbox.size(), 1u) << boost::json::serialize(inbox);
    const auto& reply = inbox.at(0).at("message").as_object();
    EXPECT_EQ(reply.at("text"), "Sorry Sam");
    EXPECT_EQ(reply.at("chat_id"), 111222333);
    // Threaded: the emulator keeps the reply_parameters it was sent.
    EXPECT_EQ(reply.at("reply_parameters").at("message_id"), user_message_id);
    // The sent id is the emulator's id for the reply, in our "<chat>:<message_id>" form.
    EXPECT_EQ(draft(id).at("sent_id").as_string(),
              "111222333:" + std::to_string(inbox.at(0).at("messageId").as_int64()));

    // A second message is polled too (the offset moved on; nothing is read twice).
    user_says("still broken");
    ASSERT_TRUE(eventually([&] { return drafts_of_tg().size() == 2; })) << daemon_->log_text();
    const auto r = http_call(port_, "GET", "/v1/messages?account=tg", {}, as_alice);
    EXPECT_EQ(boost::json::parse(r.body).at("messages").as_array().size(), 2u);
}

} // namespace
