#include "rules/sentiment.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rapport::rules {
namespace detail {
std::string_view builtin_sentiment_en();
} // namespace detail
namespace {

// A small lexicon with round numbers, so each test reads as arithmetic.
sentiment_lexicon test_lexicon() {
    sentiment_lexicon lexicon;
    std::string error;
    const bool ok = lexicon.parse(R"(# test words
good 2
great 3
bad -3
broken -2
not negate
t negate
never negate
very intensify
really intensify
)",
                                  error);
    EXPECT_TRUE(ok) << error;
    return lexicon;
}

int score_of(const sentiment_lexicon& lexicon, std::string_view text) {
    return lexicon.score(normalize(text));
}

TEST(sentiment, scored_words_add_up) {
    const sentiment_lexicon lexicon = test_lexicon();
    EXPECT_EQ(score_of(lexicon, "good"), 2);
    EXPECT_EQ(score_of(lexicon, "GOOD, great!"), 5);
    EXPECT_EQ(score_of(lexicon, "good but broken and bad"), -3);
    EXPECT_EQ(score_of(lexicon, ""), 0);
}

TEST(sentiment, unknown_words_score_zero) {
    const sentiment_lexicon lexicon = test_lexicon();
    EXPECT_EQ(score_of(lexicon, "the toaster arrived on tuesday"), 0);
    EXPECT_EQ(lexicon.word_score("toaster"), 0);
    EXPECT_EQ(lexicon.word_score("good"), 2);
    EXPECT_EQ(lexicon.word_score("bad"), -3);
    // Negators and intensifiers have no score of their own.
    EXPECT_EQ(lexicon.word_score("not"), 0);
    EXPECT_EQ(lexicon.word_score("very"), 0);
    EXPECT_EQ(score_of(lexicon, "not"), 0);
    EXPECT_EQ(score_of(lexicon, "very"), 0);
}

TEST(sentiment, hashtags_score_as_their_word_and_handles_do_not) {
    const sentiment_lexicon lexicon = test_lexicon();
    EXPECT_EQ(score_of(lexicon, "#bad"), -3);
    EXPECT_EQ(lexicon.word_score("#great"), 3);
    EXPECT_EQ(score_of(lexicon, "@bad"), 0);
    EXPECT_EQ(score_of(lexicon, "#not good"), 2); // only scores carry over to hashtags
}

TEST(sentiment, negator_flips_the_next_scored_word_within_three_words) {
    const sentiment_lexicon lexicon = test_lexicon();
    EXPECT_EQ(score_of(lexicon, "not good"), -2);
    EXPECT_EQ(score_of(lexicon, "not bad"), 3);
    EXPECT_EQ(score_of(lexicon, "not at all good"), -2);    // third word after the negator
    EXPECT_EQ(score_of(lexicon, "not one bit of good"), 2); // fourth word: out of reach
    EXPECT_EQ(score_of(lexicon, "never had a good"), -2);
    // Apostrophes fold away on both sides.
    EXPECT_EQ(score_of(lexicon, "I don't think it's good"), -2);
    EXPECT_EQ(score_of(lexicon, "I DON\u2019T find it that good"), 2);
}

TEST(sentiment, negation_is_used_up_by_one_word) {
    const sentiment_lexicon lexicon = test_lexicon();
    EXPECT_EQ(score_of(lexicon, "not bad, good"), 3 + 2);
    EXPECT_EQ(score_of(lexicon, "not good. good"), -2 + 2);
    // A second negator restarts the reach; it does not cancel the first.
    EXPECT_EQ(score_of(lexicon, "not never good"), -2);
    EXPECT_EQ(score_of(lexicon, "not x y never z good"), -2);
}

