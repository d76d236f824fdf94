// Fuzz target for the query parser (CONTRACT §3 query language): parse_query must never
// crash, and any tree it returns must be well formed.
#include "rules/query.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using rapport::fuzz::check;
using rapport::rules::query_ast;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto result = rapport::rules::parse_query(text);
    if (!result.ast) {
        check(result.error.offset <= size, "query error offset past the end of the input");
        check(!result.error.message.empty(), "query error without a message");
        return 0;
    }
    const query_ast& ast = *result.ast;
    check(!ast.nodes.empty(), "parsed query has no nodes");
    check(ast.root < ast.nodes.size(), "query root out of range");
    for (const auto& node : ast.nodes) {
        check(node.offset <= size, "query node offset past the end of the input");
        for (const std::uint32_t child : node.children) {
            check(child < ast.nodes.size(), "query child index out of range");
        }
        switch (node.op) {
            case query_ast::op::term:
            case query_ast::op::lexicon:
                check(node.children.empty(), "term/lexicon node with children");
                check(!node.text.empty(), "term/lexicon node with empty text");
                break;
            case query_ast::op::all_of:
            case query_ast::op::any_of:
                check(node.children.size() >= 2, "AND/OR node with fewer than 2 children");
                break;
            case query_ast::op::negate:
                check(node.children.size() == 1, "NOT node without exactly 1 child");
                break;
            case query_ast::op::near:
                check(node.children.size() == 2, "NEAR node without exactly 2 children");
                break;
        }
    }
    return 0;
}
