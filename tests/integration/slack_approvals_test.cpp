// Slack as an approval surface against a real rapportd: drafts of the generic account appear as
// cards in the slack account's approvals channel (rapport-slack-fake is its Web API), and
// approvers' clicks and Edit modal submissions come back signed and form-encoded, as Slack
// sends them, to /hooks/ap/interactivity. The payloads are tests/data/slack/approval_*.json.
#include "tests/integration/rapportd_fixture.hpp"
#include "tests/support/read_file.hpp"

#include <optional>

namespace {

using namespace rapport::testing::integration;
using rapport::testing::http_call;
using rapport::testing::http_reply;
namespace json = boost::json;

constexpr const char* bot_token = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy";
constexpr const char* signing_secret = "8f742231b10e8888abcd99yyyzzz85a5";
constexpr const char* channel = "C0APPROVE1";
// Approvers' Slack ids: alice approves every team, bob only `social`; nobody is U0NOBODY1.
constexpr const char* alice_slack = "U061F7AUR";
constexpr const char* bob_slack = "U2147483697";
constexpr const char* stranger_slack = "U0NOBODY1";
constexpr const char* fixture_response_url =
    "https://hooks.slack.com/actions/T123ABC456/397700885554/96rGlfmibIGlgcZRskXaIFfN";

void replace_once(std::string& text, std::string_view from, std::string_view to) {
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
}

class slack_approvals_fixture : public rapportd_fixture {
protected:
    void SetUp() override {
        rapportd_fixture::SetUp();
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
        std::string yaml = rapport::testing::read_file(dir_ / "rapport.yaml").value_or("");
        replace_once(yaml, "teams: [\"*\"], admin: true}",
                     "teams: [\"*\"], admin: true, slack_user: " + std::string(alice_slack) + "}");
        replace_once(yaml, "teams: [social]}",
                     "teams: [social], slack_user: " + std::string(bob_slack) + "}");
        // The generic account of the shared config stays; the slack one approves its drafts.
        yaml +=
            "  - {id: ap, platform: slack, bot_token: ap-token, signing_secret: ap-signing,\n"
            "     approvals_channel: " +
            std::string(channel) +
            ", api_base_url: \"http://127.0.0.1:" + std::to_string(fake_port_) + "/api\"}\n";
        write("rapport.yaml", yaml);
        start_rapportd();
    }

    void start_rapportd() {
        start({"RAPPORT_SECRET_AP_TOKEN=" + std::string(bot_token),
               "RAPPORT_SECRET_AP_SIGNING=" + std::string(signing_secret)});
    }

    void TearDown() override {
        rapportd_fixture::TearDown();
        fake_.reset();
    }

    std::string response_url() const {
        return "http://127.0.0.1:" + std::to_string(fake_port_) +
               "/actions/T123ABC456/397700885554/96rGlfmibIGlgcZRskXaIFfN";
    }

    // Slack delivers `request` (the fake's /_fake/deliver fields) to the interactivity URL;
    // the answer is rapportd's as the fake saw it: {"status", "body", "content_type", ...}.
    json::object deliver(json::object request) {
        request["url"] = "http://127.0.0.1:" + std::to_string(port_) + "/hooks/ap/interactivity";
        const auto r = http_call(fake_port_, "POST", "/_fake/deliver", json::serialize(request));
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
    }

    // `user` clicks `action` (rapport_approve, rapport_edit, rapport_reject) on the card of
    // draft `id` as it was at `version`.
    json::object click(const std::string& action,
                       const std::string& id,
                       int version = 1,
                       const std::string& user = alice_slack,
                       json::object extra = {}) {
        extra["fixture"] = "approval_click";
        extra["replace"] = json::object{{"DRAFT_REF", id + ":" + std::to_string(version)},
                                        {"\"rapport_approve\"", "\"" + action + "\""},
                                        {alice_slack, user},
                                        {fixture_response_url, response_url()}};
        return deliver(std::move(extra));
    }

    // `user` submits the Edit modal of draft `id` (at `version`) with `text`.
    json::object submit_edit(const std::string& id,
                             const std::string& text,
                             int version = 1,
                             const std::string& user = alice_slack) {
        return deliver(
            json::object{{"fixture", "approval_edit_submitted"},
                         {"replace", json::object{{"DRAFT_REF", id + ":" + std::to_string(version)},
                                                  {"Sorry Sam & thanks <3", text},
                                                  {alice_slack, user}}}});
    }

