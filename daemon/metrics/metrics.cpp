#include "daemon/metrics/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace rapport::daemon {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    std::sort(bounds_.begin(), bounds_.end());
}

void histogram::observe(double value) {
    const auto bucket = static_cast<std::size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    if (value > 0) {
        sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(value * 1e6)),
                              std::memory_order_relaxed);
    }
}

histogram::snapshot histogram::read() const {
    snapshot s;
    s.bounds = bounds_;
    std::uint64_t running = 0;
    for (std::size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        s.cumulative.push_back(running);
    }
    s.count = running; // consistent with the buckets even while others observe
    s.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
    return s;
}

std::vector<double> latency_buckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

family<counter>& metrics_registry::add_counter(std::string name,
                                               std::string help,
                                               std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    auto& e = entries_.emplace_back();
    e.counters =
        std::make_unique<family<counter>>(std::move(name), std::move(help), std::move(labels));
    return *e.counters;
}

family<gauge>& metrics_registry::add_gauge(std::string name,
                                           std::string help,
                                           std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    auto& e = entries_.emplace_back();
    e.gauges = std::make_unique<family<gauge>>(std::move(name), std::move(help), std::move(labels));
    return *e.gauges;
}

family<histogram>& metrics_registry::add_histogram(std::string name,
                                                   std::string help,
                                                   std::vector<double> bounds,
                                                   std::vector<std::string> labels) {
    std::lock_guard lock(mutex_);
    auto& e = entries_.emplace_back();
    e.histograms = std::make_unique<family<histogram>>(std::move(name), std::move(help),
                                                       std::move(labels), std::move(bounds));
    return *e.histograms;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (const char c : value) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

namespace {

// `{a="x",b="y"}` (with an extra label, such as le, last), or nothing without labels.
std::string labels_text(const std::vector<std::string>& names,
                        const label_values& values,
                        std::string_view extra_name = {},
                        std::string_view extra_value = {}) {
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
        out += out.empty() ? "{" : ",";
        out += names[i] + "=\"" + escape_label_value(values[i]) + "\"";
    }
    if (!extra_name.empty()) {
        out += out.empty() ? "{" : ",";
        out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
    }
    if (!out.empty()) {
        out += "}";
    }
    return out;
}

// The shortest text that reads back as the same double: "0.1", not "0.10000000000000001".
std::string number(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    char buf[32];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    return ec == std::errc{} ? std::string(buf, end) : "NaN";
}

template <typename Metric>
void header(std::string& out, const family<Metric>& f, std::string_view type) {
    out += "# HELP " + f.name() + " " + f.help() + "\n";
    out += "# TYPE " + f.name() + " " + std::string(type) + "\n";
}

} // namespace

std::string metrics_registry::render() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& e : entries_) {
        // A family without labels shows its zero before the first event, so dashboards and
        // alerts see the series from the start.
        if (e.counters) {
            const auto& f = *e.counters;
            header(out, f, "counter");
            const auto n = f.for_each([&](const label_values& v, const counter& c) {
                out += f.name() + labels_text(f.label_names(), v) + " " +
                       std::to_string(c.value()) + "\n";
            });
            if (n == 0 && f.label_names().empty()) {
                out += f.name() + " 0\n";
            }
        } else if (e.gauges) {
            const auto& f = *e.gauges;
            header(out, f, "gauge");
            const auto n = f.for_each([&](const label_values& v, const gauge& g) {
                out += f.name() + labels_text(f.label_names(), v) + " " +
                       std::to_string(g.value()) + "\n";
            });
            if (n == 0 && f.label_names().empty()) {
                out += f.name() + " 0\n";
            }
        } else if (e.histograms) {
            header(out, *e.histograms, "histogram");
            const auto& f = *e.histograms;
            const auto render_one = [&](const label_values& v, const histogram::snapshot& s) {
                for (std::size_t i = 0; i < s.bounds.size(); ++i) {
                    out += f.name() + "_bucket" +
                           labels_text(f.label_names(), v, "le", number(s.bounds[i])) + " " +
                           std::to_string(s.cumulative[i]) + "\n";
                }
                out += f.name() + "_bucket" + labels_text(f.label_names(), v, "le", "+Inf") + " " +
                       std::to_string(s.count) + "\n";
                out += f.name() + "_sum" + labels_text(f.label_names(), v) + " " + number(s.sum) +
                       "\n";
                out += f.name() + "_count" + labels_text(f.label_names(), v) + " " +
                       std::to_string(s.count) + "\n";
            };
            const auto n = f.for_each(
                [&](const label_values& v, const histogram& h) { render_one(v, h.read()); });
            if (n == 0 && f.label_names().empty()) {
                render_one({}, histogram(f.bounds()).read());
            }
        }
    }
    return out;
}

} // namespace rapport::daemon
