// A deterministic synthetic corpus for the playbook benchmarks: one playbook of many rules over
// many lexicon terms, and social-media posts (CONTRACT §6 JSON lines) that mention some of those
// terms. Needs nothing from rules/, so the corpus can be made before the library builds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rapport::bench {

struct corpus_options {
    std::size_t rules = 1000;
    /// Distinct lexicon terms, in lexicons of about 50; every fifth is a two-word phrase.
    std::size_t terms = 10000;
    /// Posts the caller means to draw (gen_corpus's --posts); the generator itself is endless.
    std::size_t posts = 200000;
    std::uint64_t seed = 20261122;
    /// Every n-th post goes through the generator's own rough evaluation of its rules (0: none).
    std::size_t sample_every = 10;
};

/// What the posts drawn so far look like, and how often the generator's own approximation of
/// its rules matched them. The approximation checks queries, kinds, platforms and followers
/// and takes sentiment and person conditions as holding, so it is an upper bound on those.
struct corpus_stats {
    std::size_t posts = 0;
    std::uint64_t json_bytes = 0;
    std::uint64_t text_bytes = 0;
    std::uint64_t text_chars = 0;
    std::size_t min_chars = 0;
    std::size_t max_chars = 0;
    /// Posts the approximation looked at, and what it found in them.
    std::size_t sampled = 0;
    std::uint64_t rule_matches = 0;
    std::size_t posts_with_match = 0;
    std::uint64_t term_occurrences = 0;
};

/// Draws a playbook and an endless, reproducible sequence of posts from one seed.
/// Not thread-safe; the sequence depends only on the options.
class corpus {
public:
    explicit corpus(const corpus_options& options);
    ~corpus();
    corpus(corpus&&) noexcept;
    corpus& operator=(corpus&&) noexcept;
    corpus(const corpus&) = delete;
    corpus& operator=(const corpus&) = delete;

    /// Every lexicon term, lexicon by lexicon (already lower case, words of [a-z]).
    [[nodiscard]] const std::vector<std::string>& terms() const;

    /// The playbook (CONTRACT §3), named `bench`.
    [[nodiscard]] std::string playbook_yaml() const;

    /// Draws the next post: `json` gets its JSON line (no newline), `text` its text.
    void next_post(std::string& json, std::string& text);

    [[nodiscard]] const corpus_stats& stats() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace rapport::bench
