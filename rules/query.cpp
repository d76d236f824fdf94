#include "rules/query.hpp"

#include "rules/text.hpp"

#include <charconv>

namespace rapport::rules {
namespace {

struct token {
    enum class type { end, open, close, and_op, or_op, not_op, near_op, word, phrase, lexicon };
    token::type what = type::end;
    std::size_t offset = 0;
    std::string_view text; // word/phrase body, lexicon name
    bool prefix = false;
    std::uint32_t distance = 0;
};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_lexicon_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

class parser {
public:
    explicit parser(std::string_view text) : text_(text) {}

    query_parse_result run() {
        query_parse_result result;
        if (!advance()) {
            result.error = error_;
            return result;
        }
        if (current_.what == token::type::end) {
            fail(0, "the query is empty");
            result.error = error_;
            return result;
        }
        const auto root = parse_or();
        if (root && current_.what != token::type::end) {
            if (current_.what == token::type::close) {
                fail(current_.offset, "unexpected ')' (no '(' to close)");
            } else {
                fail(current_.offset, "unexpected '" + std::string(describe(current_)) + "'");
            }
        }
        if (!root || failed_) {
            result.error = error_;
            return result;
        }
        ast_.root = *root;
        result.ast = std::move(ast_);
        return result;
    }

private:
    using node_id = std::optional<std::uint32_t>;

    node_id parse_or() {
        node_id left = parse_and();
        if (!left || current_.what != token::type::or_op) {
            return left;
        }
        std::vector<std::uint32_t> children{*left};
        const std::size_t offset = ast_.nodes[*left].offset;
        while (current_.what == token::type::or_op) {
            const std::size_t op_offset = current_.offset;
            if (!advance() || !operand_follows(op_offset, "OR")) {
                return std::nullopt;
            }
            node_id right = parse_and();
            if (!right) {
                return std::nullopt;
            }
            children.push_back(*right);
        }
        return add_branch(query_ast::op::any_of, offset, std::move(children));
    }

    node_id parse_and() {
        node_id left = parse_not();
        if (!left) {
            return left;
        }
        std::vector<std::uint32_t> children{*left};
        const std::size_t offset = ast_.nodes[*left].offset;
        for (;;) {
            if (current_.what == token::type::and_op) {
                const std::size_t op_offset = current_.offset;
                if (!advance() || !operand_follows(op_offset, "AND")) {
                    return std::nullopt;
                }
                node_id right = parse_not();
                if (!right) {
                    return std::nullopt;
                }
                children.push_back(*right);
            } else if (starts_operand(current_)) { // adjacency means AND
                node_id right = parse_not();
                if (!right) {
                    return std::nullopt;
                }
                children.push_back(*right);
            } else {
                break;
            }
        }
        if (children.size() == 1) {
            return left;
        }
        return add_branch(query_ast::op::all_of, offset, std::move(children));
    }

    node_id parse_not() {
        if (current_.what != token::type::not_op) {
            return parse_near();
        }
        const std::size_t offset = current_.offset;
        const nesting level(*this);
        if (too_deep(offset)) {
            return std::nullopt;
        }
        if (!advance() || !operand_follows(offset, "NOT")) {
            return std::nullopt;
        }
        node_id inner = parse_not();
        if (!inner) {
            return std::nullopt;
        }
        return add_branch(query_ast::op::negate, offset, {*inner});
    }

    node_id parse_near() {
        node_id left = parse_primary();
        while (left && current_.what == token::type::near_op) {
            const token op = current_;
            if (!is_term_like(*left)) {
                return fail(ast_.nodes[*left].offset,
                            "NEAR takes a term, phrase, prefix or $lexicon on each side");
            }
            if (!advance() || !operand_follows(op.offset, "NEAR")) {
                return std::nullopt;
            }
            node_id right = parse_primary();
            if (!right) {
                return std::nullopt;
            }
            if (!is_term_like(*right)) {
                return fail(ast_.nodes[*right].offset,
                            "NEAR takes a term, phrase, prefix or $lexicon on each side");
            }
            query_ast::node n;
            n.op = query_ast::op::near;
            n.offset = ast_.nodes[*left].offset;
            n.distance = op.distance;
            n.children = {*left, *right};
            left = add(std::move(n));
        }
        return left;
    }

