#include "rules/diagnostic.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rapport::rules {
namespace {

const std::vector<std::string_view> keys = {"when",      "then",     "id",   "query",
                                            "sentiment", "priority", "reply"};

TEST(diagnostic, to_string_prints_file_line_column_message) {
    EXPECT_EQ(to_string({"playbooks/acme.yaml", 12, 5, "unknown key 'qeury'"}),
              "playbooks/acme.yaml:12:5: error: unknown key 'qeury'");
    EXPECT_EQ(to_string({"a.yaml", 1, 1, ""}), "a.yaml:1:1: error: ");
    EXPECT_EQ(to_string({"", 0, 0, "m"}), ":0:0: error: m");
}

TEST(diagnostic, compares_by_value) {
    const diagnostic a{"f", 1, 2, "m"};
    EXPECT_EQ(a, (diagnostic{"f", 1, 2, "m"}));
    EXPECT_NE(a, (diagnostic{"f", 1, 3, "m"}));
}

TEST(diagnostic, closest_match_finds_single_edits) {
    EXPECT_EQ(closest_match("qeury", keys), "query");      // transposition
    EXPECT_EQ(closest_match("quer", keys), "query");       // deletion
    EXPECT_EQ(closest_match("queryy", keys), "query");     // insertion
    EXPECT_EQ(closest_match("qaery", keys), "query");      // substitution
    EXPECT_EQ(closest_match("priorty", keys), "priority"); // deletion in a longer word
    EXPECT_EQ(closest_match("sentimnet", keys), "sentiment");
}

TEST(diagnostic, closest_match_ignores_ascii_case) {
    EXPECT_EQ(closest_match("QUERY", keys), "query");
    EXPECT_EQ(closest_match("Qeury", keys), "query");
    EXPECT_EQ(closest_match("query", {"QUERY"}), "QUERY");
}

TEST(diagnostic, closest_match_returns_exact_candidate) {
    // Distance 0 is a match; callers only ask after an exact lookup failed, so this is the
    // case-only difference above.
    EXPECT_EQ(closest_match("reply", keys), "reply");
}

TEST(diagnostic, closest_match_threshold_scales_with_length) {
    // Under six letters only one edit is allowed.
    EXPECT_EQ(closest_match("wehn", keys), "when");
    EXPECT_EQ(closest_match("whxx", keys), "");
    EXPECT_EQ(closest_match("ix", keys), "id");
    EXPECT_EQ(closest_match("xy", keys), "");
    // Six to eight letters: two edits.
    EXPECT_EQ(closest_match("sentimen", keys), "sentiment");
    EXPECT_EQ(closest_match("priorxxy", keys), "priority");
    EXPECT_EQ(closest_match("prixxxty", keys), "");
    // Nine and more letters: three edits, never more.
    EXPECT_EQ(closest_match("sentxxxnt", keys), "sentiment");
    EXPECT_EQ(closest_match("sxxxxment", keys), "");
    const std::vector<std::string_view> long_key = {"insight_question_schedule"};
    EXPECT_EQ(closest_match("insight_quxxxion_schedule", long_key), "insight_question_schedule");
    EXPECT_EQ(closest_match("insight_xxxxxion_schedule", long_key), "");
}

TEST(diagnostic, closest_match_prefers_smallest_distance_then_first) {
    EXPECT_EQ(closest_match("then", {"thin", "then"}), "then");
    EXPECT_EQ(closest_match("thex", {"them", "then"}), "them");
    EXPECT_EQ(closest_match("thex", {"then", "them"}), "then");
    EXPECT_EQ(closest_match("abcdef", {"abcxyz", "abcdxy", "abcdex"}), "abcdex");
}

TEST(diagnostic, closest_match_with_nothing_plausible_is_empty) {
    EXPECT_EQ(closest_match("", keys), "");
    EXPECT_EQ(closest_match("", {"", "a"}), "");
    EXPECT_EQ(closest_match("banana", keys), "");
    EXPECT_EQ(closest_match("query", {}), "");
}

TEST(diagnostic, closest_match_counts_transposition_as_one_edit) {
    // Plain Levenshtein would call "ab"→"ba" two edits and miss it.
    EXPECT_EQ(closest_match("ba", {"ab"}), "ab");
    EXPECT_EQ(closest_match("jnu", {"jan", "jun"}), "jun");
}

TEST(diagnostic, with_suggestion_appends_did_you_mean) {
    EXPECT_EQ(with_suggestion("unknown key 'qeury'", "qeury", keys),
              "unknown key 'qeury' (did you mean 'query'?)");
    EXPECT_EQ(with_suggestion("unknown key 'banana'", "banana", keys), "unknown key 'banana'");
    EXPECT_EQ(with_suggestion("", "x", {}), "");
}

} // namespace
} // namespace rapport::rules
