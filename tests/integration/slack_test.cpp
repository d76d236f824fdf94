// A slack account against a real rapportd (PLATFORMS.md §1b, §1c, §1e): rapport-slack-fake
// plays Slack on both sides. It signs Events API bodies from tests/data/slack (v0) and POSTs
// them to /hooks/sl, and it is the account's api_base_url, checking every Web API call.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/read_file.hpp"

#include <optional>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;

constexpr const char* bot_token = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";
constexpr const char* signing_secret = "8f742231b10e8888abcd99yyyzzz85a5";

// Private replies, for a rule to ask for one.
const char* const whisper_playbook = R"(playbook: whisper
rules:
  - id: whisper
    when: {query: secretly}
    then: {reply: {text: "Psst, check your DMs", private: true}}
)";

class slack_fixture : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        write("playbooks/whisper.yaml", whisper_playbook);
        fake_ = std::make_unique<daemon_process>(
            std::vector<std::string>{SLACK_FAKE_PATH, "--token-env", "FAKE_TOKEN",
                                     "--signing-secret-env", "FAKE_SIGNING", "--quiet"},
            dir_,
            std::vector<std::string>{"FAKE_TOKEN=" + std::string(bot_token),
                                     "FAKE_SIGNING=" + std::string(signing_secret)},
            dir_ / "slack-fake.log");
        const auto line = fake_->wait_for_log("listening port=", 20s);
        ASSERT_TRUE(line) << fake_->log_text();
        fake_port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind('=') + 1)));
        // The generic account of the shared config stays; the slack one joins it.
        write("rapport.yaml", rapport::testing::read_file(dir_ / "rapport.yaml").value_or("") +
                                  "  - {id: sl, platform: slack, bot_token: sl-token, "
                                  "signing_secret: sl-signing, bot_user_id: U0LAN0Z89,\n"
                                  "     api_base_url: \"http://127.0.0.1:" +
                                  std::to_string(fake_port_) + "/api\", sends_per_minute: 6000}\n");
        start({"RAPPORT_SECRET_SL_TOKEN=" + std::string(bot_token),
               "RAPPORT_SECRET_SL_SIGNING=" + std::string(signing_secret)});
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        fake_.reset();
    }

    // Slack delivers `request` (the fake's /_fake/deliver fields, without the url); the answer
    // is rapportd's as the fake saw it: {"status", "body", "content_type", "sent_body"}.
    boost::json::object deliver(boost::json::object request) {
        request["url"] = "http://127.0.0.1:" + std::to_string(port_) + "/hooks/sl";
        const auto r =
            http_call(fake_port_, "POST", "/_fake/deliver", boost::json::serialize(request));
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? boost::json::parse(r.body).as_object() : boost::json::object{};
    }

    // A fixture delivered with its text changed so that a playbook rule matches.
    boost::json::object deliver_fixture(const std::string& name,
                                        boost::json::object replace = {},
                                        boost::json::object extra = {}) {
        extra["fixture"] = name;
        if (!replace.empty()) {
            extra["replace"] = std::move(replace);
        }
        return deliver(std::move(extra));
    }

    // The one draft a stored event made.
    std::string draft_of(const boost::json::object& answer) {
        EXPECT_EQ(answer.at("status"), 200) << boost::json::serialize(answer);
        const auto v = boost::json::parse(answer.at("body").as_string());
        EXPECT_EQ(v.at("status"), "stored") << v;
        const auto& drafts = v.at("drafts").as_array();
        EXPECT_EQ(drafts.size(), 1u) << v;
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

    std::size_t stored_messages() {
        const auto r = http_call(port_, "GET", "/v1/messages?account=sl", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("messages").as_array().size();
    }

    std::unique_ptr<daemon_process> fake_;
    std::uint16_t fake_port_ = 0;
};

const boost::json::object broken_toaster{
    {"is it everything a river should be?", "my toaster is broken"}};

TEST_F(slack_fixture, url_verification_is_answered_with_the_challenge) {
    const auto answer = deliver_fixture("url_verification");
    EXPECT_EQ(answer.at("status"), 200);
    EXPECT_EQ(answer.at("content_type"), "text/plain");
    EXPECT_EQ(answer.at("body"), "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
    // Unsigned, it is refused like any other request.
    EXPECT_EQ(deliver_fixture("url_verification", {}, {{"omit", {"signature"}}}).at("status"), 401);
}

TEST_F(slack_fixture, a_mention_is_drafted_approved_and_posted_in_its_thread) {
    const std::string id = draft_of(deliver_fixture("app_mention", broken_toaster));
    const auto pending = draft(id);
    EXPECT_EQ(pending.at("platform"), "slack");
    EXPECT_EQ(pending.at("in_reply_to").at("id"), "C123ABC456:1515449522.000016");
    EXPECT_EQ(pending.at("in_reply_to").at("kind"), "mention");
    EXPECT_EQ(pending.at("in_reply_to").at("text"), "my toaster is broken Q&A says <no>");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    const auto& call = calls.at(0).as_object();
    EXPECT_EQ(call.at("method"), "chat.postMessage");
    EXPECT_EQ(call.at("token_ok"), true);
    EXPECT_EQ(call.at("answered"), 200);
    EXPECT_EQ(call.at("error"), "");
    const auto body = boost::json::parse(call.at("body").as_string()).as_object();
    EXPECT_EQ(body.at("channel"), "C123ABC456");
    EXPECT_EQ(body.at("thread_ts"), "1515449522.000016");
    EXPECT_EQ(body.at("text"), pending.at("text"));
    const std::string sent_id(draft(id).at("sent_id").as_string());
    EXPECT_EQ(sent_id.rfind("C123ABC456:", 0), 0u) << sent_id;
}

TEST_F(slack_fixture, a_dm_is_answered_in_the_dm) {
    const std::string id =
        draft_of(deliver_fixture("message_im", {{"never arrived", "arrived broken"}}));
    EXPECT_EQ(draft(id).at("in_reply_to").at("kind"), "direct");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    const auto body = boost::json::parse(calls.at(0).at("body").as_string()).as_object();
    EXPECT_EQ(body.at("channel"), "D024BE91L");
    EXPECT_FALSE(body.contains("thread_ts"));
}

TEST_F(slack_fixture, a_private_reply_to_a_channel_message_goes_to_a_dm_with_the_author) {
    const std::string id = draft_of(deliver_fixture(
        "app_mention", {{"is it everything a river should be?", "can you secretly help"}}));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls.at(0).at("method"), "conversations.open");
    EXPECT_EQ(boost::json::parse(calls.at(0).at("body").as_string()),
              boost::json::parse(R"({"users":"U061F7AUR"})"));
    EXPECT_EQ(calls.at(1).at("method"), "chat.postMessage");
    const auto body = boost::json::parse(calls.at(1).at("body").as_string()).as_object();
    // The fake's DM with U061F7AUR.
    EXPECT_EQ(body.at("channel"), "D061F7AUR");
    EXPECT_FALSE(body.contains("thread_ts"));
    EXPECT_EQ(draft(id).at("sent_id").as_string().subview(0, 10), "D061F7AUR:");
}

TEST_F(slack_fixture, bad_stale_or_unsigned_requests_are_refused_and_nothing_is_stored) {
    const auto stale_at = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          301;
    EXPECT_EQ(
        deliver_fixture("app_mention", broken_toaster, {{"timestamp", stale_at}}).at("status"),
        401);
    EXPECT_EQ(deliver_fixture("app_mention", broken_toaster, {{"tamper", true}}).at("status"), 401);
    EXPECT_EQ(
        deliver_fixture("app_mention", broken_toaster, {{"secret", "not-the-secret"}}).at("status"),
        401);
    EXPECT_EQ(deliver_fixture("app_mention", broken_toaster,
                              {{"omit", boost::json::array{"timestamp", "signature"}}})
                  .at("status"),
              401);
    EXPECT_EQ(
        deliver_fixture("app_mention", broken_toaster, {{"omit", {"timestamp"}}}).at("status"),
        401);
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_rejected_total{account="sl",reason="stale_timestamp"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_webhook_rejected_total{account="sl",reason="bad_signature"} 2)"),
              std::string::npos)
        << m;
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="sl",reason="missing_signature"} 2)"),
        std::string::npos)
        << m;
    // Signed but not JSON: 400; an interactivity payload sent here: 400 as well.
    EXPECT_EQ(deliver({{"body", "{\"type\":"}}).at("status"), 400);
    EXPECT_EQ(deliver_fixture("block_actions").at("status"), 400);
}

