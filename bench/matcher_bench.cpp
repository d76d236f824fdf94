// Chooses the matcher: the same folded posts scanned for the same literal terms (100, 1,000 and
// 10,000 of the corpus's lexicon terms) by
//   vectorscan    rapport::rules::matcher, Vectorscan's literal API, boundaries checked on hits;
//   re2_set       RE2::Set over the plain literals, then each term it reports is located and
//                 its boundaries checked (Set reports which patterns matched, not where);
//   aho_corasick  a plain dense-table Aho-Corasick written here, boundaries checked on hits.
// All three use the library's word-boundary rule, so they must find the same terms; each reports
// the distinct terms found per post and the table printed at the end says whether they agree.
//
// Writing the boundary into RE2 patterns instead, `(?:^| )literal(?: |$)`, was measured and
// dropped: in many-match mode every boundary-delimited match becomes part of the DFA state, the
// state cache thrashes, and 10,000 patterns scanned ~5,000 posts/s.
//
//   RAPPORT_BENCH_CORPUS=build/release/bench-corpus matcher_bench [--benchmark_filter=...]

#include "bench/bench_common.hpp"
#include "rules/matcher.hpp"
#include "rules/text.hpp"

#include <benchmark/benchmark.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace rr = rapport::rules;

/// Folded posts and folded terms, shared by every engine.
struct fixture {
    std::vector<rr::normalized_text> posts;
    std::uint64_t post_bytes = 0;
    std::vector<std::string> terms;
};

const fixture& data() {
    static const fixture f = [] {
        const auto& corpus = rapport::bench::load_corpus();
        fixture out;
        for (const auto& text : rapport::bench::post_texts(corpus.lines)) {
            out.posts.push_back(rr::normalize(text));
            out.post_bytes += out.posts.back().text.size();
        }
        for (const auto& term : corpus.terms) {
            out.terms.push_back(rr::normalize(term).text);
        }
        return out;
    }();
    return f;
}

/// `n` terms spread evenly over the whole list, so a small set is not one lexicon's worth.
std::vector<std::string> sample_terms(std::size_t n) {
    const auto& all = data().terms;
    n = std::min(n, all.size());
    std::vector<std::string> out;
    out.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(all[i * all.size() / n]);
    }
    return out;
}

/// Counts distinct pattern ids per post without clearing a set for every post: id p was seen
/// in this post iff stamp[p] == epoch.
class distinct_counter {
public:
    explicit distinct_counter(std::size_t patterns) : stamp_(patterns, 0) {}
    void next_post() { ++epoch_; }
    /// True the first time `id` is seen in the current post.
    bool add(std::uint32_t id) {
        if (stamp_[id] == epoch_) {
            return false;
        }
        stamp_[id] = epoch_;
        return true;
    }

private:
    std::vector<std::uint64_t> stamp_;
    std::uint64_t epoch_ = 0;
};

/// The library's word-boundary rule (rules/matcher.cpp): the byte before is the start, a space,
/// or a `#`/`@` that begins a word (so `acme` finds "#acme"); the byte after is the end or a
/// space.
bool whole_word_at(std::string_view text, std::size_t start, std::size_t end) {
    if (start > 0 && text[start - 1] != ' ') {
        const char before = text[start - 1];
        const bool sigil =
            (before == '#' || before == '@') && (start == 1 || text[start - 2] == ' ');
        if (!sigil || text[start] == '#' || text[start] == '@') {
            return false;
        }
    }
    return end == text.size() || text[end] == ' ';
}

/// True when `literal` occurs in `text` on word boundaries.
bool occurs_as_words(std::string_view text, std::string_view literal) {
    for (std::size_t at = text.find(literal); at != std::string_view::npos;
         at = text.find(literal, at + 1)) {
        if (whole_word_at(text, at, at + literal.size())) {
            return true;
        }
    }
    return false;
}

// ---- The engines -------------------------------------------------------------------------------

class vectorscan_engine {
public:
    static constexpr const char* name = "vectorscan";

    bool build(const std::vector<std::string>& terms, std::string& error) {
        std::vector<rr::pattern> patterns;
        patterns.reserve(terms.size());
        for (const auto& t : terms) {
            patterns.push_back(rr::pattern{t, false});
        }
        counter_ = std::make_unique<distinct_counter>(terms.size());
        return matcher_.compile(patterns, error);
    }
    std::size_t distinct_matches(const rr::normalized_text& post) {
        hits_.clear();
        matcher_.scan(post, scratch_, hits_);
        counter_->next_post();
        std::size_t n = 0;
        for (const auto& h : hits_) {
            n += counter_->add(h.pattern) ? 1 : 0;
        }
        return n;
    }
    std::size_t memory_bytes() const { return matcher_.database_bytes(); }

private:
    rr::matcher matcher_;
    rr::matcher::scratch scratch_;
    std::vector<rr::pattern_hit> hits_;
    std::unique_ptr<distinct_counter> counter_;
};

class re2_set_engine {
public:
    static constexpr const char* name = "re2_set";

