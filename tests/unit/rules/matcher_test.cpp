#include "rules/matcher.hpp"

#include "rules/text.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rapport::rules {
namespace {

// A pattern from a term as a user writes it: folded the way the loader folds query terms.
pattern word(std::string_view term) {
    return {normalize(term).text, false};
}
pattern prefix(std::string_view term) {
    return {normalize(term).text, true};
}

matcher compiled(const std::vector<pattern>& patterns) {
    matcher m;
    std::string error;
    EXPECT_TRUE(m.compile(patterns, error)) << error;
    EXPECT_TRUE(error.empty()) << error;
    return m;
}

// Hits as "PATTERN@FIRST-LAST", in the order they were reported.
std::vector<std::string> hits_in_order(const matcher& m,
                                       std::string_view text,
                                       matcher::scratch& s) {
    std::vector<pattern_hit> hits;
    m.scan(normalize(text), s, hits);
    std::vector<std::string> out;
    for (const auto& h : hits) {
        out.push_back(std::to_string(h.pattern) + "@" + std::to_string(h.first_word) + "-" +
                      std::to_string(h.last_word));
    }
    return out;
}

// Hits sorted, for cases where the order between hits ending together does not matter.
std::vector<std::string> hits(const matcher& m, std::string_view text) {
    matcher::scratch s;
    auto out = hits_in_order(m, text, s);
    std::sort(out.begin(), out.end());
    return out;
}

using strings = std::vector<std::string>;

TEST(matcher, empty_matcher_matches_nothing) {
    matcher m;
    EXPECT_EQ(m.pattern_count(), 0U);
    EXPECT_EQ(m.database_bytes(), 0U);
    EXPECT_EQ(hits(m, "anything at all"), strings{});
}

TEST(matcher, compiling_no_patterns_matches_nothing) {
    const matcher m = compiled({});
    EXPECT_EQ(m.pattern_count(), 0U);
    EXPECT_EQ(m.database_bytes(), 0U);
    EXPECT_EQ(hits(m, "anything at all"), strings{});
}

TEST(matcher, empty_literal_is_refused) {
    matcher m;
    std::string error;
    EXPECT_FALSE(m.compile({{"acme", false}, {"", false}}, error));
    EXPECT_EQ(error, "empty pattern");
    // A failed compile leaves the matcher as it was.
    EXPECT_EQ(m.pattern_count(), 0U);
}

TEST(matcher, failed_compile_keeps_the_previous_database) {
    matcher m = compiled({word("acme")});
    std::string error;
    EXPECT_FALSE(m.compile({{"", true}}, error));
    EXPECT_EQ(m.pattern_count(), 1U);
    EXPECT_EQ(hits(m, "acme"), strings{"0@0-0"});
}

TEST(matcher, pattern_count_and_database_size) {
    const matcher m = compiled({word("a"), word("b"), prefix("c")});
    EXPECT_EQ(m.pattern_count(), 3U);
    EXPECT_GT(m.database_bytes(), 0U);
}

TEST(matcher, empty_text_matches_nothing) {
    const matcher m = compiled({word("acme")});
    EXPECT_EQ(hits(m, ""), strings{});
    EXPECT_EQ(hits(m, " ... !!! "), strings{});
}

TEST(matcher, whole_words_only) {
    const matcher m = compiled({word("cat")});
    EXPECT_EQ(hits(m, "cat"), strings{"0@0-0"});
    EXPECT_EQ(hits(m, "the cat sat"), strings{"0@1-1"});
    EXPECT_EQ(hits(m, "concatenate category scat cats"), strings{});
    EXPECT_EQ(hits(m, "concatenate cat category scat"), strings{"0@1-1"});
    EXPECT_EQ(hits(m, "CAT! Cat? cat."), (strings{"0@0-0", "0@1-1", "0@2-2"}));
    EXPECT_EQ(hits(m, "cat_food"), strings{}); // '_' is a word character
    EXPECT_EQ(hits(m, "cat-food"), strings{"0@0-0"});
}

TEST(matcher, prefix_matches_words_that_start_with_it) {
    const matcher m = compiled({prefix("refund")});
    EXPECT_EQ(hits(m, "refund"), strings{"0@0-0"});
    EXPECT_EQ(hits(m, "I want a REFUNDED order refunds"), (strings{"0@3-3", "0@5-5"}));
    EXPECT_EQ(hits(m, "norefund"), strings{});
    EXPECT_EQ(hits(m, "refun"), strings{});
}

TEST(matcher, phrases_match_across_single_spaces) {
    const matcher m = compiled({word("never again")});
    EXPECT_EQ(hits(m, "I will never again buy"), strings{"0@2-3"});
    EXPECT_EQ(hits(m, "never    again"), strings{"0@0-1"});
    EXPECT_EQ(hits(m, "Never, AGAIN!"), strings{"0@0-1"});
    EXPECT_EQ(hits(m, "never\n\tagain"), strings{"0@0-1"});
    EXPECT_EQ(hits(m, "nevermore again"), strings{});
    EXPECT_EQ(hits(m, "never against"), strings{});
    EXPECT_EQ(hits(m, "never ever again"), strings{});
}

TEST(matcher, prefix_phrase) {
    const matcher m = compiled({prefix("re fund")});
    EXPECT_EQ(hits(m, "a re-funding"), strings{"0@1-2"});
    EXPECT_EQ(hits(m, "re fund"), strings{"0@0-1"});
    EXPECT_EQ(hits(m, "pre fund"), strings{});
}

TEST(matcher, literal_both_exact_and_prefix) {
    const matcher m = compiled({word("cat"), prefix("cat")});
    EXPECT_EQ(m.pattern_count(), 2U);
    EXPECT_EQ(hits(m, "cat"), (strings{"0@0-0", "1@0-0"}));
    EXPECT_EQ(hits(m, "cats"), strings{"1@0-0"});
    EXPECT_EQ(hits(m, "a cat and cats"), (strings{"0@1-1", "1@1-1", "1@3-3"}));
}

TEST(matcher, plain_literal_matches_after_hash_and_at) {
    const matcher m = compiled({word("acme")});
    EXPECT_EQ(hits(m, "#acme"), strings{"0@0-0"});
    EXPECT_EQ(hits(m, "@Acme"), strings{"0@0-0"});
    EXPECT_EQ(hits(m, "love #ACME and @acme"), (strings{"0@1-1", "0@3-3"}));
    EXPECT_EQ(hits(m, "#acmes"), strings{});
}

TEST(matcher, plain_prefix_matches_after_hash_and_at) {
    const matcher m = compiled({prefix("acme")});
    EXPECT_EQ(hits(m, "#AcmeCorp @acmehq acme"), (strings{"0@0-0", "0@1-1", "0@2-2"}));
}

TEST(matcher, tag_and_handle_literals_need_their_sigil) {
    const matcher m = compiled({word("#acme"), word("@acme")});
    EXPECT_EQ(hits(m, "acme"), strings{});
    EXPECT_EQ(hits(m, "#acme"), strings{"0@0-0"});
    EXPECT_EQ(hits(m, "@acme"), strings{"1@0-0"});
    EXPECT_EQ(hits(m, "hi @Acme, #Acme rocks"), (strings{"0@2-2", "1@1-1"}));
    EXPECT_EQ(hits(m, "#acmes @acme_hq"), strings{});
}

TEST(matcher, all_three_spellings_together) {
    const matcher m = compiled({word("acme"), word("#acme"), word("@acme")});
    EXPECT_EQ(hits(m, "acme"), strings{"0@0-0"});
    EXPECT_EQ(hits(m, "#acme"), (strings{"0@0-0", "1@0-0"}));
    EXPECT_EQ(hits(m, "@acme"), (strings{"0@0-0", "2@0-0"}));
}

TEST(matcher, word_indexes_of_hits) {
    const matcher m = compiled({word("two three"), word("four"), word("one two three four")});
    const auto found = hits(m, "one two three four five");
    EXPECT_EQ(found, (strings{"0@1-2", "1@3-3", "2@0-3"}));
    std::vector<pattern_hit> raw;
    matcher::scratch s;
    m.scan(normalize("zero one two three four"), s, raw);
    ASSERT_EQ(raw.size(), 3U);
    for (const auto& h : raw) {
        if (h.pattern == 2) {
            EXPECT_EQ(h.first_word, 1U);
            EXPECT_EQ(h.last_word, 4U);
        }
    }
}

TEST(matcher, hits_come_in_order_of_match_end) {
    const matcher m = compiled({word("c"), word("a"), word("b")});
    matcher::scratch s;
    EXPECT_EQ(hits_in_order(m, "a b c a", s), (strings{"1@0-0", "2@1-1", "0@2-2", "1@3-3"}));
}

TEST(matcher, overlapping_patterns_all_hit) {
    const matcher m = compiled(
        {word("new york"), word("york city"), word("new york city"), word("york"), prefix("ci")});
    EXPECT_EQ(hits(m, "I love New York City"),
              (strings{"0@2-3", "1@3-4", "2@2-4", "3@3-3", "4@4-4"}));
}

TEST(matcher, repeated_occurrences_each_hit) {
    const matcher m = compiled({word("la la")});
    // "la la la" holds "la la" twice, overlapping.
    EXPECT_EQ(hits(m, "la la la"), (strings{"0@0-1", "0@1-2"}));
}

TEST(matcher, duplicate_literals_each_report_their_own_id) {
    const matcher m = compiled({word("acme"), word("acme"), prefix("acme"), prefix("acme")});
    EXPECT_EQ(m.pattern_count(), 4U);
    EXPECT_EQ(hits(m, "acme"), (strings{"0@0-0", "1@0-0", "2@0-0", "3@0-0"}));
    EXPECT_EQ(hits(m, "acmes"), (strings{"2@0-0", "3@0-0"}));
}

TEST(matcher, unicode_case_folding) {
    const matcher m = compiled({word("STRASSE"), word("Café"), word("ΣΟΦΟΣ"), word("привет")});
    EXPECT_EQ(hits(m, "die Straße"), strings{"0@1-1"});
    EXPECT_EQ(hits(m, "die strasse"), strings{"0@1-1"});
    EXPECT_EQ(hits(m, "CAFÉ"), strings{"1@0-0"});
    EXPECT_EQ(hits(m, "cafe\u0301 au lait"), strings{"1@0-0"}); // decomposed é
    EXPECT_EQ(hits(m, "σοφος"), strings{"2@0-0"});
    EXPECT_EQ(hits(m, "ПРИВЕТ мир"), strings{"3@0-0"});
}

TEST(matcher, accents_are_not_stripped) {
    const matcher m = compiled({word("cafe")});
    EXPECT_EQ(hits(m, "café"), strings{});
    EXPECT_EQ(hits(m, "cafe"), strings{"0@0-0"});
}

TEST(matcher, word_boundaries_hold_next_to_multibyte_letters) {
    const matcher m = compiled({word("caf"), prefix("caf"), word("é")});
    EXPECT_EQ(hits(m, "café"), strings{"1@0-0"});
    EXPECT_EQ(hits(m, "é caf"), (strings{"0@1-1", "1@1-1", "2@0-0"}));
}

TEST(matcher, cjk_characters_are_words) {
    const matcher m = compiled({word("东京"), word("京"), word("爱")});
    EXPECT_EQ(normalize("我爱东京").text, "我 爱 东 京");
    EXPECT_EQ(hits(m, "我爱东京"), (strings{"0@2-3", "1@3-3", "2@1-1"}));
    EXPECT_EQ(hits(m, "京都"), strings{"1@0-0"});
}

TEST(matcher, japanese_mixed_with_latin) {
    const matcher m = compiled({word("acme"), word("好き")});
    EXPECT_EQ(hits(m, "acmeが好きです"), (strings{"0@0-0", "1@2-3"}));
}

TEST(matcher, one_scratch_serves_two_matchers) {
    const matcher small = compiled({word("acme")});
    std::vector<pattern> many;
    for (int i = 0; i < 300; ++i) {
        many.push_back(word("term" + std::to_string(i)));
    }
    many.push_back(prefix("acm"));
    const matcher big = compiled(many);
    matcher::scratch s;
    EXPECT_EQ(hits_in_order(small, "hello acme", s), strings{"0@1-1"});
    EXPECT_EQ(hits_in_order(big, "term7 acme term299", s),
              (strings{"7@0-0", "300@1-1", "299@2-2"}));
    EXPECT_EQ(hits_in_order(small, "acme hello acme", s), (strings{"0@0-0", "0@2-2"}));
    EXPECT_EQ(hits_in_order(big, "term0", s), strings{"0@0-0"});
}

TEST(matcher, scratch_follows_a_recompiled_matcher) {
    matcher m = compiled({word("old")});
    matcher::scratch s;
    EXPECT_EQ(hits_in_order(m, "old new", s), strings{"0@0-0"});
    std::string error;
    ASSERT_TRUE(m.compile({word("x"), word("new"), prefix("ol")}, error)) << error;
    EXPECT_EQ(hits_in_order(m, "old new", s), (strings{"2@0-0", "1@1-1"}));
}

TEST(matcher, moved_matcher_and_scratch_keep_working) {
    matcher a = compiled({word("acme")});
    matcher::scratch s1;
    EXPECT_EQ(hits_in_order(a, "acme", s1), strings{"0@0-0"});
    matcher b = std::move(a);
    matcher::scratch s2 = std::move(s1);
    EXPECT_EQ(hits_in_order(b, "x acme", s2), strings{"0@1-1"});
}

TEST(matcher, scan_appends_to_existing_hits) {
    const matcher m = compiled({word("a")});
    matcher::scratch s;
    std::vector<pattern_hit> out;
    m.scan(normalize("a"), s, out);
    m.scan(normalize("b a"), s, out);
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].first_word, 0U);
    EXPECT_EQ(out[1].first_word, 1U);
}