TEST(sentiment, intensifier_moves_the_next_word_away_from_zero) {
    const sentiment_lexicon lexicon = test_lexicon();
    EXPECT_EQ(score_of(lexicon, "very good"), 3);
    EXPECT_EQ(score_of(lexicon, "very bad"), -4);
    EXPECT_EQ(score_of(lexicon, "really really good"), 3); // only the one right before counts
    EXPECT_EQ(score_of(lexicon, "very nice good"), 2);     // not directly before
    EXPECT_EQ(score_of(lexicon, "good very"), 2);
    EXPECT_EQ(score_of(lexicon, "very good good"), 3 + 2);
}

TEST(sentiment, intensifier_with_negator) {
    const sentiment_lexicon lexicon = test_lexicon();
    // Before the negator: applies in the direction of the negated score.
    EXPECT_EQ(score_of(lexicon, "really not good"), -3);
    EXPECT_EQ(score_of(lexicon, "really not bad"), 4);
    EXPECT_EQ(score_of(lexicon, "really not that good"), -3);
    // Between the negator and the word it softens: "not very good" is milder than "not good".
    EXPECT_EQ(score_of(lexicon, "not very good"), -1);
    EXPECT_EQ(score_of(lexicon, "not very bad"), 2);
    // Both count once.
    EXPECT_EQ(score_of(lexicon, "very not very good"), -3);
    // An intensified negator that reaches nothing changes nothing.
    EXPECT_EQ(score_of(lexicon, "really not aa bb cc dd good"), 2);
    // One-letter contraction fragments do not use up the reach: "don t think it s good".
    EXPECT_EQ(score_of(lexicon, "I don't think it's good"), -2);
}

TEST(sentiment, parse_accepts_comments_blank_lines_and_crlf) {
    sentiment_lexicon lexicon;
    std::string error;
    ASSERT_TRUE(
        lexicon.parse("# header\r\n\r\n   \n\tSUPERB +4 # trailing comment\r\n"
                      "meh -1\n"
                      "Hardly negate\n"
                      "mega intensify",
                      error))
        << error;
    EXPECT_EQ(lexicon.size(), 4u);
    EXPECT_EQ(lexicon.word_score("superb"), 4);
    EXPECT_EQ(lexicon.word_score("meh"), -1);
    EXPECT_EQ(score_of(lexicon, "hardly superb"), -4);
    EXPECT_EQ(score_of(lexicon, "mega meh"), -2);
    EXPECT_TRUE(error.empty());
}

TEST(sentiment, parse_error_names_the_line_and_adds_nothing) {
    struct bad_case {
        const char* text;
        const char* error;
    };
    const bad_case cases[] = {
        {"good 2\n# comment\nbad x\n", "line 3: score must be an integer from -5 to 5, got 'x'"},
        {"good 6", "line 1: score must be an integer from -5 to 5, got '6'"},
        {"good -6", "line 1: score must be an integer from -5 to 5, got '-6'"},
        {"good 2.5", "line 1: score must be an integer from -5 to 5, got '2.5'"},
        {"good +-2", "line 1: score must be an integer from -5 to 5, got '+-2'"},
        {"good +", "line 1: score must be an integer from -5 to 5, got '+'"},
        {"good\n", "line 1: expected a score, 'negate' or 'intensify' after 'good'"},
        {"a 1\nb 2\nc 3 4", "line 3: unexpected '4' after '3' (one word per line)"},
        {"e-mail 1", "line 1: 'e-mail' is not a single word (it folds to 'e mail')"},
        {"!!! 1", "line 1: '!!!' contains no word"},
        {"dont negate\nDONT 2", "line 2: 'DONT' is already listed on line 1"},
        {"good Negate", "line 1: score must be an integer from -5 to 5, got 'Negate'"},
    };
    for (const bad_case& c : cases) {
        sentiment_lexicon lexicon = test_lexicon();
        const std::size_t size_before = lexicon.size();
        std::string error;
        EXPECT_FALSE(lexicon.parse(c.text, error)) << c.text;
        EXPECT_EQ(error, c.error);
        EXPECT_EQ(lexicon.size(), size_before) << c.text;
        EXPECT_EQ(lexicon.word_score("good"), 2) << c.text;
        EXPECT_EQ(lexicon.word_score("a"), 0) << c.text;
    }
}

