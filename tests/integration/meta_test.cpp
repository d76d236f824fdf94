// A meta account against a real rapportd (PLATFORMS.md §5, issue "Webhook platforms"):
// rapport-meta-fake makes Meta's verification GET and POSTs the notifications of
// tests/data/meta signed with X-Hub-Signature-256, and serves as the account's Graph API,
// checking every call's bearer token and body.
#include "rules/time.hpp"
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/read_file.hpp"

#include <optional>
#include <set>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;

constexpr const char* app_secret = "meta-app-secret_0123456789abcdef";
constexpr const char* verify_token = "meta-verify_token-42";
constexpr const char* page_token = "EAAGpageTOKEN0123456789abcdefghij";
constexpr const char* whatsapp_token = "EAAGwhatsappTOKEN9876543210zyxwvu";

constexpr const char* meta_playbook = R"(playbook: care
rules:
  - id: complaint
    when: {query: broken}
    then: {tag: [complaint], team: support, reply: "Sorry to hear that, we will make it right"}
  - id: handle
    when: {query: handle, kind: [comment]}
    then: {team: support, reply: {text: "We sent you a message about the handle", private: true}}
)";

// What rapportd answered a notification, and the Unix time the fake put in the fixture.
struct delivered {
    int status = 0;
    boost::json::value body;
    std::int64_t written = 0;
};

class meta_fixture : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
        fake_ = std::make_unique<daemon_process>(
            std::vector<std::string>{
                META_FAKE_PATH, "--token-env", "PAGE_TOKEN", "--whatsapp-token-env", "WA_TOKEN",
                "--app-secret-env", "APP_SECRET", "--verify-token-env", "VERIFY_TOKEN",
                "--fixtures", std::string(RAPPORT_SOURCE_DIR) + "/tests/data/meta", "--quiet"},
            dir_,
            std::vector<std::string>{"PAGE_TOKEN=" + std::string(page_token),
                                     "WA_TOKEN=" + std::string(whatsapp_token),
                                     "APP_SECRET=" + std::string(app_secret),
                                     "VERIFY_TOKEN=" + std::string(verify_token)},
            dir_ / "meta-fake.log");
        const auto line = fake_->wait_for_log("listening port=", 20s);
        ASSERT_TRUE(line) << fake_->log_text();
        fake_port_ = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind('=') + 1)));
        write("playbooks/care.yaml", meta_playbook);
        // The generic account of the shared config stays; the meta one joins it.
        write("rapport.yaml",
              rapport::testing::read_file(dir_ / "rapport.yaml").value_or("") +
                  "  - {id: meta, platform: meta, app_secret: meta-app, verify_token: "
                  "meta-verify,\n"
                  "     access_token: meta-page, whatsapp_token: meta-wa,\n"
                  "     page_id: \"104510662458730\", instagram_id: \"17841405309211844\",\n"
                  "     api_base_url: \"http://127.0.0.1:" +
                  std::to_string(fake_port_) + "/v21.0\", sends_per_minute: 6000}\n");
        start({"RAPPORT_SECRET_META_APP=" + std::string(app_secret),
               "RAPPORT_SECRET_META_VERIFY=" + std::string(verify_token),
               "RAPPORT_SECRET_META_PAGE=" + std::string(page_token),
               "RAPPORT_SECRET_META_WA=" + std::string(whatsapp_token)});
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        fake_.reset();
    }

    std::string hook_url() const {
        return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/meta";
    }

    // Has the fake deliver `fixture` as Meta would: signed ("good"), wrongly signed ("bad") or
    // unsigned ("none"); with its times `age` seconds before now (the fixtures' own, over 24
    // hours old, when not given).
    delivered deliver(const std::string& fixture,
                      std::optional<std::int64_t> age = 0,
                      const std::string& signature = "good") {
        boost::json::object request{
            {"target", hook_url()}, {"fixture", fixture}, {"signature", signature}};
        if (age) {
            request["age"] = *age;
        }
        const auto r =
            http_call(fake_port_, "POST", "/_fake/webhook", boost::json::serialize(request));
        EXPECT_EQ(r.status, 200) << r.body;
        const auto answer = boost::json::parse(r.body).as_object();
        delivered d;
        d.status = static_cast<int>(answer.at("status").as_int64());
        d.body = boost::json::parse(answer.at("body").as_string());
        if (const auto* w = answer.if_contains("written")) {
            d.written = w->as_int64();
        }
        return d;
    }

    boost::json::object verify(std::optional<std::string> token = std::nullopt) {
        boost::json::object request{{"target", hook_url()}};
        if (token) {
            request["verify_token"] = *token;
        }
        const auto r =
            http_call(fake_port_, "POST", "/_fake/verify", boost::json::serialize(request));
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).as_object();
    }

    // The drafts a stored notification made.
    std::vector<std::string> drafts_of(const delivered& d) {
        EXPECT_EQ(d.status, 200) << boost::json::serialize(d.body);
        EXPECT_EQ(d.body.at("status"), "stored") << boost::json::serialize(d.body);
        std::vector<std::string> ids;
        for (const auto& id : d.body.at("drafts").as_array()) {
            ids.emplace_back(id.as_string());
        }
        return ids;
    }

    std::string draft_of(const delivered& d) {
        const auto ids = drafts_of(d);
        EXPECT_EQ(ids.size(), 1u);
        return ids.empty() ? std::string() : ids.front();
    }

    http_reply approve(const std::string& id) {
        return http_call(port_, "POST", "/v1/drafts/" + id + "/approve", "{}", as_alice);
    }

    boost::json::array fake_calls() {
        const auto r = http_call(fake_port_, "GET", "/_fake/sent");
        EXPECT_EQ(r.status, 200);
        return boost::json::parse(r.body).as_array();
    }

    void fake_answers(const std::string& rule) {
        ASSERT_EQ(http_call(fake_port_, "POST", "/_fake/answer", rule).status, 200);
    }

    std::size_t stored_messages() {
        const auto r = http_call(port_, "GET", "/v1/messages?account=meta", {}, as_alice);
        EXPECT_EQ(r.status, 200) << r.body;
        return boost::json::parse(r.body).at("messages").as_array().size();
    }

    std::unique_ptr<daemon_process> fake_;
    std::uint16_t fake_port_ = 0;
};

