// Slack as an approval surface: the Block Kit cards, the Edit modal and the private answers
// (their shapes and Slack's limits), and the interactivity payloads Slack POSTs back, read from
// tests/data/slack as Slack sends them (form-encoded).
#include "adapters/slack/block_kit.hpp"
#include "adapters/slack/interactivity.hpp"
#include "tests/support/read_file.hpp"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace {

namespace json = boost::json;
using namespace rapport::adapters::slack;

std::string fixture(const std::string& name) {
    const auto text = rapport::testing::read_file(std::string(RAPPORT_SOURCE_DIR) +
                                                  "/tests/data/slack/" + name + ".json");
    EXPECT_TRUE(text) << name;
    return text.value_or("");
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

// Form encoding as Slack does it: unreserved bytes as they are, space as '+', the rest %XX.
std::string form_encoded(std::string_view json_text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out = "payload=";
    for (const char ch : json_text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += ch;
        } else if (c == ' ') {
            out += '+';
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

std::string payload(const std::string& name,
                    std::string_view draft_ref = "d-0123456789abc:2",
                    std::string_view action = "rapport_approve") {
    std::string text = fixture(name);
    replace_all(text, "DRAFT_REF", draft_ref);
    replace_all(text, "\"rapport_approve\", \"block_id\"",
                "\"" + std::string(action) + "\", \"block_id\"");
    // Slack sends compact JSON.
    return form_encoded(json::serialize(json::parse(text)));
}

approval_card sample_card() {
    approval_card c;
    c.draft_id = "d-0123456789abc";
    c.version = 1;
    c.state = "pending";
    c.text = "Sorry <Sam> & co, we'll fix it";
    c.original_text = c.text;
    c.account = "site";
    c.platform = "generic";
    c.rule = "care/complaint";
    c.kind = "reply";
    c.priority = "high";
    c.team = "support";
    c.expires_at = "2026-11-27T10:00:00Z";
    c.answers =
        approval_card::replied_to{"Sam <@U123>", "generic", "my order is broken <!channel>"};
    return c;
}

// Every string in the JSON value, concatenated: what Slack would render, roughly.
void collect_text(const json::value& v, std::string& out) {
    if (v.is_string()) {
        out += v.get_string();
        out += '\n';
    } else if (v.is_object()) {
        for (const auto& [k, member] : v.get_object()) {
            collect_text(member, out);
        }
    } else if (v.is_array()) {
        for (const auto& item : v.get_array()) {
            collect_text(item, out);
        }
    }
}

const json::object* find_block(const json::array& blocks, std::string_view type) {
    for (const auto& b : blocks) {
        if (b.as_object().at("type").as_string() == type) {
            return &b.as_object();
        }
    }
    return nullptr;
}

TEST(SlackBlockKit, EscapesTheThreeCharactersSlackReads) {
    EXPECT_EQ(escape("a & b <@U1> <!channel> > c"),
              "a &amp; b &lt;@U1&gt; &lt;!channel&gt; &gt; c");
    EXPECT_EQ(escape("plain"), "plain");
    EXPECT_EQ(escape("&amp;"), "&amp;amp;");
}

TEST(SlackBlockKit, APendingCardHasItsTextAndThreeButtonsCarryingDraftAndVersion) {
    const auto body = json::parse(post_card_body("C0APPROVE1", sample_card())).as_object();
    EXPECT_EQ(body.at("channel").as_string(), "C0APPROVE1");
    EXPECT_FALSE(body.at("text").as_string().empty());
    const auto& blocks = body.at("blocks").as_array();
    const json::object* actions = find_block(blocks, "actions");
    ASSERT_NE(actions, nullptr);
    EXPECT_EQ(actions->at("block_id").as_string(), actions_block);
    const auto& buttons = actions->at("elements").as_array();
    ASSERT_EQ(buttons.size(), 3u);
    EXPECT_EQ(buttons[0].at("action_id").as_string(), approve_action);
    EXPECT_EQ(buttons[0].at("style").as_string(), "primary");
    EXPECT_EQ(buttons[1].at("action_id").as_string(), edit_action);
    EXPECT_FALSE(buttons[1].as_object().contains("style"));
    EXPECT_EQ(buttons[2].at("action_id").as_string(), reject_action);
    EXPECT_EQ(buttons[2].at("style").as_string(), "danger");
    const auto& confirm = buttons[2].at("confirm").as_object();
    for (const char* key : {"title", "text", "confirm", "deny"}) {
        EXPECT_TRUE(confirm.contains(key)) << key;
    }
    for (const auto& b : buttons) {
        EXPECT_EQ(b.at("value").as_string(), "d-0123456789abc:1");
        EXPECT_EQ(b.at("text").at("type").as_string(), "plain_text");
    }

    std::string shown;
    collect_text(body.at("blocks"), shown);
    // User content is escaped: no mention, link or @channel can come from it.
    EXPECT_NE(shown.find("Sorry &lt;Sam&gt; &amp; co"), std::string::npos) << shown;
    EXPECT_NE(shown.find("Sam &lt;@U123&gt;"), std::string::npos) << shown;
    EXPECT_NE(shown.find("&lt;!channel&gt;"), std::string::npos) << shown;
    EXPECT_EQ(shown.find("<!channel>"), std::string::npos);
    EXPECT_EQ(shown.find("<@U123>"), std::string::npos);
    for (const std::string_view fact : {"care/complaint", "high", "support", "2026-11-27T10:00:00Z",
                                        "d-0123456789abc", "generic"}) {
        EXPECT_NE(shown.find(fact), std::string::npos) << fact;
    }
}

TEST(SlackBlockKit, ADecidedCardLosesItsButtonsAndSaysWhoDecidedWhere) {
    approval_card card = sample_card();
    card.state = "approved";
    card.version = 2;
    card.decided_by = "alice";
    card.decided_in_slack = true;
    card.text = "Edited reply";
    const auto body =
        json::parse(update_card_body("C0APPROVE1", "1548261231.000200", card)).as_object();
    EXPECT_EQ(body.at("ts").as_string(), "1548261231.000200");
    EXPECT_EQ(find_block(body.at("blocks").as_array(), "actions"), nullptr);
    std::string shown;
    collect_text(body.at("blocks"), shown);
    EXPECT_NE(shown.find("Approved by alice via Slack"), std::string::npos) << shown;
    EXPECT_NE(shown.find("edited by alice via Slack"), std::string::npos) << shown;
    EXPECT_NE(shown.find("Edited reply"), std::string::npos) << shown;

    card.state = "rejected";
    card.decided_in_slack = false;
    card.note = "off topic";
    EXPECT_EQ(outcome_line(card), ":x: Rejected by alice via API: off topic");
    card.state = "sent";
    EXPECT_EQ(outcome_line(card), ":outbox_tray: Sent (approved by alice via API)");
    card.state = "expired";
    EXPECT_EQ(outcome_line(card), ":hourglass: Expired: nobody decided in time");
    card.state = "pending";
    EXPECT_EQ(outcome_line(card), "");
}

TEST(SlackBlockKit, ANeedsReviewCardKeepsItsButtonsAtTheNewVersion) {
    approval_card card = sample_card();
    card.state = "needs_review";
    card.version = 4;
    card.last_error = "no answer from the receiver";
    const auto body = json::parse(update_card_body("C1", "1.2", card)).as_object();
    const json::object* actions = find_block(body.at("blocks").as_array(), "actions");
    ASSERT_NE(actions, nullptr);
    EXPECT_EQ(actions->at("elements").as_array()[0].at("value").as_string(), "d-0123456789abc:4");
    EXPECT_NE(outcome_line(card).find("no answer from the receiver"), std::string::npos);
}

TEST(SlackBlockKit, LongTextIsSplitIntoSectionsWithinSlacksLimitAndTruncatedWithANote) {
    approval_card card = sample_card();
    // Escaping makes '&' five characters: the limit counts what Slack receives.
    card.text = std::string(2000, 'a') + std::string(1000, '&') + "é" + std::string(500, 'b');
    card.original_text = card.text;
    auto body = json::parse(post_card_body("C1", card)).as_object();
    std::size_t sections = 0;
    std::string joined;
    for (const auto& b : body.at("blocks").as_array()) {
        if (b.at("type").as_string() == "section") {
            const auto& text = b.at("text").at("text").as_string();
            // Characters, not bytes: only the é is two bytes here.
            EXPECT_LE(text.size(), section_text_limit + 1);
            ++sections;
            joined += text;
        }
    }
    EXPECT_GE(sections, 4u); // heading, answers, and the text in at least two parts
    EXPECT_NE(joined.find("é"), std::string::npos);
    EXPECT_EQ(joined.find("more characters not shown"), std::string::npos);

    card.text = std::string(20000, 'x');
    body = json::parse(post_card_body("C1", card)).as_object();
    std::string shown;
    collect_text(body.at("blocks"), shown);
    EXPECT_NE(shown.find("more characters not shown"), std::string::npos);
    EXPECT_NE(shown.find("/v1/drafts/d-0123456789abc"), std::string::npos);
    EXPECT_LE(body.at("blocks").as_array().size(), 50u);
    for (const auto& b : body.at("blocks").as_array()) {
        if (b.at("type").as_string() == "section") {
            EXPECT_LE(b.at("text").at("text").as_string().size(), section_text_limit);
        }
    }
}

TEST(SlackBlockKit, TheEditModalHoldsTheTextUnescapedAndItsDraftInPrivateMetadata) {
    const auto body = json::parse(edit_modal_body("1234.5678.abcd", sample_card())).as_object();
    EXPECT_EQ(body.at("trigger_id").as_string(), "1234.5678.abcd");
    const auto& view = body.at("view").as_object();
    EXPECT_EQ(view.at("type").as_string(), "modal");
    EXPECT_EQ(view.at("callback_id").as_string(), edit_view_callback);
    EXPECT_EQ(view.at("submit").at("text").as_string(), "Approve");
    EXPECT_LE(view.at("title").at("text").as_string().size(), 24u);
    EXPECT_EQ(view.at("private_metadata").as_string(), "d-0123456789abc:1");
    const json::object* input = find_block(view.at("blocks").as_array(), "input");
    ASSERT_NE(input, nullptr);
    EXPECT_EQ(input->at("block_id").as_string(), edit_text_block);
    const auto& element = input->at("element").as_object();
    EXPECT_EQ(element.at("type").as_string(), "plain_text_input");
    EXPECT_EQ(element.at("action_id").as_string(), edit_text_action);
    EXPECT_TRUE(element.at("multiline").as_bool());
    // An input's value is not mrkdwn: it is what the approver edits, as it is.
    EXPECT_EQ(element.at("initial_value").as_string(), "Sorry <Sam> & co, we'll fix it");
}

TEST(SlackBlockKit, PrivateAnswersAndModalErrors) {
    const auto e = json::parse(ephemeral_body("Already approved by <alice>")).as_object();
    EXPECT_EQ(e.at("response_type").as_string(), "ephemeral");
    EXPECT_FALSE(e.at("replace_original").as_bool());
    EXPECT_EQ(e.at("text").as_string(), "Already approved by &lt;alice&gt;");
    const auto m = json::parse(modal_error_body("blocked phrase")).as_object();
    EXPECT_EQ(m.at("response_action").as_string(), "errors");
    EXPECT_EQ(m.at("errors").at(edit_text_block).as_string(), "blocked phrase");
}

TEST(SlackInteractivity, AButtonClickFromACard) {
    for (const std::string action : {"rapport_approve", "rapport_edit", "rapport_reject"}) {
        const auto r = parse_interaction(payload("approval_click", "d-0123456789abc:2", action));
        ASSERT_TRUE(r.value) << r.error;
        EXPECT_EQ(r.value->what, interaction::kind::button);
        EXPECT_EQ(r.value->action_id, action);
        EXPECT_EQ(r.value->user_id, "U061F7AUR");
        EXPECT_EQ(r.value->draft_id, "d-0123456789abc");
        EXPECT_EQ(r.value->version, 2);
        EXPECT_EQ(r.value->trigger_id, "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3");
        EXPECT_EQ(
            r.value->response_url,
            "https://hooks.slack.com/actions/T123ABC456/397700885554/96rGlfmibIGlgcZRskXaIFfN");
    }
}

TEST(SlackInteractivity, TheEditModalSubmitted) {
    const auto r = parse_interaction(payload("approval_edit_submitted", "d-0123456789abc:3"));
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->what, interaction::kind::edit_submitted);
    EXPECT_EQ(r.value->user_id, "U061F7AUR");
    EXPECT_EQ(r.value->draft_id, "d-0123456789abc");
    EXPECT_EQ(r.value->version, 3);
    // Form decoding: '+' is a space, %26 '&', %3C '<'.
    EXPECT_EQ(r.value->text, "Sorry Sam & thanks <3");

    // An input left empty comes back with a null value.
    std::string text = fixture("approval_edit_submitted");
    replace_all(text, "DRAFT_REF", "d-0123456789abc:3");
    replace_all(text, "\"value\": \"Sorry Sam & thanks <3\"", "\"value\": null");
    const auto empty = parse_interaction(form_encoded(text));
    ASSERT_TRUE(empty.value) << empty.error;
    EXPECT_FALSE(empty.value->text);
}

TEST(SlackInteractivity, OtherInteractionsAreIgnoredWithAName) {
    // Another app's (or an older card's) button, and a modal that is not Rapport's.
    auto r = parse_interaction(payload("block_actions"));
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->what, interaction::kind::other);
    EXPECT_EQ(r.value->ignored, "unknown_action");
    r = parse_interaction(payload("view_submission"));
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->ignored, "unknown_view");
    r = parse_interaction(form_encoded(R"({"type":"view_closed","user":{"id":"U1"}})"));
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->ignored, "view_closed");
    r = parse_interaction(form_encoded(R"({"type":"shortcut","user":{"id":"U1"}})"));
    ASSERT_TRUE(r.value) << r.error;
    EXPECT_EQ(r.value->ignored, "shortcut");
}