TEST(sentiment, parse_extends_and_overrides) {
    sentiment_lexicon lexicon = test_lexicon();
    std::string error;
    ASSERT_TRUE(lexicon.parse("good 1\nsplendid 4\nbad negate\n", error)) << error;
    EXPECT_EQ(lexicon.word_score("good"), 1);
    EXPECT_EQ(lexicon.word_score("splendid"), 4);
    EXPECT_EQ(lexicon.word_score("bad"), 0);
    EXPECT_EQ(score_of(lexicon, "bad splendid"), -4);
}

TEST(sentiment, set_score_overrides_one_word) {
    sentiment_lexicon lexicon = test_lexicon();
    EXPECT_TRUE(lexicon.set_score("GOOD", -1));
    EXPECT_EQ(lexicon.word_score("good"), -1);
    EXPECT_FALSE(lexicon.set_score("Acme\u2019s", 2)); // folds to two words: "acme s"
    // A negator can be turned into a scored word.
    EXPECT_TRUE(lexicon.set_score("never", -1));
    EXPECT_EQ(score_of(lexicon, "never great"), -1 + 3);
    // Zero neutralizes a word: it neither scores nor takes a negation.
    EXPECT_TRUE(lexicon.set_score("broken", 0));
    EXPECT_EQ(score_of(lexicon, "not broken great"), -3);
}

TEST(sentiment, set_score_rejects_what_is_not_one_word_or_out_of_range) {
    sentiment_lexicon lexicon = test_lexicon();
    const std::size_t size_before = lexicon.size();
    EXPECT_FALSE(lexicon.set_score("two words", 1));
    EXPECT_FALSE(lexicon.set_score("well-made", 1));
    EXPECT_FALSE(lexicon.set_score("", 1));
    EXPECT_FALSE(lexicon.set_score("?!", 1));
    EXPECT_FALSE(lexicon.set_score("good", 6));
    EXPECT_FALSE(lexicon.set_score("good", -6));
    EXPECT_EQ(lexicon.size(), size_before);
    EXPECT_EQ(lexicon.word_score("good"), 2);
}

TEST(sentiment, builtin_english_loads) {
    const sentiment_lexicon& en = sentiment_lexicon::builtin_english();
    EXPECT_EQ(&en, &sentiment_lexicon::builtin_english());
    EXPECT_GE(en.size(), 440u);

    // Count the scored entries in the data itself (size() includes negators and intensifiers).
    std::size_t scored = 0;
    std::string_view data = detail::builtin_sentiment_en();
    while (!data.empty()) {
        const std::size_t newline = data.find('\n');
        std::string_view line = data.substr(0, newline);
        data.remove_prefix(newline == std::string_view::npos ? data.size() : newline + 1);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::string_view word = line.substr(0, line.find(' '));
        scored += en.word_score(word) != 0 ? 1 : 0;
    }
    EXPECT_GE(scored, 400u);
}

TEST(sentiment, builtin_english_scores_customer_messages) {
    const sentiment_lexicon& en = sentiment_lexicon::builtin_english();
    EXPECT_GT(score_of(en, "I love this, it's great"), 0);
    EXPECT_LT(score_of(en, "this is not good, worst service ever"), 0);
    EXPECT_LT(score_of(en, "My order arrived broken and support was rude"), 0);
    EXPECT_GT(score_of(en, "Thanks so much, the team was super helpful!"), 0);
    EXPECT_LT(score_of(en, "I don\u2019t love it"), 0);
    EXPECT_GT(score_of(en, "not bad at all"), 0);
    EXPECT_LT(score_of(en, "#fail"), 0);
    EXPECT_EQ(score_of(en, "The parcel is at the depot"), 0);
}

} // namespace
} // namespace rapport::rules
