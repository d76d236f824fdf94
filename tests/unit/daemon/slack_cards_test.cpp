// What a Slack card shows of a draft, read from the draft JSON the outbox keeps.
#include "daemon/rapportd/slack_approvals.hpp"
#include "daemon/store/draft_json.hpp"

#include <gtest/gtest.h>

namespace {

using namespace rapport;
using daemon::card_from_draft_json;

daemon::draft_record sample_draft() {
    daemon::draft_record d;
    d.id = "d-006h0tjb1p800";
    d.version = 3;
    d.state = daemon::draft_state::rejected;
    d.account = "site";
    d.platform = "generic";
    d.rule = "care/complaint";
    d.team = "support";
    d.priority = rules::priority::high;
    d.text = "Sorry Sam";
    d.original_text = "Sorry";
    d.in_reply_to = "m1";
    d.decided_by = "alice";
    d.note = "via Slack";
    return d;
}

TEST(SlackCards, ADraftAsTheOutboxKeepsIt) {
    rules::message m;
    m.id = "m1";
    m.text = "my order is broken";
    m.author.id = "u1";
    m.author.handle = "sam_r";
    m.platform = "generic";
    std::string json;
    daemon::append_json(json, sample_draft(), m);
    const auto card = card_from_draft_json(json);
    ASSERT_TRUE(card);
    EXPECT_EQ(card->draft_id, "d-006h0tjb1p800");
    EXPECT_EQ(card->version, 3);
    EXPECT_EQ(card->state, "rejected");
    EXPECT_EQ(card->text, "Sorry Sam");
    EXPECT_EQ(card->original_text, "Sorry");
    EXPECT_EQ(card->rule, "care/complaint");
    EXPECT_EQ(card->priority, "high");
    EXPECT_EQ(card->team, "support");
    EXPECT_EQ(card->decided_by, "alice");
    // Slack's marker says where; it is not a reason to show.
    EXPECT_TRUE(card->decided_in_slack);
    EXPECT_FALSE(card->note);
    ASSERT_TRUE(card->answers);
    EXPECT_EQ(card->answers->author, "sam_r"); // no name: the handle
    EXPECT_EQ(card->answers->text, "my order is broken");
    EXPECT_FALSE(card->open());
}

TEST(SlackCards, AReasonGivenThroughTheApiIsShownAndNoMessageMeansNoAnswersLine) {
    auto d = sample_draft();
    d.note = "off topic";
    d.team.reset();
    std::string json;
    daemon::append_json(json, d, std::string_view("null"));
    const auto card = card_from_draft_json(json);
    ASSERT_TRUE(card);
    EXPECT_FALSE(card->decided_in_slack);
    EXPECT_EQ(card->note, "off topic");
    EXPECT_FALSE(card->team);
    EXPECT_FALSE(card->answers);
}

TEST(SlackCards, WhatIsNotADraftIsNoCard) {
    EXPECT_FALSE(card_from_draft_json(""));
    EXPECT_FALSE(card_from_draft_json("null"));
    EXPECT_FALSE(card_from_draft_json("[]"));
    EXPECT_FALSE(card_from_draft_json(R"({"id":"d-1"})"));
    EXPECT_FALSE(card_from_draft_json(R"({"id":"d-1","version":"2"})"));
    EXPECT_TRUE(card_from_draft_json(R"({"id":"d-1","version":2})"));
}

} // namespace
