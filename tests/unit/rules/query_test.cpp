#include "rules/query.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rapport::rules {
namespace {

// Renders a node as an s-expression: words as themselves, phrases in quotes, prefixes with a
// trailing '*', lexicons as $name, branches as (AND ...), (OR ...), (NOT x), (NEAR/n a b).
std::string show(const query_ast& ast, std::uint32_t id) {
    const query_ast::node& n = ast.nodes.at(id);
    std::string out;
    switch (n.op) {
        case query_ast::op::term:
            out = n.text.find(' ') == std::string::npos ? n.text : "\"" + n.text + "\"";
            if (n.prefix) {
                out += '*';
            }
            return out;
        case query_ast::op::lexicon:
            return "$" + n.text;
        case query_ast::op::all_of:
            out = "(AND";
            break;
        case query_ast::op::any_of:
            out = "(OR";
            break;
        case query_ast::op::negate:
            out = "(NOT";
            break;
        case query_ast::op::near:
            out = "(NEAR/" + std::to_string(n.distance);
            break;
    }
    for (const std::uint32_t child : n.children) {
        out += ' ';
        out += show(ast, child);
    }
    out += ')';
    return out;
}

// The parsed query as an s-expression, or "error at OFFSET: MESSAGE".
std::string parsed(std::string_view text) {
    const query_parse_result r = parse_query(text);
    if (!r.ast) {
        return "error at " + std::to_string(r.error.offset) + ": " + r.error.message;
    }
    return show(*r.ast, r.ast->root);
}

const query_ast::node& root_of(const query_parse_result& r) {
    return r.ast->nodes.at(r.ast->root);
}

// --- terms -----------------------------------------------------------------------------------

TEST(query, single_word) {
    const auto r = parse_query("acme");
    ASSERT_TRUE(r.ast);
    ASSERT_EQ(r.ast->nodes.size(), 1U);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::term);
    EXPECT_EQ(n.text, "acme");
    EXPECT_FALSE(n.prefix);
    EXPECT_EQ(n.offset, 0U);
    EXPECT_TRUE(n.children.empty());
}

TEST(query, surrounding_space_is_ignored_and_offsets_count_it) {
    const auto r = parse_query(" \t\n acme \r\n");
    ASSERT_TRUE(r.ast);
    EXPECT_EQ(root_of(r).text, "acme");
    EXPECT_EQ(root_of(r).offset, 4U);
}

TEST(query, phrase) {
    const auto r = parse_query("\"never again\"");
    ASSERT_TRUE(r.ast);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::term);
    EXPECT_EQ(n.text, "never again");
    EXPECT_FALSE(n.prefix);
    EXPECT_EQ(n.offset, 0U);
}

TEST(query, phrase_is_folded_to_single_spaces) {
    EXPECT_EQ(parsed("\"  Never,   AGAIN!  \""), "\"never again\"");
    EXPECT_EQ(parsed("\"one\""), "one");
}

TEST(query, phrase_may_hold_operator_words_and_parentheses) {
    EXPECT_EQ(parsed("\"this AND (that) OR NOT\""), "\"this and that or not\"");
}

TEST(query, prefix) {
    const auto r = parse_query("refund*");
    ASSERT_TRUE(r.ast);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::term);
    EXPECT_EQ(n.text, "refund");
    EXPECT_TRUE(n.prefix);
    EXPECT_EQ(parsed("Re*"), "re*");
    EXPECT_EQ(parsed("a*"), "a*");
}

TEST(query, hashtag_and_handle_are_terms) {
    const auto tag = parse_query("#WantAnR8");
    ASSERT_TRUE(tag.ast);
    EXPECT_EQ(root_of(tag).op, query_ast::op::term);
    EXPECT_EQ(root_of(tag).text, "#wantanr8");
    const auto handle = parse_query("@Acme");
    ASSERT_TRUE(handle.ast);
    EXPECT_EQ(root_of(handle).op, query_ast::op::term);
    EXPECT_EQ(root_of(handle).text, "@acme");
    EXPECT_EQ(parsed("#acme*"), "#acme*");
    EXPECT_EQ(parsed("@acme OR #acme"), "(OR @acme #acme)");
}

