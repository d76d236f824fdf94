// Decision bodies of the approval API: the fields each decision takes, and clear refusals.
#include "daemon/store/decision_body.hpp"

#include <gtest/gtest.h>

namespace rapport::daemon {
namespace {

constexpr auto approve = decide_request::action::approve;
constexpr auto reject = decide_request::action::reject;

TEST(decision_body, an_approval_takes_text_note_and_version) {
    const auto d =
        parse_decision_body(R"({"text":"Sorry, Sam","note":"ok","version":3})", approve, false);
    EXPECT_EQ(d.error, "");
    EXPECT_EQ(d.text, "Sorry, Sam");
    EXPECT_EQ(d.note, "ok");
    EXPECT_EQ(d.version, 3);
    EXPECT_EQ(parse_decision_body("", approve, false).error, "");
    EXPECT_EQ(parse_decision_body(" \n", approve, false).error, "");
}

TEST(decision_body, a_rejection_takes_a_reason_as_its_note) {
    const auto d = parse_decision_body(R"({"reason":"off-brand"})", reject, false);
    EXPECT_EQ(d.note, "off-brand");
    EXPECT_EQ(parse_decision_body(R"({"text":"x"})", reject, false).error, "unknown field 'text'");
}

TEST(decision_body, a_signed_decision_must_name_its_approver) {
    EXPECT_EQ(parse_decision_body(R"({"approver":"alice"})", approve, true).approver, "alice");
    EXPECT_NE(parse_decision_body("", approve, true).error.find("names its approver"),
              std::string::npos);
    // Bearer decisions are by the token's owner: naming someone else is refused.
    EXPECT_EQ(parse_decision_body(R"({"approver":"alice"})", approve, false).error,
              "unknown field 'approver'");
}

TEST(decision_body, bad_bodies_are_refused_with_the_reason) {
    EXPECT_EQ(parse_decision_body("[1]", approve, false).error, "the body must be a JSON object");
    EXPECT_EQ(parse_decision_body("{", approve, false).error, "the body must be a JSON object");
    EXPECT_EQ(parse_decision_body(R"({"text":"  "})", approve, false).error,
              "an edited text must not be empty");
    EXPECT_EQ(parse_decision_body(R"({"text":5})", approve, false).error,
              "field 'text' must be a string");
    EXPECT_EQ(parse_decision_body(R"({"version":"2"})", approve, false).error,
              "field 'version' must be a whole number from 1");
    EXPECT_EQ(parse_decision_body(R"({"version":0})", approve, false).error,
              "field 'version' must be a whole number from 1");
    const auto refused = parse_decision_body(R"({"note":"a","bogus":1})", approve, false);
    EXPECT_EQ(refused.error, "unknown field 'bogus'");
    EXPECT_FALSE(refused.note);
}

} // namespace
} // namespace rapport::daemon