TEST(SlackInteractivity, WhatSlackWouldNeverSendIsRefused) {
    EXPECT_FALSE(parse_interaction("").value);
    EXPECT_FALSE(parse_interaction("payload=%ZZ").value);
    EXPECT_FALSE(parse_interaction("other=1").value);
    EXPECT_FALSE(parse_interaction("payload=not+json").value);
    EXPECT_FALSE(parse_interaction(form_encoded("[1,2]")).value);
    EXPECT_FALSE(parse_interaction(form_encoded(R"({"user":{"id":"U1"}})")).value);
    EXPECT_FALSE(parse_interaction(form_encoded(R"({"type":"block_actions"})")).value);
    EXPECT_FALSE(
        parse_interaction(form_encoded(R"({"type":"block_actions","user":{"id":"U1"}})")).value);
    for (const std::string_view bad : {"d-1", "d-1:", ":3", "d-1:0", "d-1:x", "d-1:3x", "d-1:-2"}) {
        const auto r = parse_interaction(payload("approval_click", bad));
        EXPECT_FALSE(r.value) << bad;
        EXPECT_FALSE(r.error.empty());
    }
}

TEST(SlackInteractivity, DraftReferences) {
    std::string id;
    int version = 0;
    ASSERT_TRUE(parse_draft_reference(button_value("d-0123456789abc", 12), id, version));
    EXPECT_EQ(id, "d-0123456789abc");
    EXPECT_EQ(version, 12);
    EXPECT_FALSE(parse_draft_reference("d-1:99999999999999", id, version));
}

} // namespace