    node_id parse_primary() {
        const token t = current_;
        switch (t.what) {
            case token::type::open: {
                const nesting level(*this);
                if (too_deep(t.offset) || !advance()) {
                    return std::nullopt;
                }
                if (current_.what == token::type::close) {
                    return fail(t.offset, "empty parentheses");
                }
                node_id inner = parse_or();
                if (!inner) {
                    return std::nullopt;
                }
                if (current_.what != token::type::close) {
                    return fail(t.offset, "'(' is never closed");
                }
                if (!advance()) {
                    return std::nullopt;
                }
                return inner;
            }
            case token::type::word:
            case token::type::phrase: {
                normalized_text folded = normalize(t.text);
                if (folded.word_count() == 0) {
                    return fail(t.offset,
                                "'" + std::string(t.text) + "' has no letters or digits to match");
                }
                query_ast::node n;
                n.op = query_ast::op::term;
                n.text = std::move(folded.text);
                n.prefix = t.prefix;
                n.offset = static_cast<std::uint32_t>(t.offset);
                if (!advance()) {
                    return std::nullopt;
                }
                return add(std::move(n));
            }
            case token::type::lexicon: {
                query_ast::node n;
                n.op = query_ast::op::lexicon;
                n.text = std::string(t.text);
                n.offset = static_cast<std::uint32_t>(t.offset);
                if (!advance()) {
                    return std::nullopt;
                }
                return add(std::move(n));
            }
            case token::type::close:
                return fail(t.offset, "unexpected ')'");
            case token::type::end:
                return fail(t.offset, "the query ends where a term was expected");
            default:
                return fail(t.offset, "expected a term before '" + std::string(describe(t)) + "'");
        }
    }

    // Parentheses and NOT recurse; a bound keeps a hostile or broken query from exhausting
    // the stack. No sensible query comes near it.
    static constexpr int max_depth = 100;
    struct nesting {
        explicit nesting(parser& p) : p_(p) { ++p_.depth_; }
        ~nesting() { --p_.depth_; }
        nesting(const nesting&) = delete;
        nesting& operator=(const nesting&) = delete;
        parser& p_;
    };
    bool too_deep(std::size_t offset) {
        if (depth_ <= max_depth) {
            return false;
        }
        fail(offset, "the query nests deeper than " + std::to_string(max_depth) +
                         " levels of parentheses and NOT");
        return true;
    }

    static bool starts_operand(const token& t) {
        return t.what == token::type::open || t.what == token::type::not_op ||
               t.what == token::type::word || t.what == token::type::phrase ||
               t.what == token::type::lexicon;
    }

    bool is_term_like(std::uint32_t id) const {
        const auto op = ast_.nodes[id].op;
        return op == query_ast::op::term || op == query_ast::op::lexicon;
    }

    static std::string_view describe(const token& t) {
        switch (t.what) {
            case token::type::and_op:
                return "AND";
            case token::type::or_op:
                return "OR";
            case token::type::not_op:
                return "NOT";
            case token::type::near_op:
                return "NEAR";
            case token::type::close:
                return ")";
            case token::type::open:
                return "(";
            default:
                return t.text;
        }
    }

    // A query that ends right after an operator names the operator.
    bool operand_follows(std::size_t op_offset, std::string_view op) {
        if (current_.what != token::type::end && current_.what != token::type::close) {
            return true;
        }
        fail(op_offset, "expected a term after '" + std::string(op) + "'");
        return false;
    }

    node_id add_branch(query_ast::op op, std::size_t offset, std::vector<std::uint32_t> children) {
        query_ast::node n;
        n.op = op;
        n.offset = static_cast<std::uint32_t>(offset);
        n.children = std::move(children);
        return add(std::move(n));
    }

