// The listening query language (CONTRACT §3): terms, "phrases", prefix*, #tags, @handles,
// $lexicons, AND / OR / NOT, parentheses, implicit AND, and a NEAR/n b.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// A parsed query: a flat tree, nodes[root] is the top.
///
/// Precedence, loosest first: OR, AND (explicit or implied by adjacency), NOT, NEAR/n.
/// Operators are upper case; lower-case `and`/`or`/`not` are ordinary words.
/// NEAR takes a term, phrase, prefix or lexicon on each side.
struct query_ast {
    enum class op : std::uint8_t { term, lexicon, all_of, any_of, negate, near };
    struct node {
        query_ast::op op = op::term;
        /// term: the folded words (phrase words joined by one space); lexicon: its name.
        std::string text;
        bool prefix = false;
        /// Byte offset of the node's first character in the query text (for errors).
        std::uint32_t offset = 0;
        std::uint32_t distance = 0;          // near
        std::vector<std::uint32_t> children; // all_of, any_of: 2+; negate: 1; near: 2
    };
    std::vector<node> nodes;
    std::uint32_t root = 0;
};

struct query_error {
    /// Byte offset in the query text the problem is at.
    std::size_t offset = 0;
    std::string message;
};

struct query_parse_result {
    std::optional<query_ast> ast;
    query_error error;
};

/// Parses a query. Terms are folded with normalize(); a term that folds to several words
/// becomes a phrase, one that folds to none is an error.
[[nodiscard]] query_parse_result parse_query(std::string_view text);

} // namespace rapport::rules