    bool build(const std::vector<std::string>& terms, std::string& error) {
        RE2::Options options;
        // The default 8 MiB budget runs out near 10,000 patterns, and the DFA then fails
        // instead of matching.
        options.set_max_mem(std::int64_t{1} << 30);
        options.set_log_errors(false);
        set_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
        terms_ = &terms;
        for (const auto& t : terms) {
            if (set_->Add(RE2::QuoteMeta(t), &error) < 0) {
                return false;
            }
        }
        if (!set_->Compile()) {
            error = "RE2::Set::Compile failed (out of memory?)";
            return false;
        }
        return true;
    }
    std::size_t distinct_matches(const rr::normalized_text& post) {
        ids_.clear();
        RE2::Set::ErrorInfo info{};
        if (!set_->Match(post.text, &ids_, &info) && info.kind != RE2::Set::kNoError) {
            failed_ = true;
        }
        std::size_t n = 0;
        for (const int id : ids_) {
            n += occurs_as_words(post.text, (*terms_)[static_cast<std::size_t>(id)]) ? 1 : 0;
        }
        return n;
    }
    std::size_t memory_bytes() const { return 0; } // RE2 does not say
    bool failed() const { return failed_; }

private:
    std::unique_ptr<RE2::Set> set_;
    const std::vector<std::string>* terms_ = nullptr;
    std::vector<int> ids_;
    bool failed_ = false;
};

/// Aho-Corasick over a dense transition table. Bytes are mapped to classes first (the bytes
/// that occur in patterns, plus one for all others) so 10,000 terms need a few MiB, not
/// states x 256 entries.
class aho_corasick {
public:
    void build(const std::vector<std::string>& patterns) {
        class_of_.fill(0);
        classes_ = 1;
        for (const auto& p : patterns) {
            for (const char c : p) {
                auto& cls = class_of_[static_cast<unsigned char>(c)];
                if (cls == 0) {
                    cls = static_cast<std::uint16_t>(classes_++);
                }
            }
        }
        lengths_.clear();
        next_.assign(classes_, none);
        std::vector<std::vector<std::uint32_t>> own(1);
        for (std::uint32_t id = 0; id < patterns.size(); ++id) {
            std::uint32_t state = 0;
            for (const char c : patterns[id]) {
                const std::size_t slot =
                    state * classes_ + class_of_[static_cast<unsigned char>(c)];
                if (next_[slot] == none) {
                    next_[slot] = static_cast<std::uint32_t>(own.size());
                    own.emplace_back();
                    next_.resize(own.size() * classes_, none);
                }
                state = next_[slot];
            }
            own[state].push_back(id);
            lengths_.push_back(static_cast<std::uint32_t>(patterns[id].size()));
        }

        // Breadth first: a state's failure link is final before its children need it, so
        // missing edges become edges of the failure state (a full DFA) and outputs inherit
        // the failure state's outputs.
        const std::size_t states = own.size();
        std::vector<std::uint32_t> fail(states, 0);
        std::vector<std::vector<std::uint32_t>> out = own;
        std::deque<std::uint32_t> queue;
        for (std::size_t c = 0; c < classes_; ++c) {
            std::uint32_t& child = next_[c];
            if (child == none) {
                child = 0;
            } else {
                queue.push_back(child);
            }
        }
        while (!queue.empty()) {
            const std::uint32_t s = queue.front();
            queue.pop_front();
            for (std::size_t c = 0; c < classes_; ++c) {
                std::uint32_t& child = next_[s * classes_ + c];
                const std::uint32_t via_fail = next_[fail[s] * classes_ + c];
                if (child == none) {
                    child = via_fail;
                    continue;
                }
                fail[child] = via_fail;
                const auto& inherited = out[via_fail];
                out[child].insert(out[child].end(), inherited.begin(), inherited.end());
                queue.push_back(child);
            }
        }

        output_begin_.assign(states + 1, 0);
        outputs_.clear();
        for (std::size_t s = 0; s < states; ++s) {
            output_begin_[s] = static_cast<std::uint32_t>(outputs_.size());
            outputs_.insert(outputs_.end(), out[s].begin(), out[s].end());
        }
        output_begin_[states] = static_cast<std::uint32_t>(outputs_.size());
    }

    /// Calls on_match(pattern, end) for every occurrence; `end` is one past its last byte.
    template <class OnMatch>
    void scan(std::string_view text, OnMatch&& on_match) const {
        std::uint32_t state = 0;
        for (std::size_t i = 0; i < text.size(); ++i) {
            state = next_[state * classes_ + class_of_[static_cast<unsigned char>(text[i])]];
            for (std::uint32_t o = output_begin_[state]; o < output_begin_[state + 1]; ++o) {
                on_match(outputs_[o], i + 1);
            }
        }
    }