TEST_F(slack_fixture, retries_and_the_double_delivery_of_a_mention_are_stored_once) {
    draft_of(deliver_fixture("app_mention", broken_toaster));
    const auto retried = deliver_fixture("app_mention", broken_toaster,
                                         {{"retry_num", 1}, {"retry_reason", "http_timeout"}});
    EXPECT_EQ(retried.at("status"), 200);
    EXPECT_EQ(boost::json::parse(retried.at("body").as_string()).at("status"), "duplicate");
    const auto as_message = deliver_fixture("app_mention_as_message", broken_toaster);
    EXPECT_EQ(as_message.at("status"), 200);
    EXPECT_EQ(boost::json::parse(as_message.at("body").as_string()).at("status"), "duplicate");
    EXPECT_EQ(stored_messages(), 1u);
    const auto list = http_call(port_, "GET", "/v1/drafts?account=sl", {}, as_alice);
    EXPECT_EQ(boost::json::parse(list.body).at("drafts").as_array().size(), 1u);
    EXPECT_NE(metrics().find(R"(rapport_messages_total{account="sl",kind="mention"} 1)"),
              std::string::npos)
        << metrics();
}

TEST_F(slack_fixture, bots_edits_and_other_events_are_acknowledged_counted_and_not_stored) {
    const std::pair<const char*, const char*> cases[] = {
        {"bot_message", "from_bot"},
        {"own_message", "own_message"},
        {"message_changed", "edited_message"},
        {"unknown_event", "unsupported_event"},
        {"channel_message_not_addressed", "not_addressed"},
        {"app_rate_limited", "app_rate_limited"},
    };
    for (const auto& [name, reason] : cases) {
        const auto answer = deliver_fixture(name);
        EXPECT_EQ(answer.at("status"), 200) << name;
        EXPECT_EQ(
            boost::json::parse(answer.at("body").as_string()),
            boost::json::parse(std::string(R"({"status":"ignored","reason":")") + reason + "\"}"))
            << name;
    }
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="sl",reason="from_bot"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="sl",reason="own_message"} 1)"),
              std::string::npos)
        << m;
}