TEST_F(meta_fixture, the_verification_handshake_echoes_the_challenge_for_our_token_only) {
    const auto good = verify();
    EXPECT_EQ(good.at("status"), 200) << boost::json::serialize(good);
    EXPECT_EQ(good.at("verified"), true);
    EXPECT_EQ(good.at("body"), good.at("challenge"));

    const auto bad = verify("meta-verify_token-43");
    EXPECT_EQ(bad.at("status"), 403);
    EXPECT_EQ(bad.at("verified"), false);
    EXPECT_EQ(boost::json::parse(bad.at("body").as_string()).at("error"), "forbidden");
    EXPECT_EQ(http_call(port_, "GET", "/hooks/meta").status, 403);
    const std::string m = metrics();
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="meta",reason="bad_verify_token"} 1)"),
        std::string::npos)
        << m;
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="meta",reason="missing_verify_token"} 1)"),
        std::string::npos)
        << m;
    EXPECT_EQ(m.find(verify_token), std::string::npos);
}

TEST_F(meta_fixture, a_messenger_message_is_drafted_approved_and_sent_through_the_send_api) {
    const std::string id = draft_of(deliver("messenger_message.json"));
    const auto pending = draft(id);
    EXPECT_EQ(pending.at("platform"), "meta");
    EXPECT_EQ(pending.at("text"), "Sorry to hear that, we will make it right");
    EXPECT_EQ(pending.at("in_reply_to").at("kind"), "direct");
    EXPECT_EQ(pending.at("in_reply_to").at("id"),
              "messenger:104510662458730:m_Yx8b1G0kQ3nQh2S7fN6oZ8s1vWcE2aJkT4rLp9dUe0xHq5m3");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    EXPECT_EQ(draft(id).at("sent_id"), "messenger:104510662458730:m_fake1");

    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    const auto& call = calls.at(0).as_object();
    EXPECT_EQ(call.at("path"), "/v21.0/104510662458730/messages");
    EXPECT_EQ(call.at("token_ok"), true);
    EXPECT_EQ(call.at("token_in_query"), false);
    EXPECT_EQ(call.at("content_type"), "application/json");
    EXPECT_EQ(call.at("answered"), 200);
    EXPECT_EQ(boost::json::parse(call.at("body").as_string()),
              boost::json::parse(R"({"recipient":{"id":"6834521987654321"},
                                     "messaging_type":"RESPONSE",
                                     "message":{"text":"Sorry to hear that, we will make it right"}})"));
}

