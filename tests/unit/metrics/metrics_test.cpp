#include "daemon/metrics/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace rapport::daemon {
namespace {

TEST(metrics, counters_render_with_help_type_and_labels) {
    metrics_registry r;
    auto& messages =
        r.add_counter("rapport_messages_total", "Messages received.", {"account", "kind"});
    messages.with({"acme-site", "mention"}).increment();
    messages.with({"acme-site", "mention"}).increment(2);
    messages.with({"acme-x", "direct"}).increment();
    EXPECT_EQ(r.render(),
              "# HELP rapport_messages_total Messages received.\n"
              "# TYPE rapport_messages_total counter\n"
              "rapport_messages_total{account=\"acme-site\",kind=\"mention\"} 3\n"
              "rapport_messages_total{account=\"acme-x\",kind=\"direct\"} 1\n");
}

TEST(metrics, unlabelled_series_show_zero_before_their_first_event) {
    metrics_registry r;
    r.add_counter("rapport_sla_breaches_total", "SLA breaches.");
    r.add_gauge("rapport_drafts_pending", "Drafts waiting for a decision.");
    EXPECT_EQ(r.render(),
              "# HELP rapport_sla_breaches_total SLA breaches.\n"
              "# TYPE rapport_sla_breaches_total counter\n"
              "rapport_sla_breaches_total 0\n"
              "# HELP rapport_drafts_pending Drafts waiting for a decision.\n"
              "# TYPE rapport_drafts_pending gauge\n"
              "rapport_drafts_pending 0\n");
}

TEST(metrics, gauges_go_up_and_down) {
    metrics_registry r;
    auto& pending = r.add_gauge("rapport_drafts_pending", "Pending drafts.").with({});
    pending.add(5);
    pending.add(-2);
    EXPECT_NE(r.render().find("rapport_drafts_pending 3\n"), std::string::npos);
    pending.set(-1);
    EXPECT_NE(r.render().find("rapport_drafts_pending -1\n"), std::string::npos);
}

TEST(metrics, histograms_have_cumulative_buckets_sum_and_count) {
    metrics_registry r;
    auto& h =
        r.add_histogram("rapport_ingest_seconds", "Received to stored.", {0.01, 0.1, 1}).with({});
    h.observe(0.005);
    h.observe(0.05);
    h.observe(0.05);
    h.observe(5);
    EXPECT_EQ(r.render(),
              "# HELP rapport_ingest_seconds Received to stored.\n"
              "# TYPE rapport_ingest_seconds histogram\n"
              "rapport_ingest_seconds_bucket{le=\"0.01\"} 1\n"
              "rapport_ingest_seconds_bucket{le=\"0.1\"} 3\n"
              "rapport_ingest_seconds_bucket{le=\"1\"} 3\n"
              "rapport_ingest_seconds_bucket{le=\"+Inf\"} 4\n"
              "rapport_ingest_seconds_sum 5.105\n"
              "rapport_ingest_seconds_count 4\n");
}

TEST(metrics, an_observation_on_a_bound_counts_in_that_bucket) {
    metrics_registry r;
    auto& h = r.add_histogram("h", "h", {1, 2}).with({});
    h.observe(1);
    const auto s = h.read();
    EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{1, 1, 1}));
}

TEST(metrics, label_values_are_escaped) {
    EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    metrics_registry r;
    r.add_counter("c", "c", {"rule"}).with({"say \"hi\""}).increment();
    EXPECT_NE(r.render().find("c{rule=\"say \\\"hi\\\"\"} 1\n"), std::string::npos);
}

TEST(metrics, concurrent_updates_are_all_counted) {
    metrics_registry r;
    auto& f = r.add_counter("c", "c", {"t"});
    auto& h = r.add_histogram("h", "h", latency_buckets()).with({});
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10000; ++i) {
                f.with({std::to_string(i % 3)}).increment();
                h.observe(0.002 * t);
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::uint64_t total = 0;
    f.for_each([&](const label_values&, const counter& c) { total += c.value(); });
    EXPECT_EQ(total, 40000U);
    EXPECT_EQ(h.read().count, 40000U);
}

} // namespace
} // namespace rapport::daemon