    std::uint32_t length(std::uint32_t pattern) const { return lengths_[pattern]; }
    std::size_t memory_bytes() const {
        return (next_.size() + output_begin_.size() + outputs_.size() + lengths_.size()) *
               sizeof(std::uint32_t);
    }

private:
    static constexpr std::uint32_t none = std::numeric_limits<std::uint32_t>::max();
    std::array<std::uint16_t, 256> class_of_{};
    std::size_t classes_ = 1;
    std::vector<std::uint32_t> next_;
    std::vector<std::uint32_t> output_begin_;
    std::vector<std::uint32_t> outputs_;
    std::vector<std::uint32_t> lengths_;
};

class aho_corasick_engine {
public:
    static constexpr const char* name = "aho_corasick";

    bool build(const std::vector<std::string>& terms, std::string& /*error*/) {
        ac_.build(terms);
        counter_ = std::make_unique<distinct_counter>(terms.size());
        return true;
    }
    std::size_t distinct_matches(const rr::normalized_text& post) {
        const std::string_view text = post.text;
        counter_->next_post();
        std::size_t n = 0;
        ac_.scan(text, [&](std::uint32_t pattern, std::size_t end) {
            if (whole_word_at(text, end - ac_.length(pattern), end) && counter_->add(pattern)) {
                ++n;
            }
        });
        return n;
    }
    std::size_t memory_bytes() const { return ac_.memory_bytes(); }

private:
    aho_corasick ac_;
    std::unique_ptr<distinct_counter> counter_;
};

// ---- The benchmarks ----------------------------------------------------------------------------

/// Distinct (post, term) matches per engine and pattern count, for the agreement table.
std::map<std::size_t, std::map<std::string, std::uint64_t>>& match_totals() {
    static std::map<std::size_t, std::map<std::string, std::uint64_t>> totals;
    return totals;
}

template <class Engine>
void bm_scan(benchmark::State& state) {
    const auto& f = data();
    const std::vector<std::string> terms = sample_terms(static_cast<std::size_t>(state.range(0)));
    Engine engine;
    std::string error;
    if (!engine.build(terms, error)) {
        state.SkipWithError(("build failed: " + error).c_str());
        return;
    }
    std::uint64_t matches = 0;
    for (auto _ : state) {
        matches = 0;
        for (const auto& post : f.posts) {
            matches += engine.distinct_matches(post);
        }
        benchmark::DoNotOptimize(matches);
    }
    if constexpr (requires { engine.failed(); }) {
        if (engine.failed()) {
            state.SkipWithError("the engine gave up on some posts (memory budget)");
            return;
        }
    }
    const auto posts = static_cast<std::int64_t>(f.posts.size());
    state.SetItemsProcessed(state.iterations() * posts);
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(f.post_bytes));
    state.counters["patterns"] = static_cast<double>(terms.size());
    state.counters["matches_per_post"] =
        static_cast<double>(matches) / static_cast<double>(std::max<std::int64_t>(posts, 1));
    state.counters["table_bytes"] = static_cast<double>(engine.memory_bytes());
    match_totals()[terms.size()][Engine::name] = matches;
}

template <class Engine>
void bm_build(benchmark::State& state) {
    const std::vector<std::string> terms = sample_terms(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        Engine engine;
        std::string error;
        if (!engine.build(terms, error)) {
            state.SkipWithError(("build failed: " + error).c_str());
            return;
        }
        benchmark::DoNotOptimize(engine);
    }
    state.counters["patterns"] = static_cast<double>(terms.size());
}

template <class Engine>
void register_engine(const std::vector<std::int64_t>& sizes) {
    for (const std::int64_t n : sizes) {
        // The benchmark's name gets "/<n>" from Arg(n): scan/vectorscan/1000.
        const std::string engine = Engine::name;
        benchmark::RegisterBenchmark(("scan/" + engine).c_str(), bm_scan<Engine>)
            ->Arg(n)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("build/" + engine).c_str(), bm_build<Engine>)
            ->Arg(n)
            ->Unit(benchmark::kMillisecond);
    }
}

void print_agreement() {
    if (match_totals().empty()) {
        return;
    }
    std::printf("\nDistinct (post, term) matches per engine (they should agree):\n");
    for (const auto& [patterns, by_engine] : match_totals()) {
        std::printf("  %6zu patterns:", patterns);
        const std::uint64_t first = by_engine.begin()->second;
        bool agree = true;
        for (const auto& [engine, total] : by_engine) {
            std::printf("  %s %llu", engine.c_str(), static_cast<unsigned long long>(total));
            agree = agree && total == first;
        }
        std::printf("  %s\n", agree ? "(agree)" : "(DIFFER: check the word-boundary rules)");
    }
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 2;
    }
    const auto& f = data();
    std::fprintf(stderr, "matcher_bench: %zu posts (%s folded), %zu terms\n", f.posts.size(),
                 rapport::bench::format_bytes(f.post_bytes).c_str(), f.terms.size());
    std::vector<std::int64_t> sizes;
    for (const std::size_t n : {100, 1000, 10000}) {
        if (n <= f.terms.size()) {
            sizes.push_back(static_cast<std::int64_t>(n));
        }
    }
    register_engine<vectorscan_engine>(sizes);
    register_engine<re2_set_engine>(sizes);
    register_engine<aho_corasick_engine>(sizes);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    print_agreement();
    return 0;
}