TEST_F(meta_fixture, an_instagram_comment_gets_a_public_reply_and_a_private_one) {
    const auto ids = drafts_of(deliver("instagram_comment.json"));
    ASSERT_EQ(ids.size(), 2u);
    for (const auto& id : ids) {
        EXPECT_EQ(draft(id).at("in_reply_to").at("kind"), "comment");
        ASSERT_EQ(approve(id).status, 200);
    }
    for (const auto& id : ids) {
        ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    }
    std::set<std::string> seen;
    for (const auto& c : fake_calls()) {
        EXPECT_EQ(c.at("token_ok"), true);
        seen.insert(std::string(c.at("path").as_string()) + " " +
                    boost::json::serialize(boost::json::parse(c.at("body").as_string())));
    }
    // The comment replied to 17858893269000001: the public answer joins that thread.
    EXPECT_EQ(
        seen,
        (std::set<std::string>{
            R"(/v21.0/17858893269000001/replies {"message":"Sorry to hear that, we will make it right"})",
            R"(/v21.0/me/messages {"recipient":{"comment_id":"17865799348089039"},"message":{"text":"We sent you a message about the handle"}})"}));
}

TEST_F(meta_fixture, a_whatsapp_message_is_answered_from_its_number_with_the_whatsapp_token) {
    const std::string id = draft_of(deliver("whatsapp_message.json"));
    EXPECT_EQ(draft(id).at("in_reply_to").at("author").at("name"), "Sheena Nelson");
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "sent")) << boost::json::serialize(draft(id));
    EXPECT_EQ(draft(id).at("sent_id"), "whatsapp:106540352242922:wamid.FAKE1");
    const auto calls = fake_calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls.at(0).at("path"), "/v21.0/106540352242922/messages");
    EXPECT_EQ(calls.at(0).at("token_ok"), true);
    EXPECT_EQ(boost::json::parse(calls.at(0).at("body").as_string()),
              boost::json::parse(R"({"messaging_product":"whatsapp",
                  "recipient_type":"individual","to":"16505551234","type":"text",
                  "text":{"preview_url":false,"body":"Sorry to hear that, we will make it right"},
                  "context":{"message_id":
                      "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="}})"));
}

TEST_F(meta_fixture, a_missing_or_wrong_signature_is_refused_and_nothing_is_stored) {
    auto d = deliver("messenger_message.json", 0, "none");
    EXPECT_EQ(d.status, 401);
    EXPECT_EQ(d.body.at("error"), "unauthorized");
    d = deliver("messenger_message.json", 0, "bad");
    EXPECT_EQ(d.status, 401);
    // A body changed after signing: the signature of the fixture as written, over other bytes.
    const auto body = rapport::testing::read_file(std::string(RAPPORT_SOURCE_DIR) +
                                                  "/tests/data/meta/messenger_message.json")
                          .value_or("");
    auto tampered = body;
    tampered.replace(tampered.find("broken"), 6, "fixed!");
    const auto r = http_call(port_, "POST", "/hooks/meta", tampered,
                             {{"X-Hub-Signature-256",
                               "sha256=" + rapport::adapters::hmac_sha256_hex(app_secret, body)}});
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(stored_messages(), 0u);
    const std::string m = metrics();
    EXPECT_NE(
        m.find(R"(rapport_webhook_rejected_total{account="meta",reason="missing_signature"} 1)"),
        std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_webhook_rejected_total{account="meta",reason="bad_signature"} 2)"),
              std::string::npos)
        << m;
}

TEST_F(meta_fixture, a_redelivered_notification_is_stored_once) {
    const auto first = deliver("messenger_batch.json");
    EXPECT_EQ(drafts_of(first).size(), 2u);
    // Meta retries, or someone replays the signed request: the same ids, nothing new.
    const auto again = deliver("messenger_batch.json");
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body.at("status"), "duplicate");
    EXPECT_EQ(stored_messages(), 2u);
    const auto list = http_call(port_, "GET", "/v1/drafts?account=meta", {}, as_alice);
    EXPECT_EQ(boost::json::parse(list.body).at("drafts").as_array().size(), 2u);
}

