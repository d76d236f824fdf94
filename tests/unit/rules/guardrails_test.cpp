// Guardrails on approval: blocked phrases on word boundaries, platform length limits.
#include "rules/guardrails.hpp"

#include <gtest/gtest.h>

namespace rapport::rules {
namespace {

const std::vector<std::string> blocked{"guaranteed", "legal action"};

std::optional<std::string> blocker(std::string_view text,
                                   std::string_view platform = "generic",
                                   bool direct = false) {
    return approval_blocker(text, platform, direct, blocked, default_length_limits());
}

TEST(guardrails, a_blocked_phrase_is_named_whatever_its_case_and_punctuation) {
    const auto b = blocker("Works every time, GUARANTEED!");
    ASSERT_TRUE(b);
    EXPECT_NE(b->find("\"guaranteed\""), std::string::npos) << *b;
    EXPECT_TRUE(blocker("We may take Legal   action."));
}

TEST(guardrails, a_phrase_inside_another_word_does_not_block) {
    EXPECT_FALSE(blocker("That is unguaranteed territory"));
    EXPECT_FALSE(blocker("legal actions speak louder")); // "actions" is another word
    EXPECT_FALSE(blocker("Thanks for writing!"));
}

TEST(guardrails, a_text_over_the_platform_limit_names_the_limit) {
    const std::string long_text(281, 'a');
    const auto b = blocker(long_text, "x");
    ASSERT_TRUE(b);
    EXPECT_NE(b->find("281 weighted characters"), std::string::npos) << *b;
    EXPECT_NE(b->find("x's limit of 280"), std::string::npos) << *b;
    EXPECT_FALSE(blocker(std::string(280, 'a'), "x"));
    // Generic accounts have no built-in limit.
    EXPECT_FALSE(blocker(std::string(5000, 'a')));
}

TEST(guardrails, a_direct_message_on_x_may_be_longer) {
    const std::string text(281, 'a');
    EXPECT_TRUE(blocker(text, "x", false));
    EXPECT_FALSE(blocker(text, "x", true));
    EXPECT_FALSE(blocker(std::string(10000, 'a'), "x", true));
    const auto b = blocker(std::string(10001, 'a'), "x", true);
    ASSERT_TRUE(b);
    EXPECT_NE(b->find("x's limit of 10000 for direct messages"), std::string::npos) << *b;
    // Platforms with one limit keep it for direct messages.
    EXPECT_TRUE(blocker(std::string(501, 'a'), "mastodon", true));
}

TEST(guardrails, bluesky_counts_graphemes) {
    // A family emoji is one grapheme of several code points.
    std::string text;
    for (int i = 0; i < 300; ++i) {
        text += "\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7";
    }
    EXPECT_FALSE(blocker(text, "bluesky"));
    const auto b = blocker(text + "!", "bluesky");
    ASSERT_TRUE(b);
    EXPECT_NE(b->find("301 graphemes"), std::string::npos) << *b;
}

TEST(guardrails, telegram_counts_utf16_code_units) {
    // An emoji outside the Basic Multilingual Plane is two UTF-16 code units.
    const std::string emoji = "\xF0\x9F\x98\x80";
    std::string text;
    for (int i = 0; i < 2048; ++i) {
        text += emoji;
    }
    EXPECT_FALSE(blocker(text, "telegram")); // 4096 units exactly
    const auto b = blocker(text + "a", "telegram");
    ASSERT_TRUE(b);
    EXPECT_NE(b->find("4097 UTF-16 code units"), std::string::npos) << *b;
    EXPECT_NE(b->find("telegram's limit of 4096"), std::string::npos) << *b;
    // 2049 emoji are 2049 characters (far under a count in code points) and 4098 units.
    EXPECT_TRUE(blocker(text + emoji, "telegram"));
    // CJK in the BMP is one unit a character: 4096 of them fit, 4097 do not.
    std::string cjk;
    for (int i = 0; i < 4096; ++i) {
        cjk += "\xE6\x97\xA5"; // U+65E5
    }
    EXPECT_FALSE(blocker(cjk, "telegram"));
    EXPECT_TRUE(blocker(cjk + "\xE6\x97\xA5", "telegram"));
}

} // namespace
} // namespace rapport::rules