TEST(query, lexicon) {
    const auto r = parse_query("$negative");
    ASSERT_TRUE(r.ast);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::lexicon);
    EXPECT_EQ(n.text, "negative");
    EXPECT_EQ(n.offset, 0U);
    // Lexicon names are kept as written, not folded.
    EXPECT_EQ(parsed("$Neg_1-x"), "$Neg_1-x");
}

TEST(query, terms_are_case_folded) {
    EXPECT_EQ(parsed("ACME"), "acme");
    EXPECT_EQ(parsed("AcMe"), "acme");
    EXPECT_EQ(parsed("Straße"), "strasse");
    EXPECT_EQ(parsed("CAFÉ"), "café");
    EXPECT_EQ(parsed("ΣΟΦΟΣ"), "σοφοσ");
}

TEST(query, apostrophes_separate_words) {
    EXPECT_EQ(parsed("Don't"), "\"don t\"");
    EXPECT_EQ(parsed("\"can't wait\""), "\"can t wait\"");
}

TEST(query, punctuation_inside_a_term_makes_a_phrase) {
    const auto r = parse_query("e-mail");
    ASSERT_TRUE(r.ast);
    ASSERT_EQ(r.ast->nodes.size(), 1U);
    EXPECT_EQ(root_of(r).op, query_ast::op::term);
    EXPECT_EQ(root_of(r).text, "e mail");
    EXPECT_EQ(parsed("acme.com"), "\"acme com\"");
    EXPECT_EQ(parsed("re-fund*"), "\"re fund\"*");
    EXPECT_EQ(parsed("!!acme!!"), "acme");
}

TEST(query, cjk_term_becomes_a_phrase_of_characters) {
    EXPECT_EQ(parsed("东京"), "\"东 京\"");
}

// --- operators -------------------------------------------------------------------------------

TEST(query, and) {
    const auto r = parse_query("a AND b");
    ASSERT_TRUE(r.ast);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::all_of);
    EXPECT_EQ(n.children.size(), 2U);
    EXPECT_EQ(n.offset, 0U);
    EXPECT_EQ(show(*r.ast, r.ast->root), "(AND a b)");
}

TEST(query, or) {
    const auto r = parse_query("a OR b");
    ASSERT_TRUE(r.ast);
    EXPECT_EQ(root_of(r).op, query_ast::op::any_of);
    EXPECT_EQ(show(*r.ast, r.ast->root), "(OR a b)");
}

TEST(query, not ) {
    const auto r = parse_query("NOT spam");
    ASSERT_TRUE(r.ast);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::negate);
    ASSERT_EQ(n.children.size(), 1U);
    EXPECT_EQ(n.offset, 0U);
    EXPECT_EQ(r.ast->nodes.at(n.children[0]).text, "spam");
    EXPECT_EQ(r.ast->nodes.at(n.children[0]).offset, 4U);
}

TEST(query, double_not) {
    EXPECT_EQ(parsed("NOT NOT a"), "(NOT (NOT a))");
}

TEST(query, near) {
    const auto r = parse_query("acme NEAR/3 broken");
    ASSERT_TRUE(r.ast);
    const auto& n = root_of(r);
    EXPECT_EQ(n.op, query_ast::op::near);
    EXPECT_EQ(n.distance, 3U);
    EXPECT_EQ(n.offset, 0U);
    ASSERT_EQ(n.children.size(), 2U);
    EXPECT_EQ(r.ast->nodes.at(n.children[0]).text, "acme");
    EXPECT_EQ(r.ast->nodes.at(n.children[1]).text, "broken");
    EXPECT_EQ(r.ast->nodes.at(n.children[1]).offset, 12U);
}

