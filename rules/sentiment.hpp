// Lexicon sentiment: an integer score per message from word scores, with negation and
// intensifiers. The built-in English lexicon ships as rules/data/sentiment-en.txt and is
// compiled into the binary; playbooks extend or override it word by word.
#pragma once

#include "rules/text.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// A word list with scores, negators and intensifiers.
///
/// Scoring walks the words of a normalized text once:
/// - a scored word adds its score;
/// - a negator ("not", "never", the `t` of "don t", ...) flips the sign of the next scored
///   word within the next three words (one-letter fragments such as the `s` of "it s" do not
///   count);
/// - an intensifier ("very", "really", "so", ...) directly before a scored word, or before a
///   negator + scored word ("really not good"), moves that word's score one further from zero
///   (+2 → +3, -1 → -2); between a negator and its word ("not very good") it softens the
///   negation by one instead, down to ±1.
/// The result is the sum. Value type; scoring is const and safe from any thread.
class sentiment_lexicon {
public:
    /// The built-in English lexicon.
    [[nodiscard]] static const sentiment_lexicon& builtin_english();

    /// Parses the lexicon text format: one entry a line, `WORD SCORE` (score an integer from
    /// -5 to 5), `WORD negate` or `WORD intensify`; `#` starts a comment; blank lines skipped.
    /// Words are normalized. On a bad line returns false and sets `error` to
    /// "line N: MESSAGE" (nothing is added from any line in that case).
    [[nodiscard]] bool parse(std::string_view text, std::string& error);

    /// Sets (or overrides) one word's score. `word` is normalized here; a word that folds to
    /// more than one word is ignored and false is returned.
    bool set_score(std::string_view word, int score);

    /// Score of a normalized text.
    [[nodiscard]] int score(const normalized_text& text) const;

    /// Score of one normalized word, 0 when unknown.
    [[nodiscard]] int word_score(std::string_view folded_word) const;

    [[nodiscard]] std::size_t size() const { return size_; }

private:
    enum class role : signed char { scored, negator, intensifier };
    struct entry {
        role kind = role::scored;
        int score = 0;
    };
    // Open addressing with linear probing over a power-of-two table, keys stored inline: one
    // cheap hash and usually one probe per word of every message, and a plain copyable value.
    struct slot {
        std::string word; // empty: free
        entry value;
    };
    [[nodiscard]] const entry* find(std::string_view folded_word) const;
    [[nodiscard]] const entry* find_exact(std::string_view folded_word) const;
    void insert_or_assign(std::string_view folded_word, entry value);

    std::vector<slot> slots_;
    std::size_t size_ = 0;
};

} // namespace rapport::rules