    // The text of the n-th reply the sink received.
    std::string sent_text(std::size_t n = 0) {
        const auto reply = json::parse(sink_replies().at(n).at("body").as_string());
        return std::string(reply.at("text").as_string());
    }

    // The bodies of the fake's calls of `method` that Slack took, oldest first.
    std::vector<json::object> calls_of(std::string_view method) {
        const auto r = http_call(fake_port_, "GET", "/_fake/calls");
        EXPECT_EQ(r.status, 200);
        std::vector<json::object> out;
        const json::value calls = json::parse(r.body);
        for (const auto& c : calls.as_array()) {
            if (c.at("method").as_string() == method && c.at("answered") == 200 &&
                c.at("error") == "") {
                if (method != "response_url") {
                    EXPECT_EQ(c.at("token_ok"), true) << c;
                }
                out.push_back(json::parse(c.at("body").as_string()).as_object());
            }
        }
        return out;
    }

    // Polls until the fake has a call of `method` whose body contains `text`; returns its body.
    std::optional<json::object> wait_for_call(std::string_view method, std::string_view text) {
        std::optional<json::object> found;
        eventually([&] {
            for (auto& body : calls_of(method)) {
                if (json::serialize(body).find(text) != std::string::npos) {
                    found = std::move(body);
                    return true;
                }
            }
            return false;
        });
        return found;
    }

    // The card of draft `id`, once posted.
    std::optional<json::object> card_of(const std::string& id) {
        return wait_for_call("chat.postMessage", id + ":1");
    }

    std::unique_ptr<daemon_process> fake_;
    std::uint16_t fake_port_ = 0;
};

const json::object* actions_block(const json::object& message) {
    for (const auto& b : message.at("blocks").as_array()) {
        if (b.at("type").as_string() == "actions") {
            return &b.as_object();
        }
    }
    return nullptr;
}

TEST_F(slack_approvals_fixture, a_new_draft_is_a_card_and_approve_sends_it_and_updates_the_card) {
    const std::string id = draft_for("m1", "my order is broken");
    const auto card = card_of(id);
    ASSERT_TRUE(card) << fake_->log_text();
    EXPECT_EQ(card->at("channel"), channel);
    const std::string shown = json::serialize(card->at("blocks"));
    for (const std::string_view fact :
         {"Sorry Sam", "my order is broken", "care/complaint", "support", "Sam", "generic"}) {
        EXPECT_NE(shown.find(fact), std::string::npos) << fact << " in " << shown;
    }
    const json::object* actions = actions_block(*card);
    ASSERT_NE(actions, nullptr) << shown;
    const auto& buttons = actions->at("elements").as_array();
    ASSERT_EQ(buttons.size(), 3u);
    EXPECT_EQ(buttons[0].at("action_id"), "rapport_approve");
    EXPECT_EQ(buttons[0].at("style"), "primary");
    EXPECT_EQ(buttons[1].at("action_id"), "rapport_edit");
    EXPECT_EQ(buttons[2].at("action_id"), "rapport_reject");
    EXPECT_EQ(buttons[2].at("style"), "danger");
    EXPECT_TRUE(buttons[2].as_object().contains("confirm"));

    // The click is acknowledged at once with an empty 200.
    const auto answer = click("rapport_approve", id);
    EXPECT_EQ(answer.at("status"), 200);
    EXPECT_EQ(answer.at("body"), "");
    ASSERT_TRUE(draft_reaches(id, "sent")) << json::serialize(draft(id));
    ASSERT_TRUE(sink_receives(1));
    EXPECT_EQ(sent_text(), "Sorry Sam");
    const auto d = draft(id);
    EXPECT_EQ(d.at("decided_by"), "alice");
    EXPECT_EQ(d.at("note"), "via Slack");

    // The card loses its buttons and says who approved it, and where.
    const auto updated = wait_for_call("chat.update", "Sent (approved by alice via Slack)");
    ASSERT_TRUE(updated) << fake_->log_text();
    EXPECT_EQ(updated->at("channel"), channel);
    EXPECT_FALSE(updated->at("ts").as_string().empty());
    EXPECT_EQ(actions_block(*updated), nullptr);
    EXPECT_TRUE(calls_of("response_url").empty());

    // The audit log names alice, with the note saying where she decided.
    const auto audit = http_call(port_, "GET", "/v1/audit?draft=" + id, {}, as_alice);
    EXPECT_NE(audit.body.find("\"actor\":\"alice\",\"action\":\"approve\""), std::string::npos)
        << audit.body;
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_slack_cards_total{account="ap",result="posted"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(
        m.find(R"(rapport_slack_interactions_total{account="ap",action="rapport_approve"} 1)"),
        std::string::npos)
        << m;
    const std::string log = daemon_->log_text();
    EXPECT_EQ(log.find(bot_token), std::string::npos);
    EXPECT_EQ(log.find(signing_secret), std::string::npos);
}

TEST_F(slack_approvals_fixture, a_card_survives_a_restart_and_a_slack_outage) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    // Where the card is was stored (then it counts as posted): the restarted daemon updates
    // that message.
    ASSERT_TRUE(eventually([&] {
        return metrics().find(R"(rapport_slack_cards_total{account="ap",result="posted"} 1)") !=
               std::string::npos;
    }));
    daemon_.reset();
    start_rapportd();
    // Slack fails twice before it takes the update.
    ASSERT_EQ(http_call(fake_port_, "POST", "/_fake/error",
                        R"({"method":"chat.update","count":2,"error":"internal_error"})")
                  .status,
              200);
    EXPECT_EQ(click("rapport_approve", id).at("status"), 200);
    ASSERT_TRUE(draft_reaches(id, "sent"));
    const auto updated = wait_for_call("chat.update", "approved by alice via Slack");
    ASSERT_TRUE(updated) << fake_->log_text();
    EXPECT_EQ(updated->at("channel"), channel);
    // One card, not a second one after the restart.
    EXPECT_EQ(calls_of("chat.postMessage").size(), 1u);
}

TEST_F(slack_approvals_fixture, reject_rejects_and_nothing_is_sent) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    EXPECT_EQ(click("rapport_reject", id).at("status"), 200);
    ASSERT_TRUE(draft_reaches(id, "rejected"));
    const auto updated = wait_for_call("chat.update", "Rejected by alice via Slack");
    ASSERT_TRUE(updated) << fake_->log_text();
    EXPECT_EQ(actions_block(*updated), nullptr);
    EXPECT_TRUE(sink_replies().empty());
}