    node_id add(query_ast::node n) {
        ast_.nodes.push_back(std::move(n));
        return static_cast<std::uint32_t>(ast_.nodes.size() - 1);
    }

    node_id fail(std::size_t offset, std::string message) {
        if (!failed_) { // the first problem explains the rest
            failed_ = true;
            error_.offset = offset;
            error_.message = std::move(message);
        }
        return std::nullopt;
    }

    // Reads the next token into current_; false (with the error set) on a lexical error.
    bool advance() {
        while (pos_ < text_.size() && is_space(text_[pos_])) {
            ++pos_;
        }
        current_ = token{};
        current_.offset = pos_;
        if (pos_ == text_.size()) {
            return true;
        }
        const char c = text_[pos_];
        if (c == '(' || c == ')') {
            current_.what = c == '(' ? token::type::open : token::type::close;
            ++pos_;
            return true;
        }
        if (c == '"') {
            const auto close = text_.find('"', pos_ + 1);
            if (close == std::string_view::npos) {
                fail(pos_, "unterminated phrase (missing closing '\"')");
                return false;
            }
            current_.what = token::type::phrase;
            current_.text = text_.substr(pos_ + 1, close - pos_ - 1);
            pos_ = close + 1;
            if (pos_ < text_.size() && text_[pos_] == '*') {
                fail(pos_, "a prefix '*' goes on a single word, not a phrase");
                return false;
            }
            return true;
        }
        std::size_t end = pos_;
        while (end < text_.size() && !is_space(text_[end]) && text_[end] != '(' &&
               text_[end] != ')' && text_[end] != '"') {
            ++end;
        }
        const std::string_view word = text_.substr(pos_, end - pos_);
        const std::size_t start = pos_;
        pos_ = end;
        return classify(word, start);
    }

    bool classify(std::string_view word, std::size_t start) {
        current_.offset = start;
        if (word == "AND") {
            current_.what = token::type::and_op;
            return true;
        }
        if (word == "OR") {
            current_.what = token::type::or_op;
            return true;
        }
        if (word == "NOT") {
            current_.what = token::type::not_op;
            return true;
        }
        if (word == "NEAR") {
            fail(start, "NEAR needs a distance in words, e.g. NEAR/3");
            return false;
        }
        if (word.starts_with("NEAR/")) {
            const std::string_view digits = word.substr(5);
            unsigned value = 0;
            const auto [ptr, ec] =
                std::from_chars(digits.data(), digits.data() + digits.size(), value);
            if (digits.empty() || ec != std::errc{} || ptr != digits.data() + digits.size() ||
                value == 0 || value > 1000) {
                fail(start + 5, "NEAR/ needs a whole number of words from 1 to 1000");
                return false;
            }
            current_.what = token::type::near_op;
            current_.distance = value;
            return true;
        }
        if (word.front() == '$') {
            const std::string_view name = word.substr(1);
            for (std::size_t i = 0; i < name.size(); ++i) {
                if (!is_lexicon_char(name[i])) {
                    fail(start + 1 + i, "a lexicon name has only letters, digits, '_' and '-'");
                    return false;
                }
            }
            if (name.empty()) {
                fail(start, "'$' must be followed by a lexicon name");
                return false;
            }
            current_.what = token::type::lexicon;
            current_.text = name;
            return true;
        }
        const auto star = word.find('*');
        if (star != std::string_view::npos) {
            if (star != word.size() - 1) {
                fail(start + star, "'*' may only end a word (a prefix, like refund*)");
                return false;
            }
            if (star == 0) {
                fail(start, "'*' needs a prefix before it, like refund*");
                return false;
            }
            current_.prefix = true;
            word.remove_suffix(1);
        }
        current_.what = token::type::word;
        current_.text = word;
        return true;
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    token current_;
    query_ast ast_;
    bool failed_ = false;
    query_error error_;
    int depth_ = 0;
};

} // namespace

query_parse_result parse_query(std::string_view text) {
    return parser(text).run();
}

} // namespace rapport::rules