TEST(query, near_takes_phrases_prefixes_tags_and_lexicons) {
    EXPECT_EQ(parsed("\"never again\" NEAR/5 acme*"), "(NEAR/5 \"never again\" acme*)");
    EXPECT_EQ(parsed("$negative NEAR/2 #acme"), "(NEAR/2 $negative #acme)");
    EXPECT_EQ(parsed("@acme NEAR/1 $wish"), "(NEAR/1 @acme $wish)");
}

TEST(query, near_distance_bounds) {
    EXPECT_EQ(parsed("a NEAR/1 b"), "(NEAR/1 a b)");
    EXPECT_EQ(parsed("a NEAR/1000 b"), "(NEAR/1000 a b)");
    EXPECT_EQ(parsed("a NEAR/007 b"), "(NEAR/7 a b)");
}

TEST(query, parentheses_group) {
    EXPECT_EQ(parsed("(a OR b) AND c"), "(AND (OR a b) c)");
    EXPECT_EQ(parsed("a AND (b OR c)"), "(AND a (OR b c))");
    EXPECT_EQ(parsed("((a))"), "a");
    EXPECT_EQ(parsed("NOT (a OR b)"), "(NOT (OR a b))");
}

TEST(query, parentheses_need_no_spaces) {
    EXPECT_EQ(parsed("(a)(b)"), "(AND a b)");
    EXPECT_EQ(parsed("a(b OR c)"), "(AND a (OR b c))");
    EXPECT_EQ(parsed("(\"x y\"OR z)"), "(OR \"x y\" z)");
}

TEST(query, adjacency_means_and) {
    EXPECT_EQ(parsed("a b"), "(AND a b)");
    EXPECT_EQ(parsed("a b c"), "(AND a b c)");
    EXPECT_EQ(parsed("acme \"never again\" $negative #tag"),
              "(AND acme \"never again\" $negative #tag)");
    EXPECT_EQ(parsed("a NOT b"), "(AND a (NOT b))");
    EXPECT_EQ(parsed("a (b OR c)"), "(AND a (OR b c))");
    EXPECT_EQ(parsed("\"x\"y"), "(AND x y)");
    EXPECT_EQ(parsed("a\"b c\""), "(AND a \"b c\")");
}

TEST(query, implicit_and_mixes_with_explicit_and_in_one_node) {
    EXPECT_EQ(parsed("a AND b c"), "(AND a b c)");
    EXPECT_EQ(parsed("a b AND c"), "(AND a b c)");
}

TEST(query, same_operator_chains_flatten) {
    EXPECT_EQ(parsed("a OR b OR c OR d"), "(OR a b c d)");
    EXPECT_EQ(parsed("a AND b AND c"), "(AND a b c)");
}

TEST(query, branch_offsets_are_their_first_child) {
    const auto r = parse_query("  x OR y");
    ASSERT_TRUE(r.ast);
    EXPECT_EQ(root_of(r).offset, 2U);
    const auto n = parse_query("a  NOT b");
    ASSERT_TRUE(n.ast);
    const auto& all = root_of(n);
    ASSERT_EQ(all.children.size(), 2U);
    EXPECT_EQ(n.ast->nodes.at(all.children[1]).op, query_ast::op::negate);
    EXPECT_EQ(n.ast->nodes.at(all.children[1]).offset, 3U);
}

// --- precedence: OR < AND < NOT < NEAR -------------------------------------------------------

TEST(query, and_binds_tighter_than_or) {
    EXPECT_EQ(parsed("a OR b AND c"), "(OR a (AND b c))");
    EXPECT_EQ(parsed("a AND b OR c"), "(OR (AND a b) c)");
    EXPECT_EQ(parsed("a b OR c d"), "(OR (AND a b) (AND c d))");
}

TEST(query, not_binds_tighter_than_and) {
    EXPECT_EQ(parsed("NOT a AND b"), "(AND (NOT a) b)");
    EXPECT_EQ(parsed("NOT a OR b"), "(OR (NOT a) b)");
    EXPECT_EQ(parsed("a AND NOT b OR c"), "(OR (AND a (NOT b)) c)");
}