TEST_F(slack_fixture, a_429_is_retried_after_slacks_retry_after) {
    ASSERT_EQ(http_call(fake_port_, "POST", "/_fake/ratelimit",
                        R"({"method":"chat.postMessage","count":1,"retry_after":5})")
                  .status,
              200);
    const std::string id = draft_of(deliver_fixture("app_mention", broken_toaster));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(eventually([&] { return fake_calls().size() >= 1; }));
    EXPECT_TRUE(eventually([&] {
        const auto d = draft(id);
        return d.at("state") == "approved" && !d.at("last_error").is_null();
    }));
    EXPECT_EQ(draft(id).at("last_error"), "Slack rate limit (429 ratelimited)");
    ASSERT_TRUE(draft_reaches(id, "sent"));
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 2u);
    EXPECT_EQ(calls.at(0).at("answered"), 429);
    EXPECT_EQ(calls.at(1).at("answered"), 200);
    // Without Retry-After the dispatcher's first backoff is at most 2 s; the store keeps whole
    // seconds, so an honoured 5 s shows as more than 4 s.
    const auto gap =
        calls.at(1).at("received_ms").as_int64() - calls.at(0).at("received_ms").as_int64();
    EXPECT_GE(gap, 4000) << gap;
    EXPECT_EQ(draft(id).at("attempts"), 2);
}

TEST_F(slack_fixture, a_refusal_fails_the_draft_with_slacks_error_and_no_token) {
    ASSERT_EQ(http_call(fake_port_, "POST", "/_fake/error",
                        R"({"method":"chat.postMessage","error":"not_in_channel"})")
                  .status,
              200);
    const std::string id = draft_of(deliver_fixture("app_mention", broken_toaster));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "failed"));
    EXPECT_EQ(draft(id).at("last_error"), "Slack refused it: not_in_channel");
    EXPECT_EQ(daemon_->log_text().find("pdFZKVeTuE8sk7oOcBrzbqgy"), std::string::npos);
    EXPECT_EQ(metrics().find("pdFZKVeTuE8sk7oOcBrzbqgy"), std::string::npos);
}

} // namespace