TEST(matcher, thousands_of_patterns) {
    std::vector<pattern> patterns;
    for (int i = 0; i < 5000; ++i) {
        patterns.push_back(word("word" + std::to_string(i)));
    }
    for (int i = 0; i < 1000; ++i) {
        patterns.push_back(prefix("pre" + std::to_string(i) + "x"));
    }
    patterns.push_back(word("very long phrase of several words"));
    const matcher m = compiled(patterns);
    EXPECT_EQ(m.pattern_count(), 6001U);
    EXPECT_GT(m.database_bytes(), 0U);
    EXPECT_EQ(hits(m, "word0 Word4999 word5000 word12x pre999xyz pre1000x"),
              (strings{"0@0-0", "4999@1-1", "5999@4-4"}));
    EXPECT_EQ(hits(m, "a very long phrase of several words indeed word42"),
              (strings{"42@8-8", "6000@1-6"}));
    // Every word pattern finds itself.
    std::string text;
    for (int i = 0; i < 5000; i += 7) {
        text += "word" + std::to_string(i) + " ";
    }
    std::vector<pattern_hit> raw;
    matcher::scratch s;
    m.scan(normalize(text), s, raw);
    ASSERT_EQ(raw.size(), 715U); // 0, 7, ..., 4998
    for (std::size_t i = 0; i < raw.size(); ++i) {
        EXPECT_EQ(raw[i].pattern, i * 7);
        EXPECT_EQ(raw[i].first_word, i);
        EXPECT_EQ(raw[i].last_word, i);
    }
}

} // namespace
} // namespace rapport::rules
