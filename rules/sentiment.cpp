#include "rules/sentiment.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace rapport::rules {
namespace detail {
// Defined by a source the build generates from rules/data/sentiment-en.txt.
std::string_view builtin_sentiment_en();
} // namespace detail

namespace {

constexpr int min_score = -5;
constexpr int max_score = 5;
// A negator reaches the first scored word among the next this many words.
constexpr std::size_t negation_reach = 3;

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r';
}

// Splits a line into its fields: runs of non-blank characters, up to the first field that
// starts with `#` (a comment; `#` inside a field is part of it).
std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_blank(line[i])) {
            ++i;
        }
        if (i == line.size() || line[i] == '#') {
            break;
        }
        const std::size_t start = i;
        while (i < line.size() && !is_blank(line[i])) {
            ++i;
        }
        fields.push_back(line.substr(start, i - start));
    }
    return fields;
}

// Parses an integer score with an optional sign; false unless all of `text` is one in range.
bool parse_score(std::string_view text, int& score) {
    if (text.size() > 1 && text[0] == '+' && text[1] != '-') {
        text.remove_prefix(1);
    }
    const char* const end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, score);
    return ec == std::errc() && ptr == end && score >= min_score && score <= max_score;
}

std::string quoted(std::string_view s) {
    std::string out = "'";
    out.append(s);
    out.push_back('\'');
    return out;
}

// The word at index `i` of a normalized text.
std::string_view word_of(const normalized_text& text, std::size_t i) {
    const std::size_t start = text.word_starts[i];
    const std::size_t end =
        i + 1 < text.word_starts.size() ? text.word_starts[i + 1] - 1 : text.text.size();
    return std::string_view(text.text).substr(start, end - start);
}

} // namespace

const sentiment_lexicon& sentiment_lexicon::builtin_english() {
    static const sentiment_lexicon lexicon = [] {
        sentiment_lexicon parsed;
        std::string error;
        if (!parsed.parse(detail::builtin_sentiment_en(), error)) {
            // The data ships inside the binary and is checked by the tests: a bad line is a
            // build defect, not something to run without.
            std::fprintf(stderr, "rapport: built-in sentiment lexicon is invalid: %s\n",
                         error.c_str());
            std::abort();
        }
        return parsed;
    }();
    return lexicon;
}

bool sentiment_lexicon::parse(std::string_view text, std::string& error) {
    // Staged apart from the table so that a bad line leaves the lexicon as it was.
    std::map<std::string, std::pair<entry, std::size_t>, std::less<>> staged;
    normalized_text folded;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        const std::size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

        const auto fail = [&](const std::string& message) {
            error = "line " + std::to_string(line_number) + ": " + message;
            return false;
        };
        const std::vector<std::string_view> fields = fields_of(line);
        if (fields.empty()) {
            continue;
        }
        if (fields.size() == 1) {
            return fail("expected a score, 'negate' or 'intensify' after " + quoted(fields[0]));
        }
        if (fields.size() > 2) {
            return fail("unexpected " + quoted(fields[2]) + " after " + quoted(fields[1]) +
                        " (one word per line)");
        }

        entry e;
        if (fields[1] == "negate") {
            e.kind = role::negator;
        } else if (fields[1] == "intensify") {
            e.kind = role::intensifier;
        } else if (!parse_score(fields[1], e.score)) {
            return fail("score must be an integer from -5 to 5, got " + quoted(fields[1]));
        }

        normalize_into(fields[0], folded);
        if (folded.word_count() == 0) {
            return fail(quoted(fields[0]) + " contains no word");
        }
        if (folded.word_count() > 1) {
            return fail(quoted(fields[0]) + " is not a single word (it folds to " +
                        quoted(folded.text) + ")");
        }
        // A repeat is almost always a slip (two spellings that fold alike, a pasted block), and
        // which one would win is not obvious from the file, so it is an error.
        const auto [it, inserted] = staged.try_emplace(folded.text, e, line_number);
        if (!inserted) {
            return fail(quoted(fields[0]) + " is already listed on line " +
                        std::to_string(it->second.second));
        }
    }
    for (auto& [word, value] : staged) {
        insert_or_assign(word, value.first);
    }
    return true;
}