TEST_F(meta_fixture, echoes_statuses_and_the_rest_are_acknowledged_counted_and_not_stored) {
    const std::pair<const char*, const char*> cases[] = {
        {"messenger_echo.json", "echo"},
        {"whatsapp_status.json", "status"},
        {"instagram_mention.json", "mention_without_text"},
        {"unsupported_object.json", "unsupported_object"},
    };
    for (const auto& [name, reason] : cases) {
        const auto d = deliver(name);
        EXPECT_EQ(d.status, 200) << name << ": " << boost::json::serialize(d.body);
        EXPECT_EQ(d.body, boost::json::parse(std::string(R"({"status":"ignored","reason":")") +
                                             reason + "\"}"))
            << name;
    }
    EXPECT_EQ(stored_messages(), 0u);
    // A batch stores its messages and counts what it skipped.
    EXPECT_EQ(drafts_of(deliver("messenger_batch.json")).size(), 2u);
    const std::string m = metrics();
    for (const char* reason : {"echo", "status", "delivery", "read", "no_text"}) {
        EXPECT_NE(m.find(std::string(R"(rapport_webhook_ignored_total{account="meta",reason=")") +
                         reason + "\"} 1"),
                  std::string::npos)
            << reason << "\n"
            << m;
    }
    // Signed but not a notification: 400.
    const std::string junk = R"({"hello":"world"})";
    const auto r = http_call(port_, "POST", "/hooks/meta", junk,
                             {{"X-Hub-Signature-256",
                               "sha256=" + rapport::adapters::hmac_sha256_hex(app_secret, junk)}});
    EXPECT_EQ(r.status, 400) << r.body;
}

TEST_F(meta_fixture, a_rate_limit_is_retried_after_the_wait_meta_names) {
    fake_answers(R"({"status":429,"code":4,"retry_after":5,"count":1})");
    const std::string id = draft_of(deliver("messenger_message.json"));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(eventually([&] { return fake_calls().size() >= 1; }));
    EXPECT_TRUE(eventually([&] {
        const auto d = draft(id);
        return d.at("state") == "approved" && !d.at("last_error").is_null();
    }));
    EXPECT_EQ(draft(id).at("last_error"),
              "Meta answered 429: (#4) Application request limit reached (code 4)");
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

TEST_F(meta_fixture, a_closed_24_hour_window_fails_the_draft_with_the_explanation) {
    // Written 25 hours ago: the window closed an hour ago, before anyone approved.
    const auto d = deliver("messenger_message.json", 25 * 3600);
    const std::string id = draft_of(d);
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "failed")) << boost::json::serialize(draft(id));
    const std::string closed_at = rapport::rules::format_timestamp(
        rapport::rules::time_point{std::chrono::seconds{d.written + 24 * 3600}});
    EXPECT_EQ(draft(id).at("last_error").as_string(),
              "the 24-hour messaging window closed at " + closed_at +
                  "; Meta allows only template/tagged messages after it");
    EXPECT_TRUE(fake_calls().empty());
}

TEST_F(meta_fixture, metas_own_window_refusal_fails_the_draft_and_no_token_leaks) {
    fake_answers(R"({"status":400,"code":10,"subcode":2018278,
                     "message":"(#10) This message is sent outside of allowed window."})");
    const std::string id = draft_of(deliver("messenger_message.json"));
    ASSERT_EQ(approve(id).status, 200);
    ASSERT_TRUE(draft_reaches(id, "failed"));
    EXPECT_EQ(draft(id).at("last_error"),
              "the 24-hour messaging window has closed; Meta allows only template/tagged "
              "messages after it (Meta answered 400: (#10) This message is sent outside of "
              "allowed window. (code 10, subcode 2018278))");
    EXPECT_EQ(fake_calls().size(), 1u);
    for (const char* secret : {page_token, whatsapp_token, app_secret, verify_token}) {
        EXPECT_EQ(daemon_->log_text().find(secret), std::string::npos) << secret;
        EXPECT_EQ(metrics().find(secret), std::string::npos) << secret;
    }
}

} // namespace
