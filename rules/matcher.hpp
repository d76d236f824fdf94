// One multi-pattern scan over a folded text for every term of every rule (Vectorscan's literal
// API; see bench/RESULTS.md for why). Patterns are folded literals; word boundaries are checked
// where a match lands, which is 25x cheaper than asking the engine for \b.
#pragma once

#include "rules/text.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace rapport::rules {

/// A folded literal: whole words (`prefix` false) or a prefix of its last word.
struct pattern {
    std::string literal;
    bool prefix = false;

    friend bool operator==(const pattern&, const pattern&) = default;
};

/// One place a pattern matched, in word indexes of the scanned text (inclusive).
struct pattern_hit {
    std::uint32_t pattern = 0;
    std::uint32_t first_word = 0;
    std::uint32_t last_word = 0;
};

/// Compiled patterns. Immutable once built; scan() is const and thread-safe given one
/// matcher_scratch per thread.
class matcher {
public:
    class scratch;

    /// An empty matcher: matches nothing.
    matcher();
    ~matcher();
    matcher(matcher&&) noexcept;
    matcher& operator=(matcher&&) noexcept;
    matcher(const matcher&) = delete;
    matcher& operator=(const matcher&) = delete;

    /// Compiles `patterns`; pattern i is reported as id i. Returns false and sets `error` when
    /// the engine refuses (it should not for literals).
    [[nodiscard]] bool compile(const std::vector<pattern>& patterns, std::string& error);

    /// Appends every hit in `text` to `hits` (in order of match end).
    void scan(const normalized_text& text, scratch& s, std::vector<pattern_hit>& hits) const;

    [[nodiscard]] std::size_t pattern_count() const;
    /// Bytes the compiled database takes.
    [[nodiscard]] std::size_t database_bytes() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    friend class scratch;
};

/// Per-thread working memory for matcher::scan. Grows to fit whichever matchers it is used
/// with; not thread-safe.
class matcher::scratch {
public:
    scratch();
    ~scratch();
    scratch(scratch&&) noexcept;
    scratch& operator=(scratch&&) noexcept;
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;

private:
    friend class matcher;
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace rapport::rules