bool sentiment_lexicon::set_score(std::string_view word, int score) {
    if (score < min_score || score > max_score) {
        return false;
    }
    normalized_text folded = normalize(word);
    if (folded.word_count() != 1) {
        return false;
    }
    insert_or_assign(folded.text, entry{role::scored, score});
    return true;
}

namespace {
// FNV-1a: words are short, so a byte loop beats a general-purpose hash here.
std::size_t word_hash(std::string_view word) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : word) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return static_cast<std::size_t>(h ^ (h >> 29));
}
} // namespace

void sentiment_lexicon::insert_or_assign(std::string_view folded_word, entry value) {
    if (2 * (size_ + 1) > slots_.size()) { // keep at most half full
        std::vector<slot> old(std::max<std::size_t>(64, 2 * slots_.size()));
        old.swap(slots_);
        size_ = 0;
        for (auto& s : old) {
            if (!s.word.empty()) {
                insert_or_assign(s.word, s.value);
            }
        }
    }
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = word_hash(folded_word) & mask;; i = (i + 1) & mask) {
        slot& s = slots_[i];
        if (s.word.empty()) {
            s.word.assign(folded_word);
            s.value = value;
            ++size_;
            return;
        }
        if (s.word == folded_word) {
            s.value = value;
            return;
        }
    }
}

const sentiment_lexicon::entry* sentiment_lexicon::find_exact(std::string_view folded_word) const {
    if (slots_.empty()) {
        return nullptr;
    }
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = word_hash(folded_word) & mask;; i = (i + 1) & mask) {
        const slot& s = slots_[i];
        if (s.word.empty()) {
            return nullptr;
        }
        if (s.word == folded_word) {
            return &s.value;
        }
    }
}

const sentiment_lexicon::entry* sentiment_lexicon::find(std::string_view folded_word) const {
    if (const entry* e = find_exact(folded_word)) {
        return e;
    }
    // "#fail" and "#love" carry the sentiment of their word; `@` names someone, so it does not.
    // Only scores carry over: a trailing "#not" is sarcasm, not a negator.
    if (folded_word.size() > 1 && folded_word.front() == '#') {
        const entry* bare = find_exact(folded_word.substr(1));
        if (bare != nullptr && bare->kind == role::scored) {
            return bare;
        }
    }
    return nullptr;
}

int sentiment_lexicon::word_score(std::string_view folded_word) const {
    const entry* e = find(folded_word);
    return e != nullptr && e->kind == role::scored ? e->score : 0;
}

int sentiment_lexicon::score(const normalized_text& text) const {
    int total = 0;
    bool after_intensifier = false;    // the previous word was an intensifier
    bool negation_pending = false;     // a negator is waiting for a scored word
    std::size_t negation_last = 0;     // index of the last word the negator reaches
    bool negation_intensified = false; // an intensifier stood right before that negator

    for (std::size_t i = 0; i < text.word_count(); ++i) {
        const std::string_view word = word_of(text, i);
        const entry* e = find(word);
        // A word scored 0 (an override that neutralizes a built-in word) is treated as unknown,
        // so it neither takes a pending negation nor an intensifier.
        if (e != nullptr && e->kind == role::scored && e->score == 0) {
            e = nullptr;
        }
        if (e == nullptr) {
            after_intensifier = false;
            // The letter left from a contraction ("it's" is "it s") is not a word between the
            // negator and what it negates.
            if (negation_pending && word.size() == 1) {
                ++negation_last;
            }
        } else if (e->kind == role::negator) {
            // A second negator restarts the reach rather than cancelling: "no, not good" is
            // one negation, and double negatives in chat are nearly always emphasis.
            negation_pending = true;
            negation_last = i + negation_reach;
            negation_intensified = after_intensifier;
            after_intensifier = false;
        } else if (e->kind == role::intensifier) {
            after_intensifier = true;
        } else {
            int s = e->score;
            if (negation_pending) {
                s = -s;
                if (negation_intensified) { // "really not good": stronger
                    s += s > 0 ? 1 : -1;
                } else if (after_intensifier && (s > 1 || s < -1)) {
                    s -= s > 0 ? 1 : -1; // "not very good": milder than "not good"
                }
                negation_pending = false;
            } else if (after_intensifier) {
                s += s > 0 ? 1 : -1;
            }
            total += s;
            after_intensifier = false;
        }
        if (negation_pending && i >= negation_last) {
            negation_pending = false;
        }
    }
    return total;
}

} // namespace rapport::rules