TEST(query, near_binds_tighter_than_not) {
    EXPECT_EQ(parsed("NOT a NEAR/2 b"), "(NOT (NEAR/2 a b))");
    EXPECT_EQ(parsed("a NEAR/2 b AND c"), "(AND (NEAR/2 a b) c)");
    EXPECT_EQ(parsed("c OR a NEAR/2 b"), "(OR c (NEAR/2 a b))");
    EXPECT_EQ(parsed("x a NEAR/2 b"), "(AND x (NEAR/2 a b))");
}

TEST(query, contract_example_queries) {
    EXPECT_EQ(parsed("$negative AND NOT (\"just kidding\" OR jk)"),
              "(AND $negative (NOT (OR \"just kidding\" jk)))");
    EXPECT_EQ(parsed("$positive AND (acme OR @acme)"), "(AND $positive (OR acme @acme))");
}

// --- operators are upper case only ---------------------------------------------------------

TEST(query, lower_case_operators_are_words) {
    EXPECT_EQ(parsed("a and b"), "(AND a and b)");
    EXPECT_EQ(parsed("a or b"), "(AND a or b)");
    EXPECT_EQ(parsed("not a"), "(AND not a)");
    EXPECT_EQ(parsed("And Or Not"), "(AND and or not)");
    EXPECT_EQ(parsed("or"), "or");
}

TEST(query, lower_case_near_is_a_phrase) {
    EXPECT_EQ(parsed("a near/3 b"), "(AND a \"near 3\" b)");
    EXPECT_EQ(parsed("Near"), "near");
}

TEST(query, operator_words_glued_to_others_are_words) {
    EXPECT_EQ(parsed("ANDROID ORACLE NOTE NEARBY"), "(AND android oracle note nearby)");
    EXPECT_EQ(parsed("\"AND\""), "and");
}

// --- errors, each with its exact offset -------------------------------------------------------

TEST(query, error_empty) {
    EXPECT_EQ(parsed(""), "error at 0: the query is empty");
    EXPECT_EQ(parsed("   \t\n "), "error at 0: the query is empty");
}

TEST(query, error_unterminated_phrase) {
    EXPECT_EQ(parsed("\"never again"), "error at 0: unterminated phrase (missing closing '\"')");
    EXPECT_EQ(parsed("acme AND \"oops"), "error at 9: unterminated phrase (missing closing '\"')");
    EXPECT_EQ(parsed("\"a\" \""), "error at 4: unterminated phrase (missing closing '\"')");
}

TEST(query, error_prefix_on_phrase) {
    EXPECT_EQ(parsed("\"never again\"*"),
              "error at 13: a prefix '*' goes on a single word, not a phrase");
    EXPECT_EQ(parsed("x \"a b\"* y"),
              "error at 7: a prefix '*' goes on a single word, not a phrase");
}

TEST(query, error_star_inside_a_word) {
    EXPECT_EQ(parsed("ref*und"), "error at 3: '*' may only end a word (a prefix, like refund*)");
    EXPECT_EQ(parsed("a re**"), "error at 4: '*' may only end a word (a prefix, like refund*)");
    EXPECT_EQ(parsed("*foo"), "error at 0: '*' may only end a word (a prefix, like refund*)");
}

TEST(query, error_lone_star) {
    EXPECT_EQ(parsed("*"), "error at 0: '*' needs a prefix before it, like refund*");
    EXPECT_EQ(parsed("acme *"), "error at 5: '*' needs a prefix before it, like refund*");
}

TEST(query, error_near_without_distance) {
    EXPECT_EQ(parsed("a NEAR b"), "error at 2: NEAR needs a distance in words, e.g. NEAR/3");
    EXPECT_EQ(parsed("NEAR"), "error at 0: NEAR needs a distance in words, e.g. NEAR/3");
}

