// Fuzz target for text folding: normalize() must never crash on any bytes, and its output
// must keep the promises of normalized_text (text.hpp).
#include "rules/text.hpp"
#include "tests/fuzz/fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

using rapport::fuzz::check;
namespace rules = rapport::rules;

namespace {

void check_shape(const rules::normalized_text& n) {
    const std::string_view t = n.text;
    check(t.empty() || (t.front() != ' ' && t.back() != ' '), "leading or trailing space");
    check(t.find("  ") == std::string_view::npos, "double space");
    check(rules::is_valid_utf8(t), "folded text is not valid UTF-8");

    std::size_t spaces = 0;
    for (const char c : t) {
        spaces += c == ' ' ? 1 : 0;
    }
    check(n.word_starts.size() == (t.empty() ? 0 : spaces + 1), "word count != spaces + 1");
    for (std::size_t i = 0; i < n.word_starts.size(); ++i) {
        const std::size_t start = n.word_starts[i];
        check(start < t.size(), "word start past the end of the text");
        check(i == 0 ? start == 0 : (start > n.word_starts[i - 1] && t[start - 1] == ' '),
              "word start does not follow a space");
        check(t[start] != ' ', "word starts on a space");
        check(n.word_at(start) == i, "word_at(word start) is not that word");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const rules::normalized_text once = rules::normalize(input);
    check_shape(once);

    // The hot path reuses one value; a stale buffer must not leak into the next message.
    static rules::normalized_text reused;
    rules::normalize_into(input, reused);
    check(reused.text == once.text && reused.word_starts == once.word_starts,
          "normalize_into differs from normalize");

    const rules::normalized_text twice = rules::normalize(once.text);
    if (twice.text != once.text) {
        std::fprintf(stderr, "once:  %s\ntwice: %s\n", once.text.c_str(), twice.text.c_str());
    }
    check(twice.text == once.text, "normalize is not idempotent");

    check(rules::count_graphemes(input) <= rules::count_code_points(input),
          "more graphemes than code points");
    check(rules::count_code_points(input) <= size, "more code points than bytes");

    // Platform lengths: nothing for nothing, something for something, and bounded: NFC at most
    // triples a code point, each weighs at most 2, and a link (4 code points or more) 23.
    const std::size_t points = rules::count_code_points(input);
    const std::size_t x = rules::count_x_weighted(input);
    const std::size_t mastodon = rules::count_mastodon_characters(input);
    check((x == 0) == (size == 0), "X weighs an empty text differently from a non-empty one");
    check((mastodon == 0) == (size == 0), "Mastodon length is 0 exactly for empty text");
    check(x <= 6 * points, "X weight out of bounds");
    check(mastodon <= 6 * points, "Mastodon length out of bounds");
    return 0;
}
