// gen_corpus: writes the benchmark corpus, DIR/playbook.yaml and DIR/posts.jsonl, from a fixed
// seed, so every machine measures the same playbook over the same posts.
//
//   gen_corpus --out-dir DIR [--rules 1000] [--terms 10000] [--posts 200000] [--seed N]

#include "bench/corpus.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

namespace {

namespace fs = std::filesystem;

int usage(std::string_view problem) {
    std::cerr << "gen_corpus: " << problem << "\n"
              << "usage: gen_corpus --out-dir DIR [--rules N] [--terms N] [--posts N] [--seed N]\n";
    return 2;
}

bool parse_count(std::string_view text, std::uint64_t& out) {
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, out);
    return ec == std::errc{} && ptr == end;
}

/// Writes to `path` through a temporary file renamed into place, so an interrupted run never
/// leaves a truncated file that run.sh would take for a finished corpus.
class atomic_file {
public:
    explicit atomic_file(fs::path path) : path_(std::move(path)), temp_(path_) {
        temp_ += ".tmp";
        file_ = std::fopen(temp_.c_str(), "wb");
    }
    ~atomic_file() {
        if (file_ != nullptr) {
            std::fclose(file_);
            std::error_code ignored;
            fs::remove(temp_, ignored);
        }
    }
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;

    [[nodiscard]] bool ok() const { return file_ != nullptr; }
    [[nodiscard]] bool write(std::string_view bytes) {
        return std::fwrite(bytes.data(), 1, bytes.size(), file_) == bytes.size();
    }
    /// Closes and renames into place; false (with the temporary removed) on any error.
    [[nodiscard]] bool commit() {
        const bool closed = std::fclose(file_) == 0;
        file_ = nullptr;
        std::error_code ec;
        if (closed) {
            fs::rename(temp_, path_, ec);
        }
        if (!closed || ec) {
            fs::remove(temp_, ec);
            return false;
        }
        return true;
    }

private:
    fs::path path_;
    fs::path temp_;
    std::FILE* file_ = nullptr;
};

} // namespace

int main(int argc, char** argv) {
    rapport::bench::corpus_options options;
    fs::path out_dir;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            usage("writes DIR/playbook.yaml and DIR/posts.jsonl");
            return 0;
        }
        if (i + 1 >= argc) {
            return usage("missing value after " + std::string(arg));
        }
        const std::string_view value = argv[++i];
        std::uint64_t n = 0;
        if (arg == "--out-dir") {
            out_dir = value;
            continue;
        }
        if (!parse_count(value, n)) {
            return usage("not a number: " + std::string(value));
        }
        if (arg == "--rules") {
            options.rules = n;
        } else if (arg == "--terms" && n > 0) {
            options.terms = n;
        } else if (arg == "--posts") {
            options.posts = n;
        } else if (arg == "--seed") {
            options.seed = n;
        } else {
            return usage("unknown option or bad value: " + std::string(arg));
        }
    }
    if (out_dir.empty()) {
        return usage("--out-dir is required");
    }
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) {
        std::cerr << "gen_corpus: cannot create " << out_dir << ": " << ec.message() << "\n";
        return 1;
    }

    rapport::bench::corpus corpus(options);

    atomic_file playbook(out_dir / "playbook.yaml");
    if (!playbook.ok() || !playbook.write(corpus.playbook_yaml()) || !playbook.commit()) {
        std::cerr << "gen_corpus: cannot write " << out_dir / "playbook.yaml"
                  << "\n";
        return 1;
    }

    atomic_file posts(out_dir / "posts.jsonl");
    bool written = posts.ok();
    std::string buffer;
    std::string json;
    std::string text;
    for (std::size_t i = 0; i < options.posts && written; ++i) {
        corpus.next_post(json, text);
        buffer += json;
        buffer += '\n';
        if (buffer.size() > (1U << 20)) {
            written = posts.write(buffer);
            buffer.clear();
        }
    }
    if (!written || !posts.write(buffer) || !posts.commit()) {
        std::cerr << "gen_corpus: cannot write " << out_dir / "posts.jsonl"
                  << "\n";
        return 1;
    }

    const auto& s = corpus.stats();
    const auto per_post = [&](double x, std::size_t n) {
        return n == 0 ? 0.0 : x / static_cast<double>(n);
    };
    std::fprintf(stderr,
                 "gen_corpus: %zu rules, %zu terms, %zu posts -> %s\n"
                 "  posts.jsonl: %.1f MB; text %zu-%zu characters, mean %.1f (%.1f bytes)\n"
                 "  rough estimate over %zu sampled posts (sentiment and person conditions taken "
                 "as holding): %.2f rule matches/post, %.1f%% of posts match a rule, %.2f lexicon "
                 "terms/post\n",
                 options.rules, options.terms, options.posts, out_dir.c_str(),
                 static_cast<double>(s.json_bytes) / 1e6, s.min_chars, s.max_chars,
                 per_post(static_cast<double>(s.text_chars), s.posts),
                 per_post(static_cast<double>(s.text_bytes), s.posts), s.sampled,
                 per_post(static_cast<double>(s.rule_matches), s.sampled),
                 100.0 * per_post(static_cast<double>(s.posts_with_match), s.sampled),
                 per_post(static_cast<double>(s.term_occurrences), s.sampled));
    return 0;
}
