#include "rules/diagnostic.hpp"

#include <algorithm>
#include <cstddef>

namespace rapport::rules {

namespace {

// Suggestions further away than this are guesses, not typo fixes.
constexpr std::size_t max_suggestion_distance = 3;

char fold_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions, the most common
// typo ("jnu" for "jun"). Three rolling rows keep it allocation-light for short keys.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const std::size_t width = b.size() + 1;
    std::vector<std::size_t> before_previous(width);
    std::vector<std::size_t> previous(width);
    std::vector<std::size_t> current(width);
    for (std::size_t j = 0; j < width; ++j) {
        previous[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        current[0] = i;
        const char ca = fold_ascii(a[i - 1]);
        for (std::size_t j = 1; j < width; ++j) {
            const char cb = fold_ascii(b[j - 1]);
            const std::size_t cost = ca == cb ? 0 : 1;
            current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && ca == fold_ascii(b[j - 2]) && fold_ascii(a[i - 2]) == cb) {
                current[j] = std::min(current[j], before_previous[j - 2] + 1);
            }
        }
        std::swap(before_previous, previous);
        std::swap(previous, current);
    }
    return previous[b.size()];
}

} // namespace

std::string to_string(const diagnostic& d) {
    std::string out = d.file;
    out += ':';
    out += std::to_string(d.line);
    out += ':';
    out += std::to_string(d.column);
    out += ": error: ";
    out += d.message;
    return out;
}

std::string closest_match(std::string_view word, const std::vector<std::string_view>& candidates) {
    if (word.empty()) {
        return {};
    }
    // A third of the word: one slip in a short key, a few in a long one.
    const std::size_t limit =
        std::min(max_suggestion_distance, std::max<std::size_t>(1, word.size() / 3));
    std::string_view best;
    std::size_t best_distance = limit + 1;
    for (std::string_view candidate : candidates) {
        // The lengths alone bound the distance from below; skip the hopeless ones (a long
        // unknown word against hundreds of time zone names was the slow case).
        const std::size_t length_gap = word.size() > candidate.size()
                                           ? word.size() - candidate.size()
                                           : candidate.size() - word.size();
        if (length_gap >= best_distance) {
            continue;
        }
        const std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    return std::string{best};
}

std::string with_suggestion(std::string message,
                            std::string_view word,
                            const std::vector<std::string_view>& candidates) {
    const std::string match = closest_match(word, candidates);
    if (!match.empty()) {
        message += " (did you mean '";
        message += match;
        message += "'?)";
    }
    return message;
}

} // namespace rapport::rules