TEST_F(slack_approvals_fixture, edit_opens_a_modal_and_its_text_is_what_gets_sent) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    EXPECT_EQ(click("rapport_edit", id).at("status"), 200);
    const auto opened = wait_for_call("views.open", id);
    ASSERT_TRUE(opened) << fake_->log_text();
    EXPECT_EQ(opened->at("trigger_id"),
              "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3");
    const std::string view = json::serialize(opened->at("view"));
    EXPECT_NE(view.find(R"("initial_value":"Sorry Sam")"), std::string::npos) << view;
    EXPECT_EQ(opened->at("view").at("private_metadata").as_string(), id + ":1");
    // Opening the editor decides nothing.
    EXPECT_EQ(draft(id).at("state"), "pending");

    const auto answer = submit_edit(id, "Sorry Sam, a new one is on its way & tracked");
    EXPECT_EQ(answer.at("status"), 200);
    EXPECT_EQ(answer.at("body"), ""); // closes the modal
    ASSERT_TRUE(draft_reaches(id, "sent"));
    ASSERT_TRUE(sink_receives(1));
    EXPECT_EQ(sent_text(), "Sorry Sam, a new one is on its way & tracked");
    const auto updated = wait_for_call("chat.update", "edited by alice via Slack");
    ASSERT_TRUE(updated) << fake_->log_text();
    // Escaped in the card, as Slack requires.
    EXPECT_NE(json::serialize(updated->at("blocks")).find("on its way &amp; tracked"),
              std::string::npos);
}

TEST_F(slack_approvals_fixture, an_edit_with_a_blocked_phrase_is_refused_in_the_modal) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    const auto answer = submit_edit(id, "A refund is guaranteed");
    EXPECT_EQ(answer.at("status"), 200);
    const auto body = json::parse(answer.at("body").as_string()).as_object();
    EXPECT_EQ(body.at("response_action"), "errors");
    const std::string error(body.at("errors").at("rapport_text").as_string());
    EXPECT_NE(error.find("guaranteed"), std::string::npos) << error;
    EXPECT_EQ(draft(id).at("state"), "pending");
    EXPECT_EQ(draft(id).at("version"), 1);
}

