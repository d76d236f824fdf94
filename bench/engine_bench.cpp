// The playbook engine over the benchmark corpus: how long the playbook takes to load and
// compile (target < 0.5 s for 1,000 rules / 10,000 terms), what it costs in memory, how fast
// messages parse, and how many messages per second one evaluator decides on one core (target
// >= 200,000/s). Run it pinned to one core: `taskset -c 0 engine_bench`.
//
//   RAPPORT_BENCH_CORPUS=build/release/bench-corpus engine_bench [--benchmark_filter=...]

#include "bench/bench_common.hpp"
#include "rules/evaluator.hpp"
#include "rules/history.hpp"
#include "rules/loader.hpp"
#include "rules/message.hpp"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace rr = rapport::rules;
using rapport::bench::bench_corpus;

rr::load_result load(const bench_corpus& c) {
    if (!c.dir.empty()) {
        return rr::load_playbooks({c.dir / "playbook.yaml"});
    }
    return rr::load_playbook_sources({rr::playbook_source{c.playbook_file, c.playbook_yaml}});
}

/// The playbook set every benchmark shares; a corpus that does not load ends the run, since
/// every figure would be meaningless.
const std::shared_ptr<const rr::playbook_set>& playbook_set() {
    static const std::shared_ptr<const rr::playbook_set> set = [] {
        rr::load_result r = load(rapport::bench::load_corpus());
        if (!r.set) {
            std::fprintf(stderr,
                         "engine_bench: the corpus playbook does not load (%zu problems):\n",
                         r.diagnostics.size());
            for (std::size_t i = 0; i < r.diagnostics.size() && i < 20; ++i) {
                std::fprintf(stderr, "  %s\n", rr::to_string(r.diagnostics[i]).c_str());
            }
            std::exit(1);
        }
        return r.set;
    }();
    return set;
}

/// Every post of the corpus, parsed once so evaluation is timed alone.
const std::vector<rr::message>& messages() {
    static const std::vector<rr::message> parsed = [] {
        const auto& lines = rapport::bench::load_corpus().lines;
        std::vector<rr::message> out;
        out.reserve(lines.size());
        for (std::size_t i = 0; i < lines.size(); ++i) {
            rr::message_parse_result r = rr::parse_message_json(lines[i]);
            if (!r.message) {
                std::fprintf(stderr, "engine_bench: post %zu does not parse: %s\n", i + 1,
                             r.error.c_str());
                std::exit(1);
            }
            out.push_back(std::move(*r.message));
        }
        return out;
    }();
    return parsed;
}

void bm_load(benchmark::State& state) {
    const auto& corpus = rapport::bench::load_corpus();
    std::size_t rules = 0;
    std::size_t patterns = 0;
    for (auto _ : state) {
        rr::load_result r = load(corpus);
        if (!r.set) {
            state.SkipWithError("the playbook does not load");
            return;
        }
        rules = r.set->rules.size();
        patterns = r.set->patterns.size();
        benchmark::DoNotOptimize(r);
    }
    state.counters["rules"] = static_cast<double>(rules);
    state.counters["patterns"] = static_cast<double>(patterns);
}

void bm_parse(benchmark::State& state) {
    const auto& lines = rapport::bench::load_corpus().lines;
    std::int64_t bytes = 0;
    for (const auto& line : lines) {
        bytes += static_cast<std::int64_t>(line.size());
    }
    for (auto _ : state) {
        for (const auto& line : lines) {
            rr::message_parse_result r = rr::parse_message_json(line);
            benchmark::DoNotOptimize(r);
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
    state.SetBytesProcessed(state.iterations() * bytes);
}

void bm_evaluate(benchmark::State& state) {
    const auto& msgs = messages();
    rr::evaluator ev(playbook_set());
    // No history and one fixed instant: person conditions see nobody's past, which is what a
    // first sighting costs; the replay with history is `rapportctl simulate` in run.sh.
    const rr::person_history nobody;
    const rr::time_point now{std::chrono::sys_days{std::chrono::year{2026} / 3 / 9}};
    std::uint64_t matched = 0;
    std::uint64_t drafts = 0;
    for (auto _ : state) {
        matched = 0;
        drafts = 0;
        for (const auto& m : msgs) {
            rr::decision d = ev.evaluate(m, nobody, now);
            matched += d.matched.size();
            drafts += d.drafts.size();
            benchmark::DoNotOptimize(d);
        }
    }
    const auto n = static_cast<double>(std::max<std::size_t>(msgs.size(), 1));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(msgs.size()));
    state.counters["matched_per_msg"] = static_cast<double>(matched) / n;
    state.counters["drafts_per_msg"] = static_cast<double>(drafts) / n;
}

void print_memory(const char* when) {
    const auto m = rapport::bench::read_memory_usage();
    std::fprintf(stderr, "engine_bench: %-28s VmRSS %8.1f MiB   VmHWM %8.1f MiB\n", when,
                 static_cast<double>(m.rss_kib) / 1024.0, static_cast<double>(m.hwm_kib) / 1024.0);
}

} // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 2;
    }
    const auto& corpus = rapport::bench::load_corpus();
    print_memory("corpus read:");

    // The first load, timed on its own: a cold load is what rapportd and rapportctl pay, and
    // the resident-memory step it causes is the playbook's footprint.
    const auto start = std::chrono::steady_clock::now();
    const auto& set = playbook_set();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    print_memory("playbook loaded:");
    std::fprintf(stderr,
                 "engine_bench: first load %.3f s (target < 0.5 s): %zu rules, %zu patterns, "
                 "%zu term sets, matcher database %s\n",
                 took.count(), set->rules.size(), set->patterns.size(), set->term_sets.size(),
                 rapport::bench::format_bytes(set->matcher.database_bytes()).c_str());

    const auto& msgs = messages();
    print_memory("messages parsed:");
    std::fprintf(stderr, "engine_bench: %zu messages\n", msgs.size());

    benchmark::AddCustomContext("corpus", corpus.dir.empty() ? "in memory" : corpus.dir.string());
    benchmark::AddCustomContext("messages", std::to_string(msgs.size()));
    benchmark::AddCustomContext("rules", std::to_string(set->rules.size()));
    benchmark::AddCustomContext("patterns", std::to_string(set->patterns.size()));
    // One pass over 200,000 messages takes about a second: ask for several, so one slow pass on
    // a shared machine does not make the figure.
    benchmark::RegisterBenchmark("load_playbook", bm_load)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0);
    benchmark::RegisterBenchmark("parse_messages", bm_parse)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark("evaluate", bm_evaluate)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(4.0);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    print_memory("end:");
    return 0;
}
