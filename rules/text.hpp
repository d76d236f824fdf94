// Text folding for matching: Unicode case folding, word splitting, length counting.
// Everything that compares words (queries, lexicons, sentiment) folds both sides with
// normalize(), so a term and a message agree on what a word is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// A text folded for matching.
///
/// `text` holds the words of the input, case-folded (Unicode full case folding after NFC),
/// joined by exactly one ASCII space, with no leading or trailing space. A word is a run of
/// letters, marks, digits and `_`. Punctuation (apostrophes too: "Kestrel's" is "kestrel s",
/// "don't" is "don t") and white space separate words, with two exceptions that make social
/// text match the way people expect:
/// - `#` or `@` directly before a word stays attached to it (`#wantanr8`, `@acme`);
/// - each character of a script written without spaces (Han, Hiragana, Katakana, Thai, Lao,
///   Khmer, Myanmar) is a word of its own, so a CJK term matches as a phrase of characters.
/// Invalid UTF-8 bytes separate words.
struct normalized_text {
    std::string text;
    /// Byte offset in `text` where each word starts, ascending.
    std::vector<std::uint32_t> word_starts;

    /// Index of the word that contains byte `offset` of `text` (a space counts with the word
    /// before it). Precondition: `text` is not empty.
    [[nodiscard]] std::size_t word_at(std::size_t offset) const;
    [[nodiscard]] std::size_t word_count() const { return word_starts.size(); }
};

/// Folds `utf8` into `out`, reusing its buffers (the hot path calls this once per message).
void normalize_into(std::string_view utf8, normalized_text& out);

/// normalize_into without the fast path for ASCII-like text: always through utf8proc. Tests
/// use it to prove the fast path folds exactly as the full one.
void normalize_unicode_for_test(std::string_view utf8, normalized_text& out);

/// Folds `utf8` into a new value.
[[nodiscard]] normalized_text normalize(std::string_view utf8);

/// A handle folded for comparison, without the `@` some platforms and senders put in front:
/// "@Sam" and "sam" are the same handle.
[[nodiscard]] std::string folded_handle(std::string_view handle);

/// True when `bytes` is well-formed UTF-8.
[[nodiscard]] bool is_valid_utf8(std::string_view bytes);

/// Number of Unicode code points in `utf8` (invalid bytes count one each).
[[nodiscard]] std::size_t count_code_points(std::string_view utf8);

/// Number of UTF-16 code units `utf8` takes (a character past U+FFFF, such as most emoji,
/// takes two; invalid bytes count one each): what Telegram counts.
[[nodiscard]] std::size_t count_utf16_units(std::string_view utf8);

/// Number of extended grapheme clusters (UAX #29) in `utf8`: what Bluesky counts.
[[nodiscard]] std::size_t count_graphemes(std::string_view utf8);

/// The length X gives `utf8` (its weighted count, twitter-text configuration v3): after NFC,
/// each link (with or without "https://", for well-known top-level domains) counts 23, each
/// emoji 2, a code point of Latin, Greek, Cyrillic, Hebrew, Arabic, Indic scripts and common
/// punctuation 1, anything else (CJK, most symbols) 2.
[[nodiscard]] std::size_t count_x_weighted(std::string_view utf8);

/// The length Mastodon gives `utf8`: grapheme clusters, with each http(s) link counted as 23
/// and a mention with its server ("@sam@example.social") counted without the server ("@sam").
[[nodiscard]] std::size_t count_mastodon_characters(std::string_view utf8);

} // namespace rapport::rules
