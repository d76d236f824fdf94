// What the Google Benchmark suites share: the corpus they run over (a generated directory named
// by RAPPORT_BENCH_CORPUS, else a smaller one made in memory) and the process's memory figures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace rapport::bench {

/// The playbook and posts a benchmark runs over.
struct bench_corpus {
    /// The corpus directory; empty when the corpus was generated in memory.
    std::filesystem::path dir;
    /// dir/playbook.yaml, or "playbook.yaml" for an in-memory corpus (for diagnostics).
    std::string playbook_file;
    std::string playbook_yaml;
    /// One post (CONTRACT §6 JSON) per element, without the newline.
    std::vector<std::string> lines;
    /// Every lexicon term of the playbook, in file order.
    std::vector<std::string> terms;
};

/// Reads the corpus in $RAPPORT_BENCH_CORPUS (made by gen_corpus) or, when that is unset,
/// generates 1,000 rules over 10,000 terms and 20,000 posts in memory. Loaded once; later calls
/// return the same object. Exits the process with a message when the directory is unusable.
[[nodiscard]] const bench_corpus& load_corpus();

/// The `text` field of each line; lines without one give an empty string.
[[nodiscard]] std::vector<std::string> post_texts(const std::vector<std::string>& lines);

/// The process's resident memory now and at its peak, from /proc/self/status (0 if unknown).
struct memory_usage {
    std::uint64_t rss_kib = 0;
    std::uint64_t hwm_kib = 0;
};
[[nodiscard]] memory_usage read_memory_usage();

/// "123.4 MiB"-style text for a byte count.
[[nodiscard]] std::string format_bytes(std::uint64_t bytes);

} // namespace rapport::bench
