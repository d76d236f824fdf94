// Problems found while loading playbooks, tests or config, each tied to a file position.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// One problem, printed as `FILE:LINE:COL: error: MESSAGE` (line and column 1-based).
struct diagnostic {
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;

    friend bool operator==(const diagnostic&, const diagnostic&) = default;
};

/// The printed form of a diagnostic.
[[nodiscard]] std::string to_string(const diagnostic& d);

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely
/// typo; empty otherwise. Used for "did you mean" hints.
[[nodiscard]] std::string closest_match(std::string_view word,
                                        const std::vector<std::string_view>& candidates);

/// `"MESSAGE (did you mean 'X'?)"` when a close candidate exists, else `MESSAGE`.
[[nodiscard]] std::string with_suggestion(std::string message,
                                          std::string_view word,
                                          const std::vector<std::string_view>& candidates);

} // namespace rapport::rules