TEST(query, error_near_bad_distance) {
    const std::string message = "NEAR/ needs a whole number of words from 1 to 1000";
    EXPECT_EQ(parsed("a NEAR/0 b"), "error at 7: " + message);
    EXPECT_EQ(parsed("a NEAR/abc b"), "error at 7: " + message);
    EXPECT_EQ(parsed("a NEAR/ b"), "error at 7: " + message);
    EXPECT_EQ(parsed("a NEAR/1001 b"), "error at 7: " + message);
    EXPECT_EQ(parsed("a NEAR/-1 b"), "error at 7: " + message);
    EXPECT_EQ(parsed("a NEAR/3x b"), "error at 7: " + message);
    EXPECT_EQ(parsed("a NEAR/99999999999999999999 b"), "error at 7: " + message);
}

TEST(query, error_near_with_a_non_term_side) {
    const std::string message = "NEAR takes a term, phrase, prefix or $lexicon on each side";
    // A group's offset is that of its first term.
    EXPECT_EQ(parsed("(a OR b) NEAR/2 c"), "error at 1: " + message);
    EXPECT_EQ(parsed("a NEAR/2 (b OR c)"), "error at 10: " + message);
    EXPECT_EQ(parsed("a NEAR/2 (b)"), "(NEAR/2 a b)"); // a group of one term is a term
    // NEAR does not chain: the left side of the second NEAR is a NEAR.
    EXPECT_EQ(parsed("a NEAR/2 b NEAR/3 c"), "error at 0: " + message);
}

TEST(query, error_near_followed_by_not) {
    EXPECT_EQ(parsed("a NEAR/2 NOT b"), "error at 9: expected a term before 'NOT'");
}

TEST(query, error_dollar_without_a_name) {
    EXPECT_EQ(parsed("$"), "error at 0: '$' must be followed by a lexicon name");
    EXPECT_EQ(parsed("acme $ x"), "error at 5: '$' must be followed by a lexicon name");
    EXPECT_EQ(parsed("($)"), "error at 1: '$' must be followed by a lexicon name");
}

TEST(query, error_bad_lexicon_name) {
    const std::string message = "a lexicon name has only letters, digits, '_' and '-'";
    EXPECT_EQ(parsed("$neg!ative"), "error at 4: " + message);
    EXPECT_EQ(parsed("a $$x"), "error at 3: " + message);
    EXPECT_EQ(parsed("$neg.x"), "error at 4: " + message);
    EXPECT_EQ(parsed("$neg*"), "error at 4: " + message);
    EXPECT_EQ(parsed("$café"), "error at 4: " + message);
}

TEST(query, error_unexpected_close) {
    EXPECT_EQ(parsed("a)"), "error at 1: unexpected ')' (no '(' to close)");
    EXPECT_EQ(parsed("(a OR b)) c"), "error at 8: unexpected ')' (no '(' to close)");
    EXPECT_EQ(parsed(")"), "error at 0: unexpected ')'");
    EXPECT_EQ(parsed("a AND )"), "error at 2: expected a term after 'AND'");
}

TEST(query, error_open_never_closed) {
    EXPECT_EQ(parsed("(a OR b"), "error at 0: '(' is never closed");
    EXPECT_EQ(parsed("x AND (y (z)"), "error at 6: '(' is never closed");
}

TEST(query, error_empty_parentheses) {
    EXPECT_EQ(parsed("()"), "error at 0: empty parentheses");
    EXPECT_EQ(parsed("a AND ( )"), "error at 6: empty parentheses");
}

TEST(query, error_trailing_operator) {
    EXPECT_EQ(parsed("a AND"), "error at 2: expected a term after 'AND'");
    EXPECT_EQ(parsed("a OR"), "error at 2: expected a term after 'OR'");
    EXPECT_EQ(parsed("a NOT"), "error at 2: expected a term after 'NOT'");
    EXPECT_EQ(parsed("NOT"), "error at 0: expected a term after 'NOT'");
    EXPECT_EQ(parsed("a NEAR/2"), "error at 2: expected a term after 'NEAR'");
    EXPECT_EQ(parsed("a OR  "), "error at 2: expected a term after 'OR'");
    EXPECT_EQ(parsed("(a AND"), "error at 3: expected a term after 'AND'");
}