TEST_F(slack_approvals_fixture, someone_who_is_not_an_approver_is_told_privately) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    EXPECT_EQ(click("rapport_approve", id, 1, stranger_slack).at("status"), 200);
    const auto told = wait_for_call("response_url", "not a Rapport approver");
    ASSERT_TRUE(told) << fake_->log_text();
    EXPECT_EQ(told->at("response_type"), "ephemeral");
    EXPECT_EQ(told->at("replace_original"), false);
    EXPECT_EQ(draft(id).at("state"), "pending");
    // The modal says the same.
    const auto answer = submit_edit(id, "Sorry", 1, stranger_slack);
    EXPECT_NE(answer.at("body").as_string().find("not a Rapport approver"), std::string::npos);
    EXPECT_EQ(draft(id).at("state"), "pending");
}

TEST_F(slack_approvals_fixture, an_approver_of_another_team_is_refused) {
    // The complaint draft is the support team's; bob approves for social only.
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    EXPECT_EQ(click("rapport_approve", id, 1, bob_slack).at("status"), 200);
    const auto told = wait_for_call("response_url", "bob does not approve for it");
    ASSERT_TRUE(told) << fake_->log_text();
    EXPECT_EQ(click("rapport_edit", id, 1, bob_slack).at("status"), 200);
    EXPECT_TRUE(wait_for_call("response_url", "team 'support'"));
    EXPECT_TRUE(calls_of("views.open").empty());
    EXPECT_EQ(draft(id).at("state"), "pending");
}

TEST_F(slack_approvals_fixture, a_click_on_a_draft_decided_already_says_who_decided) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    ASSERT_EQ(http_call(port_, "POST", "/v1/drafts/" + id + "/reject", "{}", as_alice).status, 200);
    EXPECT_EQ(click("rapport_approve", id).at("status"), 200);
    const auto told = wait_for_call("response_url", "already rejected by alice (via API)");
    ASSERT_TRUE(told) << fake_->log_text();
    EXPECT_EQ(draft(id).at("state"), "rejected");
    // The card itself was updated by the API's decision.
    EXPECT_TRUE(wait_for_call("chat.update", "Rejected by alice via API"));
}

TEST_F(slack_approvals_fixture, bad_stale_or_unsigned_interactions_are_refused) {
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id));
    const auto stale_at = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count() -
                          301;
    EXPECT_EQ(click("rapport_approve", id, 1, alice_slack, {{"tamper", true}}).at("status"), 401);
    EXPECT_EQ(
        click("rapport_approve", id, 1, alice_slack, {{"secret", "not-the-secret"}}).at("status"),
        401);
    EXPECT_EQ(click("rapport_approve", id, 1, alice_slack, {{"timestamp", stale_at}}).at("status"),
              401);
    EXPECT_EQ(click("rapport_approve", id, 1, alice_slack,
                    {{"omit", json::array{"timestamp", "signature"}}})
                  .at("status"),
              401);
    EXPECT_EQ(draft(id).at("state"), "pending");
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_rejected_total{account="ap",reason="bad_signature"} 2)"),
              std::string::npos)
        << m;
}

TEST_F(slack_approvals_fixture, other_interactions_are_acknowledged_and_counted) {
    const auto answer =
        deliver(json::object{{"body", json::object{{"type", "shortcut"},
                                                   {"callback_id", "something_else"},
                                                   {"trigger_id", "1.2.3"},
                                                   {"user", json::object{{"id", alice_slack}}}}}});
    EXPECT_EQ(answer.at("status"), 200);
    // Another app's button in the same workspace (the plain block_actions fixture).
    EXPECT_EQ(deliver(json::object{{"fixture", "block_actions"}}).at("status"), 200);
    const std::string m = metrics();
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="ap",reason="shortcut"} 1)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(R"(rapport_webhook_ignored_total{account="ap",reason="unknown_action"} 1)"),
              std::string::npos)
        << m;
}

TEST_F(slack_approvals_fixture, a_rate_limited_card_is_posted_after_retry_after) {
    ASSERT_EQ(http_call(fake_port_, "POST", "/_fake/ratelimit",
                        R"({"method":"chat.postMessage","count":1,"retry_after":1})")
                  .status,
              200);
    const std::string id = draft_for("m1", "my order is broken");
    ASSERT_TRUE(card_of(id)) << fake_->log_text();
    const auto r = http_call(fake_port_, "GET", "/_fake/calls");
    std::vector<std::int64_t> at;
    const json::value calls = json::parse(r.body);
    for (const auto& c : calls.as_array()) {
        if (c.at("method") == "chat.postMessage") {
            at.push_back(c.at("received_ms").as_int64());
        }
    }
    ASSERT_EQ(at.size(), 2u);
    // The second attempt waited at least the second Slack asked for.
    EXPECT_GE(at[1] - at[0], 1000);
}

} // namespace
