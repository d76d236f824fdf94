// Counters, gauges and histograms rendered in the Prometheus text format (CONTRACT §10). Every
// operation on a metric is lock-free (atomics); only creating a new label set takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace rapport::daemon {

/// Label values in the order the family declared its label names.
using label_values = std::vector<std::string>;

/// A monotonically increasing count.
class counter {
public:
    void increment(std::uint64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::uint64_t> value_{0};
};

/// A value that goes up and down.
class gauge {
public:
    void set(std::int64_t v) { value_.store(v, std::memory_order_relaxed); }
    void add(std::int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
    [[nodiscard]] std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<std::int64_t> value_{0};
};

/// Observations counted into fixed buckets (upper bounds, seconds for our latencies).
class histogram {
public:
    explicit histogram(std::vector<double> bounds);
    void observe(double value);

    struct snapshot {
        std::vector<double> bounds;
        std::vector<std::uint64_t> cumulative; // per bound, then +Inf
        double sum = 0;
        std::uint64_t count = 0;
    };
    [[nodiscard]] snapshot read() const;

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; // bounds_.size() + 1
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_micros_{0}; // sum in millionths: atomics on integers
};

/// Default latency buckets, 1 ms to 60 s.
[[nodiscard]] std::vector<double> latency_buckets();

/// A named metric with label names; each distinct label value set is one series. Series are
/// never removed, so references stay valid for the registry's life.
template <typename Metric>
class family {
public:
    /// `bounds` are used by histogram families only.
    family(std::string name,
           std::string help,
           std::vector<std::string> label_names,
           std::vector<double> bounds = {})
        : name_(std::move(name)),
          help_(std::move(help)),
          label_names_(std::move(label_names)),
          bounds_(std::move(bounds)) {}

    /// The series for `values` (created on first use). Thread-safe; keep the reference on hot
    /// paths instead of looking it up per event.
    Metric& with(label_values values) {
        std::lock_guard lock(mutex_);
        auto it = series_.find(values);
        if (it == series_.end()) {
            if constexpr (std::is_same_v<Metric, histogram>) {
                storage_.emplace_back(bounds_);
            } else {
                storage_.emplace_back();
            }
            it = series_.emplace(std::move(values), &storage_.back()).first;
        }
        return *it->second;
    }

    [[nodiscard]] const std::string& name() const { return name_; }
    [[nodiscard]] const std::string& help() const { return help_; }
    [[nodiscard]] const std::vector<std::string>& label_names() const { return label_names_; }
    [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }

    /// Calls f(values, metric) for every series in label order; returns how many there were.
    template <typename F>
    std::size_t for_each(F&& f) const {
        std::lock_guard lock(mutex_);
        for (const auto& [values, metric] : series_) {
            f(values, *metric);
        }
        return series_.size();
    }

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    std::vector<double> bounds_;
    mutable std::mutex mutex_;
    std::deque<Metric> storage_; // stable addresses
    std::map<label_values, Metric*> series_;
};

/// All metrics of one process, rendered in registration order.
class metrics_registry {
public:
    family<counter>& add_counter(std::string name,
                                 std::string help,
                                 std::vector<std::string> labels = {});
    family<gauge>& add_gauge(std::string name,
                             std::string help,
                             std::vector<std::string> labels = {});
    /// Every series of the family uses `bounds`.
    family<histogram>& add_histogram(std::string name,
                                     std::string help,
                                     std::vector<double> bounds,
                                     std::vector<std::string> labels = {});

    /// The Prometheus text exposition format (version 0.0.4).
    [[nodiscard]] std::string render() const;

private:
    struct entry {
        std::unique_ptr<family<counter>> counters;
        std::unique_ptr<family<gauge>> gauges;
        std::unique_ptr<family<histogram>> histograms;
    };
    mutable std::mutex mutex_;
    std::deque<entry> entries_;
};

/// A label value escaped for the text format (backslash, double quote, newline).
[[nodiscard]] std::string escape_label_value(std::string_view value);

} // namespace rapport::daemon