TEST(query, error_leading_or_doubled_operator) {
    EXPECT_EQ(parsed("AND a"), "error at 0: expected a term before 'AND'");
    EXPECT_EQ(parsed("OR a"), "error at 0: expected a term before 'OR'");
    EXPECT_EQ(parsed("NEAR/3 a"), "error at 0: expected a term before 'NEAR'");
    EXPECT_EQ(parsed("a AND OR b"), "error at 6: expected a term before 'OR'");
    EXPECT_EQ(parsed("a OR AND b"), "error at 5: expected a term before 'AND'");
    EXPECT_EQ(parsed("a NOT OR b"), "error at 6: expected a term before 'OR'");
}

TEST(query, error_term_without_letters) {
    EXPECT_EQ(parsed("!!!"), "error at 0: '!!!' has no letters or digits to match");
    EXPECT_EQ(parsed("acme AND ..."), "error at 9: '...' has no letters or digits to match");
    EXPECT_EQ(parsed("\" - \""), "error at 0: ' - ' has no letters or digits to match");
    EXPECT_EQ(parsed("\"\""), "error at 0: '' has no letters or digits to match");
    EXPECT_EQ(parsed("#"), "error at 0: '#' has no letters or digits to match");
    EXPECT_EQ(parsed("x -*"), "error at 2: '-' has no letters or digits to match");
}

TEST(query, first_error_wins) {
    EXPECT_EQ(parsed("!!! AND ("), "error at 0: '!!!' has no letters or digits to match");
    EXPECT_EQ(parsed("(a AND ) OR \"b"), "error at 3: expected a term after 'AND'");
}

TEST(query, error_clears_the_ast) {
    const auto r = parse_query("a AND");
    EXPECT_FALSE(r.ast.has_value());
    EXPECT_FALSE(r.error.message.empty());
}

TEST(query, success_leaves_the_error_empty) {
    const auto r = parse_query("a AND b");
    ASSERT_TRUE(r.ast.has_value());
    EXPECT_TRUE(r.error.message.empty());
    EXPECT_EQ(r.error.offset, 0U);
}

TEST(query, nesting_is_bounded) {
    const auto nested = [](int levels, const std::string& open) {
        std::string text;
        for (int i = 0; i < levels; ++i) {
            text += open;
        }
        text += "x";
        if (open == "(") {
            text += std::string(static_cast<std::size_t>(levels), ')');
        }
        return text;
    };
    EXPECT_EQ(parsed(nested(100, "(")), "x");
    EXPECT_EQ(parsed(nested(101, "(")),
              "error at 100: the query nests deeper than 100 levels of parentheses and NOT");
    // Thousands of levels (fuzzing found 5,000 overflowing the stack) stop at the bound.
    EXPECT_EQ(parsed(nested(5000, "(")),
              "error at 100: the query nests deeper than 100 levels of parentheses and NOT");
    EXPECT_EQ(parsed(nested(5000, "NOT ")),
              "error at 400: the query nests deeper than 100 levels of parentheses and NOT");
}

TEST(query, long_flat_or) {
    std::string text = "w0";
    for (int i = 1; i < 500; ++i) {
        text += " OR w" + std::to_string(i);
    }
    const auto r = parse_query(text);
    ASSERT_TRUE(r.ast);
    EXPECT_EQ(root_of(r).op, query_ast::op::any_of);
    EXPECT_EQ(root_of(r).children.size(), 500U);
    EXPECT_EQ(r.ast->nodes.at(root_of(r).children.back()).text, "w499");
}

} // namespace
} // namespace rapport::rules
